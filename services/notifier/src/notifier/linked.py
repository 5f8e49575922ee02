"""Complaints linked as duplicates (``intake.complaint.linked.v1``) and what the worker hears of them.

A duplicate is never dispatched on its own: the worker who holds the primary's job hears of it once.

- Linked **before** the dispatch: the dispatch text counts it (``동일 민원 N건 추가``,
  :func:`count_for_dispatch`, then :func:`mark_announced`).
- Linked **after** the dispatch: one short follow-up SMS to the worker holding the job
  (``[당직] 동일 위치 민원 1건 추가 / <place> / 확인: <link>``, :func:`on_complaint_linked`), keyed
  ``<linked complaint>:<worker>:linked``, written for the *linked* complaint (its link acknowledges that
  complaint; the primary's escalation is unaffected). It is a notice, not a second dispatch text: no
  escalation chain, no type or caller.

Both handlers take a transaction-scoped advisory lock on the primary's id, so a dispatch and a link
processed at the same moment by two consumers cannot both miss the duplicate (neither counted nor told).
The SQL of this noun lives here (``repository.py`` is long already).
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from sunmoon.events import Envelope
from sunmoon.events.intake import ComplaintLinked
from sunmoon.logging import get_logger

from . import domain, repository

log = get_logger(__name__)
LOCK_CLASS = 0x4C4E4B  # 'LNK': pg_advisory_xact_lock(class, key) of a primary complaint


async def lock_primary(conn: asyncpg.Connection, primary_id: uuid.UUID) -> None:
    key = int.from_bytes(primary_id.bytes[:4], "big", signed=True)
    await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", LOCK_CLASS, key)


async def count_for_dispatch(conn: asyncpg.Connection, primary_id: uuid.UUID, listed: list[uuid.UUID]) -> int:
    """How many complaints are linked to ``primary_id``: those the request lists and those already heard of
    (a link the notifier processed first). Call after :func:`lock_primary`."""
    known = await conn.fetch("SELECT complaint_id FROM linked_complaints WHERE primary_id = $1", primary_id)
    return len(({r["complaint_id"] for r in known} | set(listed)) - {primary_id})


async def mark_announced(conn: asyncpg.Connection, primary_id: uuid.UUID, listed: list[uuid.UUID],
                         notification_id: uuid.UUID, envelope: Envelope) -> None:
    """The dispatch text counted these: no follow-up for them (the link event may still be on its way)."""
    for cid in set(listed) - {primary_id}:
        await conn.execute(
            "INSERT INTO linked_complaints (complaint_id, primary_id, linked_at, event_id) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (complaint_id) DO NOTHING", cid, primary_id, envelope.occurred_at, envelope.event_id)
    await conn.execute(
        "UPDATE linked_complaints SET announced_at = now(), announced_in = $2"
        " WHERE primary_id = $1 AND announced_at IS NULL", primary_id, notification_id)


async def job_holder(conn: asyncpg.Connection, primary_id: uuid.UUID) -> asyncpg.Record | None:
    """The notification of whoever holds the primary's job now: of its latest dispatch (a re-dispatch is a
    new one; escalation texts share their dispatch's event), the worker who acknowledged, else the last
    one texted that did not fail. None when the primary was never texted (or every text failed)."""
    return await conn.fetchrow(
        "WITH job AS (SELECT * FROM notifications WHERE complaint_id = $1 AND idempotency_key NOT LIKE 'surge:%'"
        "  AND idempotency_key NOT LIKE '%:linked'),"
        " latest AS (SELECT event_id FROM job ORDER BY created_at DESC LIMIT 1)"
        " SELECT id, worker_id, team_id, role, complaint_type, urgency, place FROM job"
        " WHERE event_id IS NOT DISTINCT FROM (SELECT event_id FROM latest) AND status <> 'failed'"
        " ORDER BY (acknowledged_at IS NOT NULL) DESC, created_at DESC LIMIT 1", primary_id)


def make_linked_handler(public_url: str, *, follow_up: bool = False):
    async def on_complaint_linked(conn: asyncpg.Connection, envelope: Envelope, event: ComplaintLinked) -> None:
        """Remember the link (no dispatch for the duplicate texts anyone); tell the job's worker once."""
        await lock_primary(conn, event.primary_id)
        await repository.record_link(conn, event.complaint_id, event.primary_id, event.linked_at,
                                     envelope.event_id)
        ctx = {"complaint_id": str(event.complaint_id), "primary_id": str(event.primary_id)}
        if await conn.fetchval("SELECT announced_at FROM linked_complaints WHERE complaint_id = $1",
                               event.complaint_id) is not None:
            log.info("complaint linked; the worker heard of it already", **ctx)
            return
        if not follow_up:
            log.info("complaint linked; no separate text (NOTIFIER_LINKED_FOLLOW_UP is off)", **ctx)
            return
        holder = await job_holder(conn, event.primary_id)
        if holder is None or await _resolved(conn, event.primary_id):
            log.info("complaint linked; the primary's dispatch text will count it", texted=holder is not None, **ctx)
            return
        notification_id = await _queue_follow_up(conn, envelope, event, holder, public_url)
        await conn.execute("UPDATE linked_complaints SET announced_at = now(), announced_in = $2"
                           " WHERE complaint_id = $1", event.complaint_id, notification_id)
        log.info("complaint linked after the dispatch; follow-up queued", worker_id=holder["worker_id"],
                 notification_id=str(notification_id), **ctx)

    return on_complaint_linked


async def _queue_follow_up(conn: asyncpg.Connection, envelope: Envelope, event: ComplaintLinked,
                           holder: Any, public_url: str) -> uuid.UUID | None:
    sms = domain.compose_follow_up(holder["place"], 1, domain.ack_link(public_url, domain.MASKED_TOKEN))
    key = domain.follow_up_key(event.complaint_id, holder["worker_id"])
    new_id = await repository.insert_notification(conn, {
        "id": uuid.uuid4(), "complaint_id": event.complaint_id, "worker_id": holder["worker_id"],
        "team_id": holder["team_id"], "role": holder["role"], "idempotency_key": key,
        "complaint_type": holder["complaint_type"], "urgency": holder["urgency"], "place": holder["place"],
        "text": sms.text, "message_kind": sms.kind, "size_bytes": sms.size_bytes, "event_id": envelope.event_id,
    })
    if new_id is None:
        return await conn.fetchval("SELECT id FROM notifications WHERE idempotency_key = $1", key)
    await repository.wake_sender(conn)
    return new_id


async def _resolved(conn: asyncpg.Connection, primary_id: uuid.UUID) -> bool:
    """Resolved at the desk (intake refuses links to a resolved primary; this covers the race)."""
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM escalations WHERE complaint_id = $1 AND state = 'resolved')", primary_id))
