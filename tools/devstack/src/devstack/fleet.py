"""A whole system under test: servers, the five services (some with replicas), and the means to hurt them.

Used by the load benchmark (``benchmarks/load.py``), the chaos run (``python -m devstack.chaos``) and the
chaos test. With ``own_servers`` it starts its own NATS and PostgreSQL (so it may kill and restart them);
otherwise it uses the given URLs and makes its own databases and NATS namespace there, dropped at the end.
"""

from __future__ import annotations

import secrets
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from sunmoon.auth import bearer, issue
from sunmoon.crypto import KeyRing
from sunmoon.localservers import NatsServer, PostgresServer, free_port
from sunmoon.settings import database_url_for

from .stack import SERVICES, ServiceProcess, StackError, run_command, service_env, wait_ready


@dataclass
class Fleet:
    home: Path
    replicas: dict[str, int] = field(default_factory=dict)  # e.g. {"classifier": 3, "notifier": 3}
    own_servers: bool = True
    database_url: str | None = None  # server URL (any database name) when not own_servers
    nats_url: str | None = None
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)
    processes: list[ServiceProcess] = field(default_factory=list)
    databases: dict[str, str] = field(default_factory=dict)
    namespace: str = ""
    nats: NatsServer | None = None
    pg: PostgresServer | None = None
    kills: int = 0
    nats_sync_always: bool = True  # False only to measure what syncing every JetStream write costs
    api_token: str = ""  # a bearer token with the "service" role, accepted by every service of the fleet
    _pg_home: Path | None = None

    # -- start and stop -----------------------------------------------------------------------------------
    def start(self, progress=print) -> Fleet:
        self.home.mkdir(parents=True, exist_ok=True)
        if self.own_servers:
            # PostgreSQL refuses to run as root and runs as 'postgres', which must reach its data directory:
            # keep it in a folder of its own that others may traverse (pytest's and mkdtemp's are 0700)
            self._pg_home = Path(tempfile.mkdtemp(prefix="sunmoon-fleet-pg-"))
            self._pg_home.chmod(0o711)
            self.pg = PostgresServer(self._pg_home / "data").start()
            self.nats = NatsServer(self.home / "nats", sync_always=self.nats_sync_always).start()
            self.database_url, self.nats_url = self.pg.url, self.nats.url
            sync = "always" if self.nats_sync_always else "NATS default, every 2 min"
            progress(f"own servers: PostgreSQL {self.pg.port}, NATS {self.nats.port} (sync_interval: {sync})")
        token = secrets.token_hex(3)
        self.namespace = "" if self.own_servers else f"fleet{token}"
        self.api_token, token_line = issue("load", "service")
        common = {**KeyRing.generate().to_env(), "SUNMOON_HOME": str(self.home / "home"),
                  "SUNMOON_API_TOKENS": token_line, "NOTIFIER_SENDER_POLL_INTERVAL": "0.5", "LOG_LEVEL": "WARNING"}
        envs: dict[str, dict[str, str]] = {}
        for name in SERVICES:
            db = f"sunmoon_{name}" if self.own_servers else f"fleet{token}_{name}"
            self.databases[name] = database_url_for(self.database_url, db)
            env = service_env(name, 0, database_url=self.databases[name], nats_url=self.nats_url,
                              namespace=self.namespace, extra={**common, **self.extra_env.get(name, {})})
            env.pop("DATABASE_URL", None)
            envs[name] = env
            run_command(name, ["migrate"], env)
        run_command("notifier", ["seed-demo"], envs["notifier"])
        logs = self.home / "logs"
        for name in SERVICES:
            for i in range(self.replicas.get(name, 1)):
                port = free_port()
                env = {**envs[name], f"{name.upper()}_HTTP_PORT": str(port)}
                if name == "notifier":
                    env["NOTIFIER_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
                proc = ServiceProcess(name, port, env, logs / f"{name}-{i + 1}.log")
                proc.start()
                self.processes.append(proc)
        wait_ready(self.processes, timeout=120)
        progress("services ready: " + ", ".join(f"{n}×{self.replicas.get(n, 1)}" for n in SERVICES))
        return self

    def stop(self) -> None:
        for proc in self.processes:
            proc.stop()
        if self.own_servers:
            for server in (self.nats, self.pg):
                if server is not None:
                    server.stop()
            if self._pg_home is not None:
                shutil.rmtree(self._pg_home, ignore_errors=True)
        elif self.database_url:
            self._drop_databases()

    def _drop_databases(self) -> None:
        import asyncio

        async def drop() -> None:
            conn = await asyncpg.connect(self.database_url)
            try:
                for url in self.databases.values():
                    name = url.rsplit("/", 1)[1].split("?")[0]
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        try:
            asyncio.run(drop())
        except RuntimeError:  # called inside a running loop: leave them to the test servers' cleanup
            pass

    # -- where things are ---------------------------------------------------------------------------------
    def first(self, name: str) -> ServiceProcess:
        return next(p for p in self.processes if p.name == name)

    def url(self, name: str) -> str:
        return self.first(name).url

    @property
    def headers(self) -> dict[str, str]:
        """What a client of the fleet's APIs sends: the fleet's bearer token."""
        return bearer(self.api_token)

    def of(self, name: str) -> list[ServiceProcess]:
        return [p for p in self.processes if p.name == name]

    def rss_mib(self) -> dict[str, float]:
        """Resident memory of each service (the largest replica), MiB."""
        out: dict[str, float] = {}
        for p in self.processes:
            if p.alive():
                out[p.name] = max(out.get(p.name, 0.0), rss_mib(p.proc.pid))
        return out

    # -- hurting it ---------------------------------------------------------------------------------------
    def kill9(self, proc: ServiceProcess) -> None:
        """kill -9 a service process (its consumers and outbox relay die mid-work) and start it again."""
        proc.kill(signal.SIGKILL)
        self.kills += 1
        proc.start()

    def restart_nats(self) -> None:
        """kill -9 the broker and start it again on the same store (JetStream syncs every write)."""
        assert self.nats is not None and self.nats.proc is not None, "only with own_servers"
        self.nats.proc.kill()
        self.nats.proc.wait()
        self.nats.start()

    def restart_postgres(self) -> None:
        """Stop PostgreSQL as a crash would (immediate: no checkpoint) and start it again."""
        assert self.pg is not None, "only with own_servers"
        self.pg._cmd(str(self.pg._bindir / "pg_ctl"), "-D", str(self.pg.datadir), "stop", "-m", "immediate",
                     "-w", check=False)
        self.pg.start()

    def ensure_running(self) -> None:
        """Restart any service process that died by itself (e.g. gave up while the database was away)."""
        for proc in self.processes:
            if not proc.alive():
                proc.start()

    def wait_ready(self, timeout: float = 90) -> None:
        """Until every process answers /readyz; one that exits meanwhile (it started while a server was
        away) is started again rather than reported."""
        deadline = time.monotonic() + timeout
        while True:
            self.ensure_running()
            try:
                wait_ready(self.processes, timeout=max(1.0, min(30.0, deadline - time.monotonic())))
                return
            except StackError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)

    def command(self, name: str, args: list[str]) -> str:
        return run_command(name, args, self.first(name).env)


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def clean_home(home: Path) -> None:
    if home.exists():
        shutil.rmtree(home, ignore_errors=True)


def pg_ctl_available() -> bool:
    try:
        from sunmoon.localservers import find_pg_bindir

        return (find_pg_bindir() / "pg_ctl").exists()
    except Exception:  # noqa: BLE001
        return False

