"""PostgreSQL helpers: create the service's database, apply migrations, open a pool.

Migrations are numbered ``.sql`` files. The shared messaging tables (outbox,
inbox, dead letters) come first from this package, then the service's own
``migrations/`` folder. Each file runs once, in its own transaction, under an
advisory lock so replicas starting together do not race.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from .logging import get_logger
from .settings import database_url_for

log = get_logger(__name__)
_LOCK_ID = 0x53554E4D  # "SUNM"


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(typ, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


# Statements that leave state in the *session* (beyond the transaction): a session advisory lock, LISTEN,
# a plain SET, a temporary table, an open cursor. Transaction-scoped forms (pg_advisory_xact_lock, SET LOCAL)
# do not match.
_SESSION_STATE = re.compile(r"advisory_lock\s*\(|\bLISTEN\b|(^|;)\s*SET\s+(?!LOCAL\b)|\bset_config\s*\(|\bTEMP(ORARY)?\s+TABLE\b"
                            r"|\bDECLARE\b", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def _leaves_session_state(query: str) -> bool:
    """Whether ``query`` may leave session state (cached: the services send a few hundred distinct texts, and
    the search itself was 3-6% of a busy service's CPU)."""
    return _SESSION_STATE.search(query) is not None


class PoolConnection(asyncpg.Connection):
    """A pooled connection that remembers whether a statement left session state behind.

    asyncpg resets every connection it takes back into the pool with ``SELECT pg_advisory_unlock_all();
    CLOSE ALL; UNLISTEN *; RESET ALL`` - one more round trip on every release (measured: a short
    acquire-query-release round took 275 us with it, 160 us without). Almost no statement here leaves anything
    to reset, so
    :func:`_reset_if_needed` runs that query only after one that did (checked on the statement's text).
    Open transactions are always rolled back by the pool, whatever this says.
    """

    _session_dirty = False

    def _note(self, query: str) -> None:
        if not self._session_dirty and _leaves_session_state(query):
            self._session_dirty = True

    async def execute(self, query: str, *args, **kw):  # type: ignore[override]
        self._note(query)
        return await super().execute(query, *args, **kw)

    async def fetch(self, query: str, *args, **kw):  # type: ignore[override]
        self._note(query)
        return await super().fetch(query, *args, **kw)

    async def fetchrow(self, query: str, *args, **kw):  # type: ignore[override]
        self._note(query)
        return await super().fetchrow(query, *args, **kw)

    async def fetchval(self, query: str, *args, **kw):  # type: ignore[override]
        self._note(query)
        return await super().fetchval(query, *args, **kw)

    async def executemany(self, command: str, args, **kw):  # type: ignore[override]
        self._note(command)
        return await super().executemany(command, args, **kw)

    async def add_listener(self, channel, callback):  # type: ignore[override]
        self._session_dirty = True
        return await super().add_listener(channel, callback)

    def cursor(self, query: str, *args, **kw):  # type: ignore[override]
        self._note(query)
        return super().cursor(query, *args, **kw)

    async def prepare(self, query: str, **kw):  # type: ignore[override]
        self._note(query)
        return await super().prepare(query, **kw)


async def _reset_if_needed(conn: asyncpg.Connection) -> None:
    """The pool's reset (after asyncpg has rolled back any open transaction): the full reset query only when
    the connection may hold session state."""
    if getattr(conn, "_session_dirty", True):
        query = conn.get_reset_query()
        if query:
            await conn.execute(query)
        conn._session_dirty = False


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=_init_connection,
                                     connection_class=PoolConnection, reset=_reset_if_needed)


async def connect(dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn


async def ensure_database(dsn: str) -> bool:
    """Create the database named in ``dsn`` if it does not exist. True when created."""
    dbname = urlsplit(dsn).path.lstrip("/")
    admin = await asyncpg.connect(database_url_for(dsn, "postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", dbname)
        if exists:
            return False
        try:
            await admin.execute(f'CREATE DATABASE "{dbname}"')
        except asyncpg.DuplicateDatabaseError:
            return False
        log.info("database created", database=dbname)
        return True
    finally:
        await admin.close()


def _shared_migrations() -> list[tuple[str, str]]:
    folder = resources.files("sunmoon") / "migrations"
    return sorted(
        (f"shared/{p.name}", p.read_text(encoding="utf-8"))
        for p in folder.iterdir()
        if p.name.endswith(".sql")
    )


def _folder_migrations(folder: Path, label: str) -> list[tuple[str, str]]:
    return sorted((f"{label}/{p.name}", p.read_text(encoding="utf-8")) for p in Path(folder).glob("*.sql"))


async def migrate(dsn: str, migrations_dir: Path, *, label: str) -> list[str]:
    """Create the database if needed and apply pending migrations. Returns the applied names."""
    await ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    applied: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for name, sql in _shared_migrations() + _folder_migrations(migrations_dir, label):
            if name in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations(name) VALUES ($1)", name)
            applied.append(name)
            log.info("migration applied", migration=name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
        await conn.close()
    return applied
