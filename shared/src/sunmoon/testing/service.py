"""Helpers for testing one service in-process: its app on real PostgreSQL and NATS, events in and out."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from ..events import Envelope
from ..messaging import Namespace


async def eventually(check, *, timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll ``check`` (async, returns truthy when done) until it holds; AssertionError at the deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def stream_events(js: Any, ns: Namespace, stream: str) -> list[tuple[str, dict]]:
    """Every message of one (namespaced) stream: (subject without namespace, envelope as a dict)."""
    name = ns.stream(stream)
    info = await js.stream_info(name)
    out = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1) if info.state.messages else ():
        msg = await js.get_msg(name, seq)
        out.append((ns.strip(msg.subject), json.loads(msg.data)))
    return out


@dataclass
class ServiceUnderTest:
    """A service's FastAPI app (lifespan running), an HTTP client to it, and JetStream to talk to it."""

    app: Any
    settings: Any
    client: httpx.AsyncClient
    js: Any
    ns: Namespace

    @property
    def pool(self) -> Any:
        return self.app.state.runtime.pool

    @property
    def stats(self) -> Any:
        return self.app.state.runtime.stats

    async def publish_to(self, subject: str, env: Envelope | None = None, *, body: bytes | None = None,
                         msg_id: str | None = None) -> None:
        """Publish an envelope (or raw bytes) on ``subject`` (without namespace)."""
        data = body if body is not None else env.to_bytes()
        await self.js.publish(self.ns.subject(subject), data,
                              headers={"Nats-Msg-Id": msg_id or (str(env.event_id) if env else uuid.uuid4().hex)})

    async def events(self, stream: str) -> list[tuple[str, dict]]:
        return await stream_events(self.js, self.ns, stream)

    async def count(self, table: str, where: str = "true", *args: Any) -> int:
        return await self.pool.fetchval(f"SELECT count(*) FROM {table} WHERE {where}", *args)

    @staticmethod
    async def eventually(check, *, timeout: float = 15.0, what: str = "condition") -> Any:
        return await eventually(check, timeout=timeout, what=what)


# Bearer tokens the test suite's services accept (sunmoon.auth), one per role; the plugin
# (sunmoon.testing.fixtures) puts TEST_API_TOKENS in SUNMOON_API_TOKENS for every service the tests start.
TEST_TOKENS: dict[str, str] = {role: f"test-{role.replace('_', '-')}-token"
                               for role in ("admin", "supervisor", "duty_officer", "service", "analytics")}


def _test_api_tokens() -> str:
    from ..auth import digest

    return ",".join(f"test-{role}:{role}:{digest(token)}" for role, token in TEST_TOKENS.items())


TEST_API_TOKENS = _test_api_tokens()


def auth_headers(role: str = "admin") -> dict[str, str]:
    """The Authorization header of the test token with this role (admin by default)."""
    return {"Authorization": f"Bearer {TEST_TOKENS[role]}"}
