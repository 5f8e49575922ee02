"""All of weather's SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool
_COLUMNS = (
    "nx, ny, observed_at, source, temperature_c, precipitation_mm, humidity_pct, wind_speed_ms,"
    " precipitation_type, wind_direction_deg, simulated, recorded_at"
)
_VALUES = ("temperature_c", "precipitation_mm", "humidity_pct", "wind_speed_ms", "precipitation_type",
           "wind_direction_deg")

Outcome = Literal["created", "updated", "unchanged"]


# -- observations -----------------------------------------------------------------------------
async def upsert_observation(conn: asyncpg.Connection, row: dict[str, Any]) -> tuple[asyncpg.Record, Outcome]:
    """Insert, or update the row with the same key when a value differs. Returns the stored row."""
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in _VALUES)
    current = ", ".join(f"observations.{c}" for c in _VALUES)
    incoming = ", ".join(f"EXCLUDED.{c}" for c in _VALUES)
    stored = await conn.fetchrow(
        f"INSERT INTO observations (nx, ny, observed_at, source, simulated, {', '.join(_VALUES)})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        f" ON CONFLICT (nx, ny, observed_at, source) DO UPDATE SET {sets}, simulated = EXCLUDED.simulated,"
        " recorded_at = now()"
        f" WHERE ({current}, observations.simulated) IS DISTINCT FROM ({incoming}, EXCLUDED.simulated)"
        f" RETURNING {_COLUMNS}, (xmax = 0) AS inserted",
        row["nx"], row["ny"], row["observed_at"], row["source"], bool(row.get("simulated", False)),
        *(row.get(c) for c in _VALUES),
    )
    if stored is not None:
        return stored, "created" if stored["inserted"] else "updated"
    existing = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM observations WHERE nx = $1 AND ny = $2 AND observed_at = $3 AND source = $4",
        row["nx"], row["ny"], row["observed_at"], row["source"],
    )
    return existing, "unchanged"


async def latest(conn: Conn, nx: int, ny: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM observations WHERE nx = $1 AND ny = $2"
        " ORDER BY observed_at DESC, recorded_at DESC LIMIT 1",
        nx, ny,
    )


async def latest_at(conn: Conn, nx: int, ny: int, at: datetime) -> asyncpg.Record | None:
    """The newest observation of a cell at or before ``at`` (a real one before a simulated one)."""
    return await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM observations WHERE nx = $1 AND ny = $2 AND observed_at <= $3"
        " ORDER BY observed_at DESC, simulated, recorded_at DESC LIMIT 1",
        nx, ny, at,
    )


async def between(conn: Conn, nx: int, ny: int, since: datetime,
                  until: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_COLUMNS} FROM observations WHERE nx = $1 AND ny = $2"
        " AND observed_at >= $3 AND observed_at < $4 ORDER BY observed_at, source LIMIT $5",
        nx, ny, since, until, limit,
    )


# -- warnings -----------------------------------------------------------------------------------
_WARNING_COLUMNS = "area, kind, level, announced_at, effective_at, station, source, simulated, since"


async def warnings_in_force(conn: Conn, area: str, *, for_update: bool = False) -> dict[str, asyncpg.Record]:
    """kind -> row of the warnings in force now for the area."""
    lock = " FOR UPDATE" if for_update else ""
    rows = await conn.fetch(
        f"SELECT {_WARNING_COLUMNS} FROM warnings_in_force WHERE area = $1 ORDER BY kind{lock}", area)
    return {r["kind"]: r for r in rows}


async def store_warning_change(conn: asyncpg.Connection, *, area: str, kind: str, level: str, status: str,
                               announced_at: datetime, effective_at: datetime | None, station: int,
                               source: str, simulated: bool) -> None:
    """Apply one change to the current state and append it to the history."""
    if status == "lifted":
        await conn.execute("DELETE FROM warnings_in_force WHERE area = $1 AND kind = $2", area, kind)
    else:
        await conn.execute(
            "INSERT INTO warnings_in_force (area, kind, level, announced_at, effective_at, station, source, simulated)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (area, kind) DO UPDATE SET level = EXCLUDED.level, announced_at = EXCLUDED.announced_at,"
            " effective_at = EXCLUDED.effective_at, station = EXCLUDED.station, source = EXCLUDED.source,"
            " simulated = EXCLUDED.simulated, updated_at = now()",
            area, kind, level, announced_at, effective_at, station, source, simulated)
    await conn.execute(
        "INSERT INTO warning_changes (area, kind, level, status, announced_at, effective_at, valid_from, station,"
        " source, simulated) VALUES ($1, $2, $3, $4, $5, $6, coalesce($6::timestamptz, $5::timestamptz), $7, $8, $9)",
        area, kind, level, status, announced_at, effective_at, station, source, simulated)


async def warnings_at(conn: Conn, area: str, at: datetime) -> list[asyncpg.Record]:
    """The warnings in force for the area at ``at``: per kind, the last change valid by then, unless lifted."""
    return await conn.fetch(
        "SELECT area, kind, level, announced_at, effective_at, station, source, simulated, valid_from AS since"
        " FROM (SELECT DISTINCT ON (kind) * FROM warning_changes WHERE area = $1 AND valid_from <= $2"
        "       ORDER BY kind, valid_from DESC, id DESC) last"
        " WHERE status <> 'lifted' ORDER BY kind",
        area, at)


# -- the poller's schedule ------------------------------------------------------------------------
async def poll_job(conn: Conn, job: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM poll_jobs WHERE job = $1", job)


async def poll_jobs(conn: Conn) -> dict[str, asyncpg.Record]:
    return {r["job"]: r for r in await conn.fetch("SELECT * FROM poll_jobs ORDER BY job")}


async def save_poll_job(conn: Conn, job: str, **fields: Any) -> None:
    """Insert or update the job's row with the given columns (details as a dict: the pool's jsonb codec)."""
    names = list(fields)
    placeholders = ", ".join(f"${i + 2}" + ("::jsonb" if n == "details" else "") for i, n in enumerate(names))
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names)
    await conn.execute(
        f"INSERT INTO poll_jobs (job{''.join(', ' + n for n in names)}) VALUES ($1{', ' if names else ''}{placeholders})"
        f" ON CONFLICT (job) DO UPDATE SET {updates}{', ' if names else ''}updated_at = now()",
        job, *fields.values())
