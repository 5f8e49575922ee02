"""All of weather's SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import asyncpg

_COLUMNS = (
    "nx, ny, observed_at, source, temperature_c, precipitation_mm, humidity_pct, wind_speed_ms,"
    " precipitation_type, recorded_at"
)
_VALUES = ("temperature_c", "precipitation_mm", "humidity_pct", "wind_speed_ms", "precipitation_type")

Outcome = Literal["created", "updated", "unchanged"]


async def upsert_observation(conn: asyncpg.Connection, row: dict[str, Any]) -> tuple[asyncpg.Record, Outcome]:
    """Insert, or update the row with the same key when a value differs. Returns the stored row."""
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in _VALUES)
    current = ", ".join(f"observations.{c}" for c in _VALUES)
    incoming = ", ".join(f"EXCLUDED.{c}" for c in _VALUES)
    stored = await conn.fetchrow(
        f"INSERT INTO observations (nx, ny, observed_at, source, {', '.join(_VALUES)})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        f" ON CONFLICT (nx, ny, observed_at, source) DO UPDATE SET {sets}, recorded_at = now()"
        f" WHERE ({current}) IS DISTINCT FROM ({incoming})"
        f" RETURNING {_COLUMNS}, (xmax = 0) AS inserted",
        row["nx"], row["ny"], row["observed_at"], row["source"],
        *(row.get(c) for c in _VALUES),
    )
    if stored is not None:
        return stored, "created" if stored["inserted"] else "updated"
    existing = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM observations WHERE nx = $1 AND ny = $2 AND observed_at = $3 AND source = $4",
        row["nx"], row["ny"], row["observed_at"], row["source"],
    )
    return existing, "unchanged"


async def latest(conn: asyncpg.Connection | asyncpg.Pool, nx: int, ny: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM observations WHERE nx = $1 AND ny = $2"
        " ORDER BY observed_at DESC, recorded_at DESC LIMIT 1",
        nx, ny,
    )


async def between(conn: asyncpg.Connection | asyncpg.Pool, nx: int, ny: int, since: datetime,
                  until: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_COLUMNS} FROM observations WHERE nx = $1 AND ny = $2"
        " AND observed_at >= $3 AND observed_at < $4 ORDER BY observed_at, source LIMIT $5",
        nx, ny, since, until, limit,
    )
