"""All of intake's SQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

_COLUMNS = (
    "id, received_at, created_at, updated_at, channel, description, address, district, lat, lon, "
    "complainant_name_enc, complainant_phone_enc, status, type, urgency, department, confidence, "
    "model_version, classified_at, dispatched_at, acknowledged_at, resolved_at, resolution_note, "
    "suggested_type, suggested_urgency, needs_review, candidates, corrected_at, weather, weather_raised, "
    "duplicate_of, linked_at, held_at, hold_reason, dispatch_requested_at, dispatch_attempt, dispatch_event_id, "
    "dispatch_worker_id, sms_delivered_at, field_response, field_response_at"
)


async def insert_complaint(conn: asyncpg.Connection, row: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO complaints (id, received_at, channel, description, address, district, lat, lon,"
        " complainant_name_enc, complainant_phone_enc, complainant_phone_idx)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        row["id"], row["received_at"], row["channel"], row["description"], row["address"],
        row["district"], row["lat"], row["lon"], row["name_enc"], row["phone_enc"], row["phone_idx"],
    )
    await add_history(conn, row["id"], "received", None)


async def add_history(conn: asyncpg.Connection, complaint_id: uuid.UUID, status: str, reason: str | None) -> None:
    await conn.execute(
        "INSERT INTO complaint_status_history (complaint_id, status, reason) VALUES ($1, $2, $3)",
        complaint_id, status, reason,
    )


async def get_for_update(conn: asyncpg.Connection, complaint_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM complaints WHERE id = $1 FOR UPDATE", complaint_id)


async def get(conn: asyncpg.Connection | asyncpg.Pool, complaint_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM complaints WHERE id = $1", complaint_id)


async def history(conn: asyncpg.Connection | asyncpg.Pool, complaint_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT status, at, reason FROM complaint_status_history WHERE complaint_id = $1 ORDER BY id",
        complaint_id,
    )


async def set_status(conn: asyncpg.Connection, complaint_id: uuid.UUID, status: str, at: datetime,
                     reason: str | None = None, **fields: Any) -> None:
    stamp = {"dispatched": "dispatched_at", "acknowledged": "acknowledged_at",
             "resolved": "resolved_at", "classified": "classified_at"}.get(status)
    sets = ["status = $2", "updated_at = now()"]
    args: list[Any] = [complaint_id, status]
    if stamp:
        args.append(at)
        sets.append(f"{stamp} = COALESCE({stamp}, ${len(args)})")
    for name, value in fields.items():
        args.append(value)
        sets.append(f"{name} = ${len(args)}")
    args.append(reason)
    # one round trip: the row and its history line
    await conn.execute(
        f"WITH changed AS (UPDATE complaints SET {', '.join(sets)} WHERE id = $1 RETURNING id)"
        f" INSERT INTO complaint_status_history (complaint_id, status, reason) SELECT id, $2, ${len(args)}::text"
        " FROM changed", *args)


async def set_fields(conn: asyncpg.Connection, complaint_id: uuid.UUID, **fields: Any) -> None:
    args: list[Any] = [complaint_id]
    sets = ["updated_at = now()"]
    for name, value in fields.items():
        args.append(value)
        sets.append(f"{name} = ${len(args)}")
    await conn.execute(f"UPDATE complaints SET {', '.join(sets)} WHERE id = $1", *args)


async def search(
    pool: asyncpg.Pool, *, status: str | None, type_: str | None, urgency: str | None,
    channel: str | None, since: datetime | None, until: datetime | None, phone_idx: bytes | None,
    limit: int, offset: int, needs_review: bool | None = None,
) -> tuple[list[asyncpg.Record], int]:
    where, args = [], []
    for column, value in (("status", status), ("type", type_), ("urgency", urgency), ("channel", channel),
                          ("complainant_phone_idx", phone_idx), ("needs_review", needs_review)):
        if value is not None:
            args.append(value)
            where.append(f"{column} = ${len(args)}")
    if since is not None:
        args.append(since)
        where.append(f"received_at >= ${len(args)}")
    if until is not None:
        args.append(until)
        where.append(f"received_at < ${len(args)}")
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    total = await pool.fetchval(f"SELECT count(*) FROM complaints {clause}", *args)
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM complaints {clause} ORDER BY received_at DESC, id"
        f" LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
        *args, limit, offset,
    )
    return rows, total


# -- duplicates and links (see dispatch.py) ----------------------------------------------------------
_DISTANCE = ("2 * 6371008.8 * asin(least(1, sqrt(power(sin(radians(lat - $1) / 2), 2)"
             " + cos(radians($1)) * cos(radians(lat)) * power(sin(radians(lon - $2) / 2), 2))))")


async def duplicates(conn: Any, *, lat: float, lon: float, type_: str, since: datetime, within_m: float,
                     box: Any, exclude: uuid.UUID | None = None, limit: int = 20) -> list[asyncpg.Record]:
    """Open complaints of ``type_`` (or suggested so) within ``within_m`` of the point, received since
    ``since``, nearest first: a bounding box narrows, the haversine distance decides."""
    return await conn.fetch(
        f"SELECT * FROM (SELECT {_COLUMNS}, {_DISTANCE} AS distance_m FROM complaints"
        " WHERE status <> 'resolved' AND COALESCE(type, suggested_type) = $3 AND received_at >= $4"
        " AND lat BETWEEN $5 AND $6 AND lon BETWEEN $7 AND $8 AND id IS DISTINCT FROM $9) d"
        " WHERE distance_m <= $10 ORDER BY distance_m, received_at DESC LIMIT $11",
        lat, lon, type_, since, box.lat_min, box.lat_max, box.lon_min, box.lon_max, exclude, within_m, limit)


async def linked_to(conn: Any, primary_id: uuid.UUID, *, for_update: bool = False) -> list[asyncpg.Record]:
    """The complaints linked to ``primary_id``, oldest first."""
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetch(
        f"SELECT {_COLUMNS} FROM complaints WHERE duplicate_of = $1 ORDER BY received_at, id{lock}", primary_id)


async def set_link(conn: asyncpg.Connection, complaint_id: uuid.UUID, primary_id: uuid.UUID, at: datetime) -> None:
    await conn.execute("UPDATE complaints SET duplicate_of = $2, linked_at = $3, updated_at = now() WHERE id = $1",
                       complaint_id, primary_id, at)
