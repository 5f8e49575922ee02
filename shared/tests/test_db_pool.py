"""The pool resets a connection only when a statement left session state behind (real PostgreSQL)."""

import asyncpg

from sunmoon.db import create_pool


async def _session_locks(admin: asyncpg.Connection, key: int) -> int:
    return await admin.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1", key)


async def test_a_forgotten_session_lock_is_released_when_the_connection_goes_back(servers):
    dsn = await servers.fresh_database("pool")
    pool = await create_pool(dsn, min_size=1, max_size=1)
    admin = await asyncpg.connect(dsn)
    try:
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT pg_try_advisory_lock(424242)")
            await conn.execute("SET statement_timeout = '7s'")
        assert await _session_locks(admin, 424242) == 0
        async with pool.acquire() as conn:  # the same (only) connection, as new
            assert await conn.fetchval("SHOW statement_timeout") == "0"
    finally:
        await admin.close()
        await pool.close()


async def test_plain_statements_skip_the_reset_round_trip(servers):
    dsn = await servers.fresh_database("pool")
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL work_mem = '8MB'")
            await conn.fetchval("SELECT pg_advisory_xact_lock(1)")
            raw = conn._con
        assert raw._session_dirty is False
        calls = []
        original = raw.get_reset_query
        raw.get_reset_query = lambda: calls.append(1) or original()
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
        assert calls == []
        async with pool.acquire() as conn:
            await conn.execute("LISTEN somewhere")
        assert calls == [1] and raw._session_dirty is False
    finally:
        await pool.close()


async def test_an_open_transaction_is_still_rolled_back(servers):
    dsn = await servers.fresh_database("pool")
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("CREATE TABLE t (a int)")
        conn = await pool.acquire()
        await conn.execute("BEGIN")
        await conn.execute("INSERT INTO t VALUES (1)")
        await pool.release(conn)
        assert await pool.fetchval("SELECT count(*) FROM t") == 0
    finally:
        await pool.close()
