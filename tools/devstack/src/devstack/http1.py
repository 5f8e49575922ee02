"""A lean HTTP/1.1 keep-alive client for the load generator (plain HTTP, JSON POSTs).

The load generator runs on the machine it measures, so every millisecond of CPU it spends is taken from the
system under test. httpx cost 4 ms of CPU per request at 35 complaints/s and 10.7 ms when the system was
saturated (its pool's bookkeeping grows with the requests waiting); the callers it stands in for (officers'
browsers, other cities' systems) run elsewhere. This client writes the request bytes on a kept-alive
connection and parses the answer with httptools (the C parser uvicorn already uses): a fraction of that.
It does only what the generator needs: POST a JSON body, read the status and the body.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import httptools


class HTTPError(Exception):
    """The request did not get an answer (connection refused or lost, a malformed answer, a timeout)."""


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future | None = None
        self.body: list[bytes] = []
        self.closed = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HTTPError(f"malformed answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(HTTPError(f"connection lost: {exc or 'closed by the server'}"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.body = []

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if not self.parser.should_keep_alive():
            self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((self.parser.get_status_code(), b"".join(self.body)))

    def _fail(self, exc: Exception) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    async def exchange(self, raw: bytes, timeout: float) -> tuple[int, bytes]:
        self.waiter = asyncio.get_running_loop().create_future()
        assert self.transport is not None
        self.transport.write(raw)
        try:
            return await asyncio.wait_for(self.waiter, timeout)
        except asyncio.TimeoutError as exc:
            self.closed = True  # an answer may still come: never reuse this connection
            raise HTTPError(f"no answer in {timeout:g} s") from exc

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class KeepAlivePool:
    """Up to ``size`` kept-alive connections to ``base_url`` (``http://host:port``)."""

    def __init__(self, base_url: str, *, size: int, headers: dict[str, str] | None = None,
                 timeout: float = 10.0) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"the load generator speaks plain http://host:port, not {base_url!r}")
        self.host, self.port = url.hostname, url.port or 80
        self.size, self.timeout = size, timeout
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._head = (f"Host: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
                      f"Accept: application/json\r\n{extra}")
        self._idle: list[_Connection] = []
        self._open = 0
        self._freed = asyncio.Condition()

    async def _acquire(self) -> _Connection:
        async with self._freed:
            while True:
                while self._idle:
                    conn = self._idle.pop()
                    if not conn.closed:
                        return conn
                    self._open -= 1
                if self._open < self.size:
                    self._open += 1
                    break
                await self._freed.wait()
        try:
            _, conn = await asyncio.wait_for(
                asyncio.get_running_loop().create_connection(_Connection, self.host, self.port), self.timeout)
            return conn
        except (OSError, asyncio.TimeoutError) as exc:
            async with self._freed:
                self._open -= 1
                self._freed.notify()
            raise HTTPError(f"cannot connect to {self.host}:{self.port}: {exc!r}") from exc

    async def _release(self, conn: _Connection) -> None:
        async with self._freed:
            if conn.closed:
                conn.close()
                self._open -= 1
            else:
                self._idle.append(conn)
            self._freed.notify()

    async def post_json(self, path: str, body: Any) -> tuple[int, bytes]:
        """POST ``body`` as JSON; the answer's status and body. :class:`HTTPError` when there is none."""
        payload = json.dumps(body, ensure_ascii=False).encode()
        raw = (f"POST {path} HTTP/1.1\r\n{self._head}Content-Length: {len(payload)}\r\n\r\n").encode() + payload
        conn = await self._acquire()
        try:
            return await conn.exchange(raw, self.timeout)
        finally:
            await self._release(conn)

    async def close(self) -> None:
        async with self._freed:
            for conn in self._idle:
                conn.close()
            self._idle.clear()
