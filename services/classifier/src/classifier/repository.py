"""All of the classifier's SQL."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

Db = asyncpg.Connection | asyncpg.Pool

_INSERT_COLUMNS = (
    "complaint_id, type, urgency, department, confidence, model_version, manual_id, matched_terms, scores,"
    " received_event_id, classified_event_id"
)
_CLASSIFICATION_COLUMNS = f"{_INSERT_COLUMNS}, classified_at"
_MANUAL_COLUMNS = "id, type, version, title, department, steps"


# -- classifications -------------------------------------------------------------------------
async def insert_classification(conn: asyncpg.Connection, row: dict[str, Any]) -> bool:
    """Insert the complaint's classification; False when the complaint already has one."""
    inserted = await conn.fetchval(
        f"INSERT INTO classifications ({_INSERT_COLUMNS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        " ON CONFLICT (complaint_id) DO NOTHING RETURNING true",
        row["complaint_id"], row["type"], row["urgency"], row["department"], row["confidence"],
        row["model_version"], row["manual_id"], row["matched_terms"], row["scores"],
        row["received_event_id"], row["classified_event_id"],
    )
    return bool(inserted)


async def classification(conn: Db, complaint_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_CLASSIFICATION_COLUMNS} FROM classifications WHERE complaint_id = $1", complaint_id)


async def is_classified(conn: Db, complaint_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM classifications WHERE complaint_id = $1", complaint_id))


# -- manuals ---------------------------------------------------------------------------------
async def current_manual(conn: Db, type_: str) -> asyncpg.Record | None:
    """The newest manual of a complaint type."""
    return await conn.fetchrow(
        f"SELECT {_MANUAL_COLUMNS} FROM manuals WHERE type = $1 ORDER BY version DESC LIMIT 1", type_)


async def current_manual_id(conn: Db, type_: str) -> str | None:
    return await conn.fetchval("SELECT id FROM manuals WHERE type = $1 ORDER BY version DESC LIMIT 1", type_)
