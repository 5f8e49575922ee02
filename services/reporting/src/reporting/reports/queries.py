"""The SQL a report reads: complaints received in the range, their notifications, the weather."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

Db = asyncpg.Connection | asyncpg.Pool

COMPLAINT_COLUMNS = (
    "complaint_id", "received_at", "channel", "district", "status", "type", "urgency", "department",
    "classified_at", "dispatched_at", "acknowledged_at", "resolved_at", "sms_count", "warnings",
    "weather_raised", "summary", "precipitation_mm", "temperature_c",
)
NOTIFICATION_COLUMNS = (
    "notification_id", "complaint_id", "team", "role", "provider", "message_kind", "sent_at",
    "acknowledged_at", "type", "district", "received_at",
)


async def complaints(db: Db, since: datetime, until: datetime) -> list[tuple]:
    rows = await db.fetch(
        f"SELECT {', '.join(COMPLAINT_COLUMNS)} FROM complaints"
        " WHERE received_at >= $1 AND received_at < $2 ORDER BY received_at, complaint_id", since, until)
    return [tuple(r) for r in rows]


async def notifications(db: Db, since: datetime, until: datetime) -> list[tuple]:
    """Notifications about complaints received in the range, and any sent in it (a late follow-up)."""
    cols = "n.notification_id, n.complaint_id, n.team, n.role, n.provider, n.message_kind, n.sent_at," \
           " n.acknowledged_at, c.type, c.district, c.received_at"
    rows = await db.fetch(
        f"SELECT {cols} FROM notifications n JOIN complaints c USING (complaint_id)"
        " WHERE c.received_at >= $1 AND c.received_at < $2"
        f" UNION SELECT {cols} FROM notifications n LEFT JOIN complaints c USING (complaint_id)"
        " WHERE n.sent_at >= $1 AND n.sent_at < $2"
        " ORDER BY 7 NULLS LAST, 1", since, until)
    return [tuple(r) for r in rows]


async def surges(db: Db, since: datetime, until: datetime) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT district, grp, detected_at, count, types, warnings FROM surges"
        " WHERE detected_at >= $1 AND detected_at < $2 ORDER BY detected_at", since, until)
    return [dict(r) for r in rows]


async def observations(db: Db, since: datetime, until: datetime) -> dict[str, Any]:
    """The extremes the weather service recorded in the range (every grid cell of the city)."""
    row = await db.fetchrow(
        "SELECT count(*) AS n, max(precipitation_mm) AS max_precipitation_mm, min(temperature_c) AS min_temperature_c,"
        " max(temperature_c) AS max_temperature_c, max(wind_speed_ms) AS max_wind_speed_ms"
        " FROM weather_observations WHERE observed_at >= $1 AND observed_at < $2", since, until)
    return dict(row)
