"""The SQL of the manual-editing and guidance endpoints (``api_guidance``).

Manuals are versioned rows (``manual-<type>-v<N>``): an edit inserts version N+1 and never
changes an older row, so a classification keeps pointing at the text it was made with.
"""

from __future__ import annotations

from typing import Any

import asyncpg

Db = asyncpg.Connection | asyncpg.Pool

MANUAL_COLUMNS = ("id, type, version, title, department, steps, phone_checks, tell_citizen, after_hours_team,"
                  " agencies, edited_by, note, created_at")


class StaleVersion(Exception):
    """The editor started from a version that is no longer the newest."""

    def __init__(self, current: int | None) -> None:
        super().__init__(f"newest version is {current}")
        self.current = current


async def newest_manual(conn: Db, type_: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {MANUAL_COLUMNS} FROM manuals WHERE type = $1 ORDER BY version DESC LIMIT 1", type_)


async def manual_versions(conn: Db, type_: str) -> list[asyncpg.Record]:
    """Every version of a type's manual, newest first."""
    return await conn.fetch(f"SELECT {MANUAL_COLUMNS} FROM manuals WHERE type = $1 ORDER BY version DESC", type_)


async def add_manual_version(pool: asyncpg.Pool, type_: str, manual: dict[str, Any],
                             base_version: int | None = None) -> asyncpg.Record:
    """Insert the next version of a type's manual and return it.

    Writers of one type are serialised by a transaction-scoped advisory lock, so two editors
    saving at once get versions N+1 and N+2 rather than a conflict. With ``base_version``
    the insert is refused (``StaleVersion``) unless that is still the newest version.
    """
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('classifier.manuals:' || $1, 0))", type_)
        current = await conn.fetchval("SELECT max(version) FROM manuals WHERE type = $1", type_)
        if base_version is not None and base_version != current:
            raise StaleVersion(current)
        version = (current or 0) + 1
        return await conn.fetchrow(
            "INSERT INTO manuals (id, type, version, title, department, steps, phone_checks, tell_citizen,"
            " after_hours_team, agencies, edited_by, note)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            f" RETURNING {MANUAL_COLUMNS}",
            f"manual-{type_}-v{version}", type_, version, manual["title"], manual["department"], manual["steps"],
            manual["phone_checks"], manual["tell_citizen"], manual["after_hours_team"], manual["agencies"],
            manual["edited_by"], manual.get("note"),
        )
