"""PostgreSQL helpers: create the service's database, apply migrations, open a pool.

Migrations are numbered ``.sql`` files. The shared messaging tables (outbox,
inbox, dead letters) come first from this package, then the service's own
``migrations/`` folder. Each file runs once, in its own transaction, under an
advisory lock so replicas starting together do not race.
"""

from __future__ import annotations

import json
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


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=_init_connection)


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
