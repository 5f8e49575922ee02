"""Start servers and services as child processes, wait until they are ready, stop them cleanly.

Used by ``python -m devstack`` (``make up``) and by the end-to-end tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from sunmoon.tls import CA_FILE_ENV, CERT_FILE_ENV, KEY_FILE_ENV, httpx_verify

SERVICES: tuple[str, ...] = ("intake", "classifier", "notifier", "weather", "reporting")


class StackError(RuntimeError):
    pass


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path | None = None
    proc: subprocess.Popen | None = None
    restarts: int = 0
    _log: object = field(default=None, repr=False)

    @property
    def tls(self) -> bool:
        """Serves HTTPS: its environment names a certificate and key (see ``service_env(tls=...)``)."""
        return bool(self.env.get(CERT_FILE_ENV) and self.env.get(KEY_FILE_ENV))

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child's life
            out = self._log
        else:
            out = None
        self.proc = subprocess.Popen([sys.executable, "-m", self.name, "serve"], env=self.env,
                                     stdout=out, stderr=subprocess.STDOUT if out else None,
                                     start_new_session=True)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            os.kill(self.proc.pid, sig)
            self.proc.wait()

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None


def service_env(name: str, port: int, *, database_url: str, nats_url: str, namespace: str = "",
                extra: dict[str, str] | None = None, tls: dict[str, str] | None = None) -> dict[str, str]:
    """The environment one service gets: its own database URL, NATS, port; with ``tls`` (the
    ``SUNMOON_TLS_*`` variables, e.g. ``LocalTLS.env()``) it serves HTTPS and trusts that CA."""
    prefix = name.upper() + "_"
    env = {k: v for k, v in os.environ.items() if k not in (CERT_FILE_ENV, KEY_FILE_ENV, CA_FILE_ENV)}
    env.update(tls or {})
    env.update({
        "NATS_URL": nats_url,
        f"{prefix}DATABASE_URL": database_url,
        f"{prefix}NATS_URL": nats_url,
        f"{prefix}HTTP_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    })
    if namespace:
        env["NATS_NAMESPACE"] = namespace
    if name == "notifier":
        env.setdefault("NOTIFIER_PUBLIC_URL", f"{'https' if tls else 'http'}://127.0.0.1:{port}")
    env.update(extra or {})
    return env


def run_command(name: str, args: list[str], env: dict[str, str]) -> str:
    """Run ``python -m <name> <args>`` to completion (migrations, seeding)."""
    result = subprocess.run([sys.executable, "-m", name, *args], env=env, capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise StackError(f"`python -m {name} {' '.join(args)}` failed:\n{result.stderr[-3000:]}")
    return result.stdout


def wait_ready(services: list[ServiceProcess], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    pending = {s.name: s for s in services}
    ca = next((s.env[CA_FILE_ENV] for s in services if s.env.get(CA_FILE_ENV)), None)
    with httpx.Client(timeout=2, verify=httpx_verify(ca)) as client:
        while pending and time.monotonic() < deadline:
            for name, svc in list(pending.items()):
                if not svc.alive():
                    where = f"; see {svc.log_path}" if svc.log_path else ""
                    raise StackError(f"{name} exited with code {svc.proc.returncode} while starting{where}")
                try:
                    if client.get(f"{svc.url}/readyz").status_code == 200:
                        del pending[name]
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
    if pending:
        raise StackError(f"not ready after {timeout:.0f} s: {', '.join(pending)}")
