"""Where the test session's PostgreSQL and NATS come from.

1. ``DATABASE_URL`` / ``NATS_URL`` in the environment (each independently);
2. else testcontainers, when a Docker engine answers;
3. else servers this session starts itself (:mod:`sunmoon.localservers`) in a
   temporary directory, removed at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from ..localservers import NatsServer, PostgresServer
from ..settings import database_url_for


@dataclass
class TestServers:
    __test__ = False
    database_url: str
    nats_url: str
    source: dict[str, str] = field(default_factory=dict)
    _cleanups: list[Any] = field(default_factory=list, repr=False)
    _databases: list[str] = field(default_factory=list, repr=False)
    _namespaces: list[str] = field(default_factory=list, repr=False)

    def close(self) -> None:
        """Drop what the session created on shared servers, then stop the servers it started."""
        if self._databases or self._namespaces:
            worker = threading.Thread(target=lambda: asyncio.run(self._drop_created()), daemon=True)
            worker.start()
            worker.join(60)
        for fn in reversed(self._cleanups):
            with contextlib.suppress(Exception):
                fn()

    async def _drop_created(self) -> None:
        with contextlib.suppress(Exception):
            admin = await asyncpg.connect(database_url_for(self.database_url, "postgres"))
            try:
                for name in self._databases:
                    with contextlib.suppress(Exception):
                        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()
        with contextlib.suppress(Exception):
            from ..messaging import Namespace, connect

            nc, js = await connect(self.nats_url, name="test-cleanup")
            try:
                prefixes = tuple(Namespace(ns).stream("") for ns in self._namespaces)
                for info in await js.streams_info():
                    if prefixes and info.config.name.startswith(prefixes):
                        with contextlib.suppress(Exception):
                            await js.delete_stream(info.config.name)
            finally:
                await nc.close()

    async def fresh_database(self, label: str = "t") -> str:
        """Create an empty database with a unique name; return its URL."""
        name = f"{label}_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(database_url_for(self.database_url, "postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        self._databases.append(name)
        return database_url_for(self.database_url, name)

    def fresh_namespace(self) -> str:
        ns = "t" + uuid.uuid4().hex[:10]
        self._namespaces.append(ns)
        return ns


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-not-found]

        client = docker.from_env(timeout=3)
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - no engine, no socket, no package
        return False


def provide_servers() -> TestServers:
    db_url, nats_url = os.environ.get("DATABASE_URL"), os.environ.get("NATS_URL")
    source = {"postgres": "env" if db_url else "", "nats": "env" if nats_url else ""}
    cleanups: list[Any] = []
    if (not db_url or not nats_url) and _docker_answers():
        from testcontainers.core.container import DockerContainer  # type: ignore[import-not-found]
        from testcontainers.postgres import PostgresContainer  # type: ignore[import-not-found]

        if not db_url:
            pg = PostgresContainer("postgres:16-alpine", driver=None).start()
            cleanups.append(pg.stop)
            db_url = pg.get_connection_url()
            source["postgres"] = "testcontainers"
        if not nats_url:
            nats = DockerContainer("nats:2.11-alpine").with_command("-js").with_exposed_ports(4222).start()
            cleanups.append(nats.stop)
            nats_url = f"nats://{nats.get_container_host_ip()}:{nats.get_exposed_port(4222)}"
            source["nats"] = "testcontainers"
    if not db_url or not nats_url:
        tmp = Path(tempfile.mkdtemp(prefix="sunmoon-test-"))
        os.chmod(tmp, 0o755)
        cleanups.append(lambda: shutil.rmtree(tmp, ignore_errors=True))
        if not db_url:
            pg = PostgresServer(tmp / "pg" / "data").start()
            cleanups.append(pg.stop)
            db_url = pg.url
            source["postgres"] = "embedded"
        if not nats_url:
            ns = NatsServer(tmp / "nats").start()
            cleanups.append(ns.stop)
            nats_url = ns.url
            source["nats"] = "embedded"
    return TestServers(db_url, nats_url, source, cleanups)
