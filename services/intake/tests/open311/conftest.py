"""Intake as a real uvicorn server on a free port (the georeport client does its own HTTP), on real
PostgreSQL and NATS JetStream, with one issued API key."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
import uvicorn

from intake.bootstrap import create_app
from intake.open311 import keys
from intake.settings import IntakeSettings
from sunmoon.crypto import FieldCipher, KeyRing
from sunmoon.localservers import free_port


@dataclass
class Open311Server:
    root: str  # http://127.0.0.1:PORT/open311/v2
    base: str  # http://127.0.0.1:PORT
    key: str
    db: asyncpg.Connection
    cipher: FieldCipher
    app: Any


@contextlib.asynccontextmanager
async def serve_intake(servers, namespace: str):
    settings = IntakeSettings(database_url=await servers.fresh_database("intake"), nats_url=servers.nats_url,
                              nats_namespace=namespace)
    cipher = FieldCipher(KeyRing.generate("k1"))
    app = create_app(settings, cipher)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="intake-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "intake did not start"
        await asyncio.sleep(0.05)
    db = await asyncpg.connect(settings.database_url)
    issued = await keys.issue(db, "test-app", rate_per_minute=600, burst=100)
    try:
        yield Open311Server(f"http://127.0.0.1:{port}/open311/v2", f"http://127.0.0.1:{port}", issued.key, db,
                            cipher, app)
    finally:
        await db.close()
        server.should_exit = True
        await asyncio.to_thread(thread.join, 15)


@pytest.fixture
async def open311(servers, namespace):
    """A fresh intake (own database, own NATS namespace) for one test."""
    async with serve_intake(servers, namespace) as server:
        yield server


@pytest.fixture(scope="module")
async def open311_shared(servers):
    """One intake for a module of tests that file nothing (error answers, formats)."""
    async with serve_intake(servers, servers.fresh_namespace()) as server:
        yield server
