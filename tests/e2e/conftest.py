"""End-to-end fixtures: the five services as separate processes on the session's real servers.

Every stack gets its own five databases, its own NATS namespace (subjects and streams),
its own data keys and free ports, so stacks never see each other's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from devstack.stack import SERVICES, ServiceProcess, run_command, service_env, wait_ready
from sunmoon.crypto import KeyRing
from sunmoon.localservers import free_port
from sunmoon.messaging import Namespace


@dataclass
class Stack:
    services: dict[str, ServiceProcess]
    databases: dict[str, str]
    namespace: str
    nats_url: str
    logs: Path
    _http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=10))

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


def _stack_env(tmp: Path) -> dict[str, str]:
    ring = KeyRing.generate()
    return {**ring.to_env(), "SUNMOON_HOME": str(tmp / "home"), "NOTIFIER_SENDER_POLL_INTERVAL": "0.5"}


async def start_stack(servers, tmp: Path, *, extra: dict[str, dict[str, str]] | None = None) -> Stack:
    namespace = servers.fresh_namespace()
    common = _stack_env(tmp)
    databases: dict[str, str] = {}
    services: dict[str, ServiceProcess] = {}
    logs = tmp / "logs"
    for name in SERVICES:
        databases[name] = await servers.fresh_database(name)
        port = free_port()
        env = service_env(name, port, database_url=databases[name], nats_url=servers.nats_url,
                          namespace=namespace, extra={**common, **(extra or {}).get(name, {})})
        env.pop("DATABASE_URL", None)
        services[name] = ServiceProcess(name, port, env, logs / f"{name}.log")
    await asyncio.to_thread(run_command, "notifier", ["seed-demo"], services["notifier"].env)
    for svc in services.values():
        svc.start()
    stack = Stack(services, databases, namespace, servers.nats_url, logs)
    try:
        await asyncio.to_thread(wait_ready, list(services.values()), 90)
    except Exception:
        stack.stop()
        raise
    return stack


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


