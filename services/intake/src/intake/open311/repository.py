"""The SQL of the Open311 API (tables from migrations/0020_open311.sql)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

_VIEW = (
    "SELECT c.id, c.status, c.type, c.urgency, c.department, c.received_at, c.updated_at, c.address, c.lat,"
    " c.lon, c.resolution_note, o.service_code, o.public_description, o.media_url"
    " FROM complaints c JOIN open311_requests o ON o.complaint_id = c.id"
)


async def insert_request(conn: Any, row: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO open311_requests (complaint_id, token, service_code, attributes, public_description,"
        " address_string, media_url, api_key_id, jurisdiction_id, email_enc, device_id_enc, account_id_enc)"
        " VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12)",
        row["complaint_id"], row["token"], row["service_code"], json.dumps(row["attributes"], ensure_ascii=False),
        row["public_description"], row["address_string"], row["media_url"], row["api_key_id"],
        row["jurisdiction_id"], row["email_enc"], row["device_id_enc"], row["account_id_enc"])


async def get(pool: Any, request_id: uuid.UUID) -> Any:
    return await pool.fetchrow(f"{_VIEW} WHERE c.id = $1", request_id)


async def by_token(pool: Any, token: uuid.UUID) -> uuid.UUID | None:
    return await pool.fetchval("SELECT complaint_id FROM open311_requests WHERE token = $1", token)


async def search(pool: Any, *, ids: list[uuid.UUID] | None, codes: list[str] | None, statuses: list[str] | None,
                 start: datetime, end: datetime, limit: int) -> list[Any]:
    """Requests newest first. ``ids`` overrides every other filter, as the standard says."""
    if ids is not None:
        return await pool.fetch(f"{_VIEW} WHERE c.id = ANY($1::uuid[]) ORDER BY c.received_at DESC LIMIT $2",
                                ids, limit)
    where, args = ["c.received_at >= $1", "c.received_at <= $2"], [start, end]
    if codes:
        args.append(codes)
        where.append(f"COALESCE(c.type, o.service_code) = ANY(${len(args)}::text[])")
    if statuses and set(statuses) != {"open", "closed"}:
        where.append("c.status = 'resolved'" if statuses == ["closed"] else "c.status <> 'resolved'")
    args.append(limit)
    return await pool.fetch(
        f"{_VIEW} WHERE {' AND '.join(where)} ORDER BY c.received_at DESC, c.id LIMIT ${len(args)}", *args)
