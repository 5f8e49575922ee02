"""All of reporting's SQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

_COLUMNS = (
    "complaint_id, received_at, channel, district, status, type, urgency, department,"
    " classification_event_at, classified_at, dispatched_at, acknowledged_at, resolved_at, sms_count, updated_at,"
    " warnings, weather_raised, nx, ny, precipitation_mm, temperature_c"
)
_LOCK = f"SELECT {_COLUMNS} FROM complaints WHERE complaint_id = $1 FOR UPDATE"
_RETURNING = f" RETURNING {_COLUMNS}"
_STAMPS = frozenset({"classified_at", "dispatched_at", "acknowledged_at", "resolved_at"})


async def lock_complaint(conn: asyncpg.Connection, complaint_id: uuid.UUID) -> asyncpg.Record:
    """The complaint's row, created empty if no event about it came yet, locked for this transaction.

    Most events find the row (one statement); the first one creates it, waiting for a concurrent creator."""
    row = await conn.fetchrow(_LOCK, complaint_id)
    if row is None:
        await conn.execute("INSERT INTO complaints (complaint_id) VALUES ($1) ON CONFLICT DO NOTHING", complaint_id)
        row = await conn.fetchrow(_LOCK, complaint_id)
    return row


async def set_received(conn: asyncpg.Connection, complaint_id: uuid.UUID, received_at: datetime,
                       channel: str, district: str | None, *, lat: float | None = None, lon: float | None = None,
                       nx: int | None = None, ny: int | None = None, summary: str | None = None) -> asyncpg.Record:
    """What the received event tells; the grid cell from the place wins over the weather's. The row after it."""
    return await conn.fetchrow(
        "UPDATE complaints SET received_at = $2, channel = $3, district = $4, lat = $5, lon = $6,"
        " nx = COALESCE($7, nx), ny = COALESCE($8, ny), summary = $9, updated_at = now()"
        " WHERE complaint_id = $1" + _RETURNING,
        complaint_id, received_at, channel, district, lat, lon, nx, ny, summary,
    )


async def set_classification(conn: asyncpg.Connection, complaint_id: uuid.UUID, *, type_: str, urgency: str,
                             department: str | None, event_at: datetime) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE complaints SET type = $2, urgency = $3, department = $4, classification_event_at = $5,"
        " updated_at = now() WHERE complaint_id = $1" + _RETURNING,
        complaint_id, type_, urgency, department, event_at,
    )


async def set_weather(conn: asyncpg.Connection, complaint_id: uuid.UUID, weather: dict[str, Any],
                      raised: bool) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE complaints SET weather = $2, weather_raised = $3, warnings = $4, precipitation_mm = $5,"
        " temperature_c = $6, hazards = $7, nx = COALESCE(nx, $8), ny = COALESCE(ny, $9), updated_at = now()"
        " WHERE complaint_id = $1" + _RETURNING, complaint_id, weather, raised, list(weather.get("warnings") or []),
        weather.get("precipitation_mm"), weather.get("temperature_c"), list(weather.get("hazards") or []),
        weather.get("nx"), weather.get("ny"))


async def record_surge(conn: asyncpg.Connection, s: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO surges (district, grp, detected_at, count, types, warnings) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT DO NOTHING", s["district"], s["group"], s["detected_at"], s["count"], s["types"], s["warnings"])


async def set_status(conn: asyncpg.Connection, complaint_id: uuid.UUID, status: str,
                     stamp: str | None, at: datetime) -> asyncpg.Record:
    """Set the status; ``stamp`` (a column) keeps the earliest time the status was reached. The row after it."""
    sets = "status = $2, updated_at = now()"
    if stamp is not None:
        if stamp not in _STAMPS:
            raise ValueError(f"unknown status stamp {stamp!r}")
        sets += f", {stamp} = LEAST({stamp}, $3)"
    return await conn.fetchrow(f"UPDATE complaints SET {sets} WHERE complaint_id = $1{_RETURNING}", complaint_id,
                               status, *([at] if stamp else []))


async def set_acknowledged(conn: asyncpg.Connection, complaint_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(
        "UPDATE complaints SET acknowledged_at = LEAST(acknowledged_at, $2), updated_at = now()"
        " WHERE complaint_id = $1",
        complaint_id, at,
    )


async def record_notification_sent(conn: asyncpg.Connection, n: dict[str, Any]) -> bool:
    """Record that a notification went out; True only the first time this notification is seen as sent."""
    first = await conn.fetchval(
        "INSERT INTO notifications (notification_id, complaint_id, team, role, provider, message_kind, sent_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (notification_id) DO UPDATE SET team = EXCLUDED.team, role = EXCLUDED.role,"
        " provider = EXCLUDED.provider, message_kind = EXCLUDED.message_kind, sent_at = EXCLUDED.sent_at"
        " WHERE notifications.sent_at IS NULL RETURNING true",
        n["notification_id"], n["complaint_id"], n["team"], n["role"], n["provider"], n["message_kind"],
        n["sent_at"],
    )
    return bool(first)


async def count_sms(conn: asyncpg.Connection, complaint_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE complaints SET sms_count = sms_count + 1, updated_at = now() WHERE complaint_id = $1",
        complaint_id,
    )


async def record_notification_acknowledged(conn: asyncpg.Connection, notification_id: uuid.UUID,
                                           complaint_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO notifications (notification_id, complaint_id, acknowledged_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (notification_id) DO UPDATE"
        " SET acknowledged_at = LEAST(notifications.acknowledged_at, EXCLUDED.acknowledged_at)",
        notification_id, complaint_id, at,
    )


async def upsert_observation(conn: asyncpg.Connection, o: dict[str, Any], event_at: datetime) -> None:
    """Keep the newest announcement of each observation (an older one arriving late changes nothing)."""
    await conn.execute(
        "INSERT INTO weather_observations (nx, ny, observed_at, source, temperature_c, precipitation_mm,"
        " humidity_pct, wind_speed_ms, precipitation_type, event_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (nx, ny, observed_at, source) DO UPDATE SET temperature_c = EXCLUDED.temperature_c,"
        " precipitation_mm = EXCLUDED.precipitation_mm, humidity_pct = EXCLUDED.humidity_pct,"
        " wind_speed_ms = EXCLUDED.wind_speed_ms, precipitation_type = EXCLUDED.precipitation_type,"
        " event_at = EXCLUDED.event_at WHERE weather_observations.event_at <= EXCLUDED.event_at",
        o["nx"], o["ny"], o["observed_at"], o["source"], o["temperature_c"], o["precipitation_mm"],
        o["humidity_pct"], o["wind_speed_ms"], o["precipitation_type"], event_at,
    )


async def get(conn: asyncpg.Connection | asyncpg.Pool, complaint_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM complaints WHERE complaint_id = $1", complaint_id)


async def summary_groups(conn: asyncpg.Connection | asyncpg.Pool, since: datetime,
                         until: datetime) -> list[tuple[str, str | None, str | None, int]]:
    """(status, type, urgency, count) of complaints received in [since, until)."""
    rows = await conn.fetch(
        "SELECT status, type, urgency, count(*) AS n FROM complaints"
        " WHERE received_at >= $1 AND received_at < $2 GROUP BY status, type, urgency",
        since, until,
    )
    return [(r["status"], r["type"], r["urgency"], r["n"]) for r in rows]
