"""All of the classifier's SQL."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

Db = asyncpg.Connection | asyncpg.Pool

_INSERT_COLUMNS = (
    "complaint_id, type, urgency, department, confidence, model_version, manual_id, matched_terms, scores,"
    " received_event_id, classified_event_id, needs_review, candidates, draft_worker_sms, draft_citizen_reply,"
    " district, received_at, weather, weather_raised"
)
_CLASSIFICATION_COLUMNS = f"{_INSERT_COLUMNS}, classified_at, corrected_type, corrected_at"
_MANUAL_COLUMNS = "id, type, version, title, department, steps"


# -- classifications -------------------------------------------------------------------------
async def insert_classification(conn: asyncpg.Connection, row: dict[str, Any]) -> bool:
    """Insert the complaint's classification; False when the complaint already has one."""
    inserted = await conn.fetchval(
        f"INSERT INTO classifications ({_INSERT_COLUMNS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
        " ON CONFLICT (complaint_id) DO NOTHING RETURNING true",
        row["complaint_id"], row["type"], row["urgency"], row["department"], row["confidence"],
        row["model_version"], row["manual_id"], row["matched_terms"], row["scores"],
        row["received_event_id"], row["classified_event_id"], row.get("needs_review", False),
        row.get("candidates", []), row.get("draft_worker_sms"), row.get("draft_citizen_reply"),
        row.get("district"), row.get("received_at"), row.get("weather"), row.get("weather_raised", False),
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


# -- corrections -----------------------------------------------------------------------------
async def upsert_correction(conn: asyncpg.Connection, row: dict[str, Any]) -> None:
    """Keep the officer's label; a later correction of the same complaint replaces an earlier one."""
    await conn.execute(
        "INSERT INTO corrections (complaint_id, text, type, urgency, suggested_type, model_version, event_id,"
        " corrected_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (complaint_id) DO UPDATE SET text = EXCLUDED.text, type = EXCLUDED.type,"
        " urgency = EXCLUDED.urgency, suggested_type = EXCLUDED.suggested_type,"
        " model_version = EXCLUDED.model_version, event_id = EXCLUDED.event_id,"
        " corrected_at = EXCLUDED.corrected_at, received_at = now()"
        " WHERE corrections.corrected_at <= EXCLUDED.corrected_at",
        row["complaint_id"], row["text"], row["type"], row["urgency"], row["suggested_type"],
        row["model_version"], row["event_id"], row["corrected_at"])


async def mark_corrected(conn: asyncpg.Connection, complaint_id: uuid.UUID, type_: str, at: Any) -> None:
    await conn.execute(
        "UPDATE classifications SET corrected_type = $2, corrected_at = $3"
        " WHERE complaint_id = $1 AND (corrected_at IS NULL OR corrected_at <= $3)", complaint_id, type_, at)


async def corrections(conn: Db) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT text, type, urgency FROM corrections ORDER BY corrected_at")
