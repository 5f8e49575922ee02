"""All of the notifier's SQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from .domain import Team, Worker

Db = asyncpg.Connection | asyncpg.Pool


# -- roster ----------------------------------------------------------------------------------
async def load_roster(conn: Db) -> tuple[list[Team], list[Worker]]:
    """Teams and workers as the selection rules need them (no personal data)."""
    teams = [
        Team(id=r["id"], name=r["name"], types=tuple(r["types"]),
             districts=tuple(r["districts"]) if r["districts"] is not None else None, fallback=r["fallback"])
        for r in await conn.fetch("SELECT id, name, types, districts, fallback FROM teams")
    ]
    workers = [
        Worker(id=r["id"], team_id=r["team_id"], role=r["role"], active=r["active"])
        for r in await conn.fetch("SELECT id, team_id, role, active FROM workers")
    ]
    return teams, workers


async def upsert_team(conn: asyncpg.Connection, team: Team) -> bool:
    """Insert or update a team; True when it is new."""
    return await conn.fetchval(
        "INSERT INTO teams (id, name, types, districts, fallback) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, types = EXCLUDED.types,"
        " districts = EXCLUDED.districts, fallback = EXCLUDED.fallback, updated_at = now()"
        " RETURNING (xmax = 0)",
        team.id, team.name, list(team.types), list(team.districts) if team.districts is not None else None,
        team.fallback,
    )


async def upsert_worker(conn: asyncpg.Connection, worker: Worker, *, name_enc: bytes, phone_enc: bytes,
                        phone_idx: bytes) -> bool:
    """Insert or update a worker; True when it is new."""
    return await conn.fetchval(
        "INSERT INTO workers (id, team_id, role, active, name_enc, phone_enc, phone_idx)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (id) DO UPDATE SET team_id = EXCLUDED.team_id, role = EXCLUDED.role,"
        " active = EXCLUDED.active, name_enc = EXCLUDED.name_enc, phone_enc = EXCLUDED.phone_enc,"
        " phone_idx = EXCLUDED.phone_idx, updated_at = now()"
        " RETURNING (xmax = 0)",
        worker.id, worker.team_id, worker.role, worker.active, name_enc, phone_enc, phone_idx,
    )


async def roster_rows(pool: Db) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    teams = await pool.fetch("SELECT id, name, types, districts, fallback FROM teams ORDER BY fallback, id")
    workers = await pool.fetch(
        "SELECT id, team_id, role, active, name_enc, phone_enc FROM workers"
        " ORDER BY team_id, array_position(ARRAY['primary','backup','supervisor'], role), id")
    return teams, workers


# -- notifications ---------------------------------------------------------------------------
async def insert_notification(conn: asyncpg.Connection, row: dict[str, Any]) -> uuid.UUID | None:
    """Insert a pending notification; None when one with the same idempotency key exists."""
    return await conn.fetchval(
        "INSERT INTO notifications (id, complaint_id, worker_id, team_id, role, idempotency_key,"
        " complaint_type, urgency, place, text, message_kind, size_bytes, event_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        row["id"], row["complaint_id"], row["worker_id"], row["team_id"], row["role"],
        row["idempotency_key"], row["complaint_type"], row["urgency"], row["place"], row["text"],
        row["message_kind"], row["size_bytes"], row["event_id"],
    )


async def claim_pending(conn: asyncpg.Connection) -> asyncpg.Record | None:
    """The oldest notification due for sending, locked; skipped by other senders."""
    return await conn.fetchrow(
        "SELECT n.id, n.complaint_id, n.worker_id, n.role, n.idempotency_key, n.text, n.message_kind,"
        " n.size_bytes, n.attempts, t.name AS team_name, w.phone_enc"
        " FROM notifications n JOIN workers w ON w.id = n.worker_id JOIN teams t ON t.id = n.team_id"
        " WHERE n.status = 'pending' AND n.next_attempt_at <= now()"
        " ORDER BY n.next_attempt_at, n.created_at LIMIT 1 FOR UPDATE OF n SKIP LOCKED"
    )


async def mark_sent(conn: asyncpg.Connection, notification_id: uuid.UUID, *, provider: str,
                    message_id: str | None, token_hash: bytes, expires_at: datetime, sent_at: datetime) -> None:
    await conn.execute(
        "UPDATE notifications SET status = 'sent', attempts = attempts + 1, last_error = NULL,"
        " provider = $2, provider_message_id = $3, ack_token_hash = $4, ack_expires_at = $5, sent_at = $6"
        " WHERE id = $1",
        notification_id, provider, message_id, token_hash, expires_at, sent_at,
    )


async def mark_retry(conn: asyncpg.Connection, notification_id: uuid.UUID, error: str, delay_s: float) -> None:
    await conn.execute(
        "UPDATE notifications SET attempts = attempts + 1, last_error = $2,"
        " next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
        notification_id, error[:1000], delay_s,
    )


async def mark_failed(conn: asyncpg.Connection, notification_id: uuid.UUID, error: str) -> None:
    await conn.execute(
        "UPDATE notifications SET status = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1",
        notification_id, error[:1000],
    )


_LIST_COLUMNS = (
    "n.id, n.complaint_id, n.worker_id, n.team_id, t.name AS team_name, n.role, n.status, n.complaint_type,"
    " n.urgency, n.place, n.text, n.message_kind, n.size_bytes, n.attempts, n.last_error, n.provider,"
    " n.created_at, n.sent_at, n.ack_expires_at, n.acknowledged_at, w.name_enc"
)


async def list_notifications(pool: Db, *, complaint_id: uuid.UUID | None, status: str | None,
                             limit: int, offset: int) -> list[asyncpg.Record]:
    where, args = [], []
    for column, value in (("n.complaint_id", complaint_id), ("n.status", status)):
        if value is not None:
            args.append(value)
            where.append(f"{column} = ${len(args)}")
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    return await pool.fetch(
        f"SELECT {_LIST_COLUMNS} FROM notifications n JOIN workers w ON w.id = n.worker_id"
        f" JOIN teams t ON t.id = n.team_id {clause} ORDER BY n.created_at DESC, n.id"
        f" LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
        *args, limit, offset,
    )


async def by_token_hash(conn: Db, token_hash: bytes, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE OF n" if for_update else ""
    return await conn.fetchrow(
        "SELECT n.id, n.complaint_id, n.worker_id, n.status, n.complaint_type, n.urgency, n.place,"
        " n.created_at, n.sent_at, n.ack_expires_at, n.acknowledged_at, now() AS db_now"
        f" FROM notifications n WHERE n.ack_token_hash = $1{lock}",
        token_hash,
    )


async def mark_acknowledged(conn: asyncpg.Connection, notification_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(
        "UPDATE notifications SET status = 'acknowledged', acknowledged_at = $2 WHERE id = $1",
        notification_id, at,
    )


# -- console SMS gateway ---------------------------------------------------------------------
async def record_console_sms(conn: asyncpg.Connection, *, idempotency_key: str, recipient_phone_enc: bytes,
                             sender: str, text: str, kind: str, size_bytes: int) -> tuple[int, bool]:
    """Record a console message once per key; (id, True) when new, (existing id, False) otherwise."""
    new_id = await conn.fetchval(
        "INSERT INTO sms_messages (idempotency_key, recipient_phone_enc, sender, text, kind, bytes)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        idempotency_key, recipient_phone_enc, sender, text, kind, size_bytes,
    )
    if new_id is not None:
        return new_id, True
    return await conn.fetchval("SELECT id FROM sms_messages WHERE idempotency_key = $1", idempotency_key), False


async def list_console_sms(pool: Db, *, limit: int, offset: int) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT id, idempotency_key, recipient_phone_enc, sender, text, kind, bytes, created_at"
        " FROM sms_messages ORDER BY id DESC LIMIT $1 OFFSET $2",
        limit, offset,
    )


SENDER_CHANNEL = "notifier_sms"


async def wake_sender(conn: asyncpg.Connection) -> None:
    await conn.execute(f"NOTIFY {SENDER_CHANNEL}")  # delivered at commit, dropped on rollback
