"""Stopping intake (SIGTERM, or Ctrl-C in `make up`) is prompt even while a board's live stream is open.

uvicorn runs the app's shutdown (which sets the runtime's stop event) only after open responses end, so a
server-sent event stream that watched only that event kept the process alive until uvicorn's graceful
time-out (10 s) cancelled it. The stream now also ends when the server itself is exiting.
"""

from __future__ import annotations

import asyncio
import signal
import time

import httpx
import pytest

from devstack.stack import ServiceProcess, service_env, wait_ready
from sunmoon.crypto import KeyRing
from sunmoon.localservers import free_port

from .browser_support import create_desk_user, desk_session

pytestmark = pytest.mark.timeout(120)


async def test_open_board_stream_ends_promptly_on_sigterm(servers, tmp_path):
    db = await servers.fresh_database("intake")
    port = free_port()
    env = service_env("intake", port, database_url=db, nats_url=servers.nats_url,
                      namespace=servers.fresh_namespace(),
                      extra={**KeyRing.generate().to_env(), "SUNMOON_HOME": str(tmp_path / "home")})
    env.pop("DATABASE_URL", None)
    await create_desk_user(env, tmp_path / "users", "officer")
    intake = ServiceProcess("intake", port, env, tmp_path / "intake.log")
    intake.start()
    try:
        await asyncio.to_thread(wait_ready, [intake], 60)
        async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=30)) as client:
            cookie = await desk_session(client, intake.url, "officer")
            async with client.stream("GET", intake.url + "/desk/events", headers={"cookie": cookie}) as stream:
                assert stream.status_code == 200
                assert stream.headers["content-type"].startswith("text/event-stream")
                chunks = stream.aiter_text()
                assert "retry:" in await anext(chunks)          # the stream is open and idle
                await asyncio.sleep(1.5)                        # a poll or two: the loop is waiting
                sent = time.monotonic()
                intake.proc.send_signal(signal.SIGTERM)
                cut = False
                try:
                    async for _ in chunks:                      # the rest of the stream: ends on shutdown
                        pass
                except httpx.RemoteProtocolError:               # cut off by the server's graceful time-out
                    cut = True
                stream_ended = time.monotonic() - sent
        code = await asyncio.to_thread(intake.proc.wait, 15)
        exited = time.monotonic() - sent
    finally:
        intake.stop()
    log = (tmp_path / "intake.log").read_text(errors="replace")
    print(f"\nSSE stream ended {stream_ended:.2f} s and intake exited {exited:.2f} s after SIGTERM (code {code})")
    assert not cut, f"the stream was cut off {stream_ended:.1f} s after SIGTERM instead of ending"
    assert stream_ended < 3.0, f"the stream stayed open {stream_ended:.1f} s after SIGTERM"
    assert exited < 6.0, f"intake took {exited:.1f} s to stop with a board open"
    assert code in (0, -signal.SIGTERM), log[-2000:]   # uvicorn re-raises the signal it handled
    assert "timeout graceful shutdown exceeded" not in log
