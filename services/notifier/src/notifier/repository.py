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


_SEND_COLUMNS = (
    "n.id, n.complaint_id, n.worker_id, n.role, n.idempotency_key, n.text, n.message_kind, n.size_bytes,"
    " n.attempts, n.provider_attempts, n.failover, n.provider, n.provider_request_id, n.provider_message_id,"
    " n.ack_token_hash, n.send_started_at, n.status, t.name AS team_name, w.phone_enc"
)
_SEND_FROM = "FROM notifications n JOIN workers w ON w.id = n.worker_id JOIN teams t ON t.id = n.team_id"


async def claim_pending(conn: asyncpg.Connection) -> asyncpg.Record | None:
    """The oldest notification due for sending, locked; skipped by other senders.

    A notification with an attempt in flight (``delivery_status = 'sending'``) is never
    claimed here: it is reconciled with the gateway first (:func:`claim_in_doubt`).
    """
    return await conn.fetchrow(
        f"SELECT {_SEND_COLUMNS} {_SEND_FROM}"
        " WHERE n.status = 'pending' AND n.next_attempt_at <= now()"
        " AND n.delivery_status IS DISTINCT FROM 'sending'"
        " ORDER BY n.next_attempt_at, n.created_at LIMIT 1 FOR UPDATE OF n SKIP LOCKED"
    )


async def count_due(conn: Db, at_most: int) -> int:
    """How many notifications are due for sending, counting no further than ``at_most``."""
    return await conn.fetchval(
        "SELECT count(*) FROM (SELECT 1 FROM notifications WHERE status = 'pending' AND next_attempt_at <= now()"
        " AND delivery_status IS DISTINCT FROM 'sending' LIMIT $1) AS due", at_most)


async def claim_in_doubt(conn: asyncpg.Connection, limit: int = 20) -> list[asyncpg.Record]:
    """Attempts recorded as in flight whose check is due, locked; the caller skips those a live
    sender still holds (:func:`try_lock_attempt`)."""
    return await conn.fetch(
        f"SELECT {_SEND_COLUMNS} {_SEND_FROM}"
        " WHERE n.delivery_status = 'sending' AND n.next_attempt_at <= now()"
        " ORDER BY n.next_attempt_at LIMIT $1 FOR UPDATE OF n SKIP LOCKED",
        limit,
    )


async def begin_attempt(conn: asyncpg.Connection, notification_id: uuid.UUID, *, provider: str,
                        token_hash: bytes, expires_at: datetime, check_after_s: float) -> datetime:
    """Record the attempt before the gateway is called: provider, token hash, 'sending'.

    Committed on its own, so a crash after the gateway call leaves a trace that forbids a
    blind resend. ``next_attempt_at`` becomes the time to ask the gateway if it stays so.
    """
    return await conn.fetchval(
        "UPDATE notifications SET delivery_status = 'sending', send_started_at = now(), provider = $2,"
        " ack_token_hash = $3, ack_expires_at = $4, next_attempt_at = now() + make_interval(secs => $5)"
        " WHERE id = $1 RETURNING send_started_at",
        notification_id, provider, token_hash, expires_at, check_after_s,
    )


async def mark_sent(conn: asyncpg.Connection, notification_id: uuid.UUID, *, provider: str,
                    message_id: str | None, request_id: str | None, sent_at: datetime,
                    expires_at: datetime) -> None:
    """The gateway has it. (A worker may already have acknowledged an attempt found late.)"""
    await conn.execute(
        "UPDATE notifications SET status = CASE WHEN status = 'pending' THEN 'sent' ELSE status END,"
        " delivery_status = 'sent', attempts = attempts + 1, provider_attempts = provider_attempts + 1,"
        " last_error = NULL, provider = $2, provider_message_id = $3, provider_request_id = $4, sent_at = $5,"
        " ack_expires_at = $6 WHERE id = $1",
        notification_id, provider, message_id, request_id, sent_at, expires_at,
    )


async def mark_retry(conn: asyncpg.Connection, notification_id: uuid.UUID, error: str, delay_s: float,
                     *, switch_to_failover: bool = False) -> None:
    """A failed attempt that certainly did not go out: try again after ``delay_s`` (on the
    failover provider from now on when ``switch_to_failover``)."""
    await conn.execute(
        "UPDATE notifications SET attempts = attempts + 1, last_error = $2, delivery_status = NULL,"
        " next_attempt_at = now() + make_interval(secs => $3),"
        " provider_attempts = CASE WHEN $4 THEN 0 ELSE provider_attempts + 1 END,"
        " failover = failover OR $4 WHERE id = $1",
        notification_id, error[:1000], delay_s, switch_to_failover,
    )


async def keep_in_doubt(conn: asyncpg.Connection, notification_id: uuid.UUID, error: str, delay_s: float) -> None:
    """The gateway could not tell yet whether the attempt went out: ask again later, send nothing."""
    await conn.execute(
        "UPDATE notifications SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3)"
        " WHERE id = $1",
        notification_id, error[:1000], delay_s,
    )


async def mark_failed(conn: asyncpg.Connection, notification_id: uuid.UUID, error: str,
                      *, delivery_status: str = "failed", count_attempt: bool = True) -> None:
    """Finally failed ('failed') or given up on an uncertain attempt ('unknown')."""
    await conn.execute(
        "UPDATE notifications SET status = CASE WHEN status IN ('pending', 'sent') THEN 'failed' ELSE status END,"
        " attempts = attempts + $4::int, last_error = $2, delivery_status = $3, failed_at = now(),"
        " next_attempt_at = now() WHERE id = $1",
        notification_id, error[:1000], delivery_status, int(count_attempt),
    )


ATTEMPT_LOCK_CLASS = 0x534D53  # 'SMS': pg_advisory_lock(class, key) of an attempt in flight


def attempt_lock_key(notification_id: uuid.UUID) -> int:
    return int.from_bytes(notification_id.bytes[:4], "big", signed=True)


async def try_lock_attempt(conn: asyncpg.Connection, notification_id: uuid.UUID, *, session: bool) -> bool:
    """The lock a live sender holds on its attempt while it talks to the gateway.

    Session-level for the sender (taken before 'sending' commits, kept across the gateway
    call, gone with the connection if the process dies); transaction-level for the
    reconciler, which leaves alone every attempt a living process still owns.
    """
    fn = "pg_try_advisory_lock" if session else "pg_try_advisory_xact_lock"
    return await conn.fetchval(f"SELECT {fn}($1, $2)", ATTEMPT_LOCK_CLASS, attempt_lock_key(notification_id))


async def unlock_attempt(conn: asyncpg.Connection, notification_id: uuid.UUID) -> None:
    await conn.execute("SELECT pg_advisory_unlock($1, $2)", ATTEMPT_LOCK_CLASS, attempt_lock_key(notification_id))


# -- delivery results ------------------------------------------------------------------------
async def claim_unconfirmed(conn: Db, providers: list[str], *, recheck_s: float, max_age_s: float,
                            limit: int) -> list[asyncpg.Record]:
    """Sent notifications whose delivery the gateway has not confirmed, due for a check.

    Claiming stamps ``delivery_checked_at``: that is the lease, so replicas (and the next
    round) leave these alone for ``recheck_s`` while the gateway is asked outside any
    transaction.
    """
    return await conn.fetch(
        "WITH due AS (SELECT n.id FROM notifications n"
        "  WHERE n.delivery_status = 'sent' AND n.provider = ANY($1::text[])"
        "  AND n.sent_at > now() - make_interval(secs => $3)"
        "  AND (n.delivery_checked_at IS NULL OR n.delivery_checked_at <= now() - make_interval(secs => $2))"
        "  ORDER BY n.delivery_checked_at NULLS FIRST, n.sent_at LIMIT $4 FOR UPDATE OF n SKIP LOCKED)"
        " UPDATE notifications n SET delivery_checked_at = now(), delivery_checks = n.delivery_checks + 1"
        " FROM due, workers w WHERE n.id = due.id AND w.id = n.worker_id"
        " RETURNING n.id, n.complaint_id, n.worker_id, n.role, n.idempotency_key, n.provider,"
        " n.provider_request_id, n.provider_message_id, n.ack_token_hash, n.sent_at, n.attempts, w.phone_enc",
        providers, recheck_s, max_age_s, limit,
    )


async def mark_delivered(conn: asyncpg.Connection, notification_id: uuid.UUID, *, at: datetime,
                         message_id: str | None) -> bool:
    """The phone has it; False when another check got there first."""
    return await conn.fetchval(
        "UPDATE notifications SET delivery_status = 'delivered', delivered_at = $2,"
        " provider_message_id = coalesce($3, provider_message_id)"
        " WHERE id = $1 AND delivery_status = 'sent' RETURNING true",
        notification_id, at, message_id,
    ) or False


async def mark_undelivered(conn: asyncpg.Connection, notification_id: uuid.UUID, *, reason: str,
                           message_id: str | None) -> bool:
    """The carrier reported a failure: the worker did not get the text."""
    return await conn.fetchval(
        "UPDATE notifications SET delivery_status = 'failed', failed_at = now(), last_error = $2,"
        " status = CASE WHEN status IN ('pending', 'sent') THEN 'failed' ELSE status END,"
        " provider_message_id = coalesce($3, provider_message_id)"
        " WHERE id = $1 AND delivery_status = 'sent' RETURNING true",
        notification_id, reason[:1000], message_id,
    ) or False


async def note_delivery_check(conn: Db, notification_id: uuid.UUID, *, message_id: str | None = None,
                              error: str | None = None) -> None:
    """Still on its way (or the gateway could not answer): remember what was learnt."""
    await conn.execute(
        "UPDATE notifications SET provider_message_id = coalesce($2, provider_message_id),"
        " last_error = coalesce($3, last_error) WHERE id = $1",
        notification_id, message_id, error[:1000] if error else None,
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


async def console_sms_id(conn: Db, idempotency_key: str) -> int | None:
    return await conn.fetchval("SELECT id FROM sms_messages WHERE idempotency_key = $1", idempotency_key)


async def list_console_sms(pool: Db, *, limit: int, offset: int) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT id, idempotency_key, recipient_phone_enc, sender, text, kind, bytes, created_at"
        " FROM sms_messages ORDER BY id DESC LIMIT $1 OFFSET $2",
        limit, offset,
    )


SENDER_CHANNEL = "notifier_sms"


async def wake_sender(conn: asyncpg.Connection) -> None:
    await conn.execute(f"NOTIFY {SENDER_CHANNEL}")  # delivered at commit, dropped on rollback


# -- complaints linked as duplicates (intake.complaint.linked.v1) -----------------------------------
async def record_link(conn: asyncpg.Connection, complaint_id: uuid.UUID, primary_id: uuid.UUID, linked_at: Any,
                      event_id: uuid.UUID) -> None:
    await conn.execute(
        "INSERT INTO linked_complaints (complaint_id, primary_id, linked_at, event_id) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (complaint_id) DO UPDATE SET primary_id = EXCLUDED.primary_id, linked_at = EXCLUDED.linked_at",
        complaint_id, primary_id, linked_at, event_id)


async def linked_primary(conn: Any, complaint_id: uuid.UUID) -> uuid.UUID | None:
    return await conn.fetchval("SELECT primary_id FROM linked_complaints WHERE complaint_id = $1", complaint_id)
