"""End-to-end fixtures: the five services as separate processes on the session's real servers.

Every stack gets its own five databases, its own NATS namespace (subjects and streams),
its own data keys and free ports, so stacks never see each other's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from devstack import access as devstack_access
from devstack.access import service_database_urls
from devstack.stack import SERVICES, ServiceProcess, run_command, service_env, wait_ready
from sunmoon.crypto import KeyRing
from sunmoon.localservers import NatsServer, free_port
from sunmoon.settings import database_url_for
from sunmoon.testing.service import auth_headers
from sunmoon.messaging import Namespace
from sunmoon.tls import LocalTLS, httpx_verify


@dataclass
class Stack:
    services: dict[str, ServiceProcess]
    databases: dict[str, str]
    namespace: str
    nats_url: str
    logs: Path
    _http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=10, headers=auth_headers()))
    nats_admin: dict[str, str] = field(default_factory=dict)  # auth stacks: user/password for inspection
    cleanups: list[Any] = field(default_factory=list)  # run after the services stopped

    def url(self, name: str) -> str:
        return self.services[name].url

    async def get(self, name: str, path: str, **kw: Any) -> httpx.Response:
        return await self._http.get(self.url(name) + path, **kw)

    async def post(self, name: str, path: str, **kw: Any) -> httpx.Response:
        return await self._http.post(self.url(name) + path, **kw)

    async def query(self, name: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.databases[name])
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    async def count(self, name: str, table: str, where: str = "true", *args: Any) -> int:
        return (await self.query(name, f"SELECT count(*) AS n FROM {table} WHERE {where}", *args))[0]["n"]

    def restart(self, name: str, extra_env: dict[str, str] | None = None) -> None:
        svc = self.services[name]
        svc.stop()
        if extra_env is not None:
            svc.env = {**svc.env, **extra_env}
        svc.start()
        wait_ready([svc], timeout=60)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))

    def stop(self) -> None:
        for svc in self.services.values():
            svc.stop()
        while self.cleanups:
            with contextlib.suppress(Exception):
                self.cleanups.pop()()


def _stack_env(tmp: Path) -> dict[str, str]:
    ring = KeyRing.generate()
    return {**ring.to_env(), "SUNMOON_HOME": str(tmp / "home"), "NOTIFIER_SENDER_POLL_INTERVAL": "0.5"}


async def start_stack(servers, tmp: Path, *, extra: dict[str, dict[str, str]] | None = None,
                      tls: LocalTLS | None = None, auth: bool = False) -> Stack:
    """``tls``: every service serves HTTPS with that CA's certificate and trusts the CA (NATS, PostgreSQL).
    ``auth``: least privilege as `make up` has it: a NATS server of the stack's own with one user per
    service (sunmoon.access), and each service connects to PostgreSQL as its own role."""
    namespace = servers.fresh_namespace()
    nats_url, cleanups, nats_admin, secured = servers.nats_url, [], {}, None
    if auth:
        secured = _least_privilege(servers, tmp, namespace, cleanups)
        nats_url, nats_admin = secured["nats_url"], secured["admin"]
    common = _stack_env(tmp)
    databases: dict[str, str] = {}
    services: dict[str, ServiceProcess] = {}
    logs = tmp / "logs"
    ports = {name: free_port() for name in SERVICES}
    # the desk's live suggestion, admin pages, map warnings and 분석 link use this stack's services
    scheme = "https" if tls else "http"
    wiring = {"intake": {"INTAKE_CLASSIFIER_URL": f"{scheme}://127.0.0.1:{ports['classifier']}",
                         "INTAKE_NOTIFIER_URL": f"{scheme}://127.0.0.1:{ports['notifier']}",
                         "INTAKE_WEATHER_URL": f"{scheme}://127.0.0.1:{ports['weather']}",
                         "INTAKE_DASHBOARD_URL": f"{scheme}://127.0.0.1:{ports['reporting']}/dashboard"}}
    for name in SERVICES:
        databases[name] = await servers.fresh_database(name)
        port = ports[name]
        db_url = databases[name]
        if secured:
            [db_url] = (await service_database_urls(databases[name], role_prefix=secured["tag"],
                                                    databases={name: urlsplit(db_url).path.lstrip("/")})).values()
            extra = {**(extra or {}), name: {**secured["env"](name), **(extra or {}).get(name, {})}}
        env = service_env(name, port, database_url=db_url, nats_url=nats_url,
                          namespace=namespace, extra={**common, **wiring.get(name, {}), **(extra or {}).get(name, {})},
                          tls=tls.env() if tls else None)
        env.pop("DATABASE_URL", None)
        services[name] = ServiceProcess(name, port, env, logs / f"{name}.log")
    await asyncio.to_thread(run_command, "notifier", ["seed-demo"], services["notifier"].env)
    for svc in services.values():
        svc.start()
    stack = Stack(services, databases, namespace, nats_url, logs,
                  _http=httpx.AsyncClient(timeout=10, verify=httpx_verify(tls.ca_file if tls else None),
                                          headers=auth_headers()),  # the test admin token (sunmoon.testing)
                  nats_admin=nats_admin, cleanups=cleanups)
    try:
        await asyncio.to_thread(wait_ready, list(services.values()), 90)
    except Exception:
        stack.stop()
        raise
    return stack


def _least_privilege(servers, tmp: Path, namespace: str, cleanups: list[Any]) -> dict[str, Any]:
    """A nats-server with the generated users of this namespace; role names unique to this stack."""
    auth = devstack_access.nats_auth(tmp / "secrets", namespace, rounds=4)
    nats = NatsServer(tmp / "nats-auth", authorization=auth.authorization).start()
    tag = namespace + "_"
    cleanups.append(nats.stop)
    cleanups.append(lambda: _drop_roles(servers.database_url, tag))
    return {"nats_url": nats.url, "env": auth.env, "tag": tag,
            "admin": {"user": "admin", "password": auth.passwords["admin"]}}


def _drop_roles(server_url: str, tag: str) -> None:
    async def drop() -> None:
        admin = await asyncpg.connect(database_url_for(server_url, "postgres"))
        try:
            for (db,) in await admin.fetch("SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
                                           "WHERE r.rolname LIKE $1", tag + "%"):
                await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            for (role,) in await admin.fetch("SELECT rolname FROM pg_roles WHERE rolname LIKE $1", tag + "%"):
                await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await admin.close()

    worker = threading.Thread(target=lambda: asyncio.run(drop()), daemon=True)
    worker.start()
    worker.join(60)


@pytest.fixture
async def stack(servers, tmp_path):
    s = await start_stack(servers, tmp_path)
    yield s
    s.stop()
    await s._http.aclose()


async def eventually(check, *, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    """Poll ``check`` (async, returns a truthy value when done) until it holds or the time is up."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            last = await check()
            if last:
                return last
        await asyncio.sleep(interval)
    raise AssertionError(f"{what} did not hold within {timeout:.1f} s (last value: {last!r})")


async def stream_messages(js, namespace: str, stream: str) -> list[tuple[str, bytes, dict]]:
    """Every message of one stream: (subject with namespace, body, headers)."""
    name = Namespace(namespace).stream(stream)
    info = await js.stream_info(name)
    out = []
    if info.state.messages:
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(name, seq)
            out.append((msg.subject, msg.data, dict(msg.headers or {})))
    return out


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


