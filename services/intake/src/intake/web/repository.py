"""The desk's SQL: the board, the map, the live feed and the personal-data access log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

_BOARD_COLUMNS = ("id, received_at, updated_at, status, channel, type, urgency, district, address, lat, lon,"
                  " description, needs_review, corrected_at, duplicate_of, held_at, sms_delivered_at, field_response")


async def tonight(pool: Any, since: datetime, limit: int = 500) -> list[Any]:
    return await pool.fetch(
        f"SELECT {_BOARD_COLUMNS} FROM complaints WHERE received_at >= $1 ORDER BY received_at DESC, id LIMIT $2",
        since, limit)


async def changed_since(pool: Any, watermark: datetime, limit: int = 200) -> list[Any]:
    """Rows updated after ``watermark`` less a margin: a transaction that began before the last look but
    committed after it has an older ``updated_at``; the caller drops what it has sent already."""
    return await pool.fetch(
        f"SELECT {_BOARD_COLUMNS} FROM complaints WHERE updated_at > $1::timestamptz - interval '10 seconds'"
        " ORDER BY updated_at LIMIT $2", watermark, limit)


async def now(pool: Any) -> datetime:
    return await pool.fetchval("SELECT now()")


async def open_on_map(pool: Any, limit: int = 1000) -> list[Any]:
    return await pool.fetch(
        f"SELECT {_BOARD_COLUMNS} FROM complaints WHERE status <> 'resolved' AND lat IS NOT NULL"
        " ORDER BY received_at DESC LIMIT $1", limit)


async def access_log(pool: Any, complaint_id: uuid.UUID | None = None, limit: int = 200) -> list[Any]:
    if complaint_id is None:
        return await pool.fetch("SELECT id, at, user_name, complaint_id, fields, reason, client_ip FROM pii_access_log"
                                " ORDER BY at DESC LIMIT $1", limit)
    return await pool.fetch("SELECT id, at, user_name, complaint_id, fields, reason, client_ip FROM pii_access_log"
                            " WHERE complaint_id = $1 ORDER BY at DESC LIMIT $2", complaint_id, limit)
