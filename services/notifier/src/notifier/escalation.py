"""Escalation: nobody acknowledged in time → the backup, then the supervisor, then the duty officer.

Every first text of a complaint starts a chain (a row in ``escalations``, written in the
dispatch handler's transaction). The loop below polls about once a second for chains
whose wait is over — ``stage_started_at`` + the wait for the complaint's urgency
(``NOTIFIER_ESCALATE_{URGENT,NORMAL,LOW}_MINUTES``) — or whose last text finally failed,
and takes each in its own transaction, claimed ``FOR UPDATE SKIP LOCKED``:

- stage ``primary`` → text the backup (a new ``notifications`` row, role ``backup``,
  idempotency key ``<complaint>:<worker>:backup``), announce ``EscalationRaised(backup)``;
- stage ``backup`` → the same for the supervisor;
- stage ``supervisor`` → announce ``EscalationRaised(duty_officer)``: the duty officer
  (intake's desk) has to phone someone; the chain is ``exhausted``.

A stage without anybody (no backup on the shift, or deactivated since) is skipped.
Any acknowledgement of the complaint stops its chains (``stop_for_complaint``, called
in the acknowledgement's transaction). All state is in the database, so a restart or a
second replica simply continues: the wait is measured from the row, not from memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sunmoon.events import ESCALATION_RAISED, make_envelope
from sunmoon.events.notifier import EscalationRaised
from sunmoon.logging import get_logger
from sunmoon.messaging import add_to_outbox

from . import domain, repository
from .roster import OnCall

log = get_logger(__name__)
STAGE_LABELS = {"primary": "담당자", "backup": "예비 담당자", "supervisor": "감독자", "duty_officer": "당직 책임자"}
NEXT_STAGE = {"primary": "backup", "backup": "supervisor", "supervisor": "duty_officer"}


@dataclass(frozen=True)
class Waits:
    """Seconds to wait for an acknowledgement, by urgency."""

    urgent: float = 300.0
    normal: float = 900.0
    low: float = 3600.0

    @classmethod
    def from_settings(cls, settings: Any) -> Waits:
        return cls(urgent=settings.escalate_urgent_minutes * 60, normal=settings.escalate_normal_minutes * 60,
                   low=settings.escalate_low_minutes * 60)


def minutes_text(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:g}분" if minutes >= 1 else f"{seconds:g}초"


# -- SQL -----------------------------------------------------------------------------------------
async def stop_superseded(conn: asyncpg.Connection, complaint_id: uuid.UUID) -> int:
    """A new dispatch of the complaint (a correction, an officer's re-dispatch) ends the earlier chains."""
    result = await conn.execute(
        "UPDATE escalations SET state = 'superseded', closed_at = now()"
        " WHERE complaint_id = $1 AND state = 'waiting'", complaint_id)
    return int(result.split()[-1])


async def start(conn: asyncpg.Connection, *, notification_id: uuid.UUID, complaint_id: uuid.UUID,
                urgency: str, crew: OnCall) -> None:
    """Open the chain of a first text (in the dispatch handler's transaction).

    An earlier chain of the same complaint still waiting (the complaint was dispatched
    again, e.g. to another team after a correction) is superseded by this one.
    """
    await stop_superseded(conn, complaint_id)
    await conn.execute(
        "INSERT INTO escalations (notification_id, complaint_id, team_id, urgency, backup_worker_id,"
        " supervisor_worker_id, shift_kind, duty_date, last_notification_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $1) ON CONFLICT DO NOTHING",
        notification_id, complaint_id, crew.team.id, urgency, crew.next_of("backup"), crew.next_of("supervisor"),
        crew.slot.kind, crew.slot.duty_date)


async def stop_for_complaint(conn: asyncpg.Connection, complaint_id: uuid.UUID, at: datetime) -> int:
    """An acknowledgement arrived: every waiting chain of the complaint stops. Returns how many."""
    result = await conn.execute(
        "UPDATE escalations SET state = 'acknowledged', closed_at = $2 WHERE complaint_id = $1"
        " AND state = 'waiting'", complaint_id, at)
    return int(result.split()[-1])


_DUE = (
    "SELECT e.*, now() AS db_now, f.text, f.message_kind, f.size_bytes, f.complaint_type, f.place, f.event_id,"
    " l.status AS last_status, l.worker_id AS last_worker_id,"
    " EXISTS (SELECT 1 FROM notifications a WHERE a.complaint_id = e.complaint_id"
    "         AND a.created_at >= e.created_at AND a.acknowledged_at IS NOT NULL) AS acknowledged"
    " FROM escalations e JOIN notifications f ON f.id = e.notification_id"
    " JOIN notifications l ON l.id = e.last_notification_id"
    " WHERE e.state = 'waiting' AND (l.status = 'failed' OR e.stage_started_at + make_interval(secs =>"
    "   CASE e.urgency WHEN 'urgent' THEN $1::float8 WHEN 'low' THEN $3::float8 ELSE $2::float8 END) <= now())"
    " ORDER BY e.stage_started_at LIMIT 1 FOR UPDATE OF e SKIP LOCKED"
)


async def claim_due(conn: asyncpg.Connection, waits: Waits) -> asyncpg.Record | None:
    return await conn.fetchrow(_DUE, waits.urgent, waits.normal, waits.low)


async def list_escalations(conn: Any, *, complaint_id: uuid.UUID | None, state: str | None,
                           limit: int, offset: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT e.notification_id, e.complaint_id, e.team_id, e.urgency, e.stage, e.state, e.stage_started_at,"
        " e.shift_kind, e.duty_date, e.backup_worker_id, e.supervisor_worker_id, e.created_at, e.closed_at,"
        " COALESCE((SELECT json_agg(json_build_object('stage', s.stage, 'worker_id', s.worker_id,"
        "   'notification_id', s.notification_id, 'reason', s.reason, 'raised_at', s.raised_at) ORDER BY s.id)"
        "   FROM escalation_steps s WHERE s.escalation_id = e.notification_id), '[]') AS steps"
        " FROM escalations e WHERE ($1::uuid IS NULL OR e.complaint_id = $1) AND ($2::text IS NULL OR e.state = $2)"
        " ORDER BY e.created_at DESC LIMIT $3 OFFSET $4", complaint_id, state, limit, offset)


# -- one step ----------------------------------------------------------------------------------
async def escalate_one(conn: asyncpg.Connection, waits: Waits) -> bool:
    """Take one due chain one stage further (call inside a transaction); False when none is due."""
    row = await claim_due(conn, waits)
    if row is None:
        return False
    ctx = {"complaint_id": str(row["complaint_id"]), "escalation": str(row["notification_id"])}
    if row["acknowledged"]:  # belt and braces: the acknowledgement stops chains itself
        await stop_for_complaint(conn, row["complaint_id"], row["db_now"])
        return True
    wait = {"urgent": waits.urgent, "low": waits.low}.get(row["urgency"], waits.normal)
    why = ("문자 발송 실패" if row["last_status"] == "failed"
           else f"{minutes_text(wait)} 안에 확인 없음")
    stage, skipped = NEXT_STAGE[row["stage"]], []
    while stage != "duty_officer":
        worker = row[f"{stage}_worker_id"]
        if worker and await conn.fetchval("SELECT active FROM workers WHERE id = $1", worker):
            break
        skipped.append(STAGE_LABELS[stage])
        stage = NEXT_STAGE[stage]
    skip_note = f" ({', '.join(skipped)} 없음)" if skipped else ""
    unanswered = row["last_notification_id"]
    if stage == "duty_officer":
        reason = f"{STAGE_LABELS[row['stage']]} {row['last_worker_id']}: {why}{skip_note} → 당직 책임자 확인 필요"
        await conn.execute(
            "UPDATE escalations SET stage = 'duty_officer', state = 'exhausted', stage_started_at = now(),"
            " closed_at = now() WHERE notification_id = $1", row["notification_id"])
        await _record(conn, row, stage, None, None, reason)
        log.warning("escalation: nobody acknowledged, duty officer told", **ctx)
        return True
    worker = row[f"{stage}_worker_id"]
    key = domain.idempotency_key(row["complaint_id"], worker, stage)
    new_id = await repository.insert_notification(conn, {
        "id": uuid.uuid4(), "complaint_id": row["complaint_id"], "worker_id": worker, "team_id": row["team_id"],
        "role": stage, "idempotency_key": key, "complaint_type": row["complaint_type"],
        "urgency": row["urgency"], "place": row["place"], "text": row["text"],
        "message_kind": row["message_kind"], "size_bytes": row["size_bytes"], "event_id": row["event_id"],
    })
    if new_id is None:  # texted already (an earlier chain of the same complaint): wait on that text
        new_id = await conn.fetchval("SELECT id FROM notifications WHERE idempotency_key = $1", key)
    reason = f"{STAGE_LABELS[row['stage']]} {row['last_worker_id']}: {why}{skip_note} → {STAGE_LABELS[stage]} {worker}"
    await conn.execute(
        "UPDATE escalations SET stage = $2, stage_started_at = now(), last_notification_id = $3"
        " WHERE notification_id = $1", row["notification_id"], stage, new_id)
    await _record(conn, row, stage, worker, new_id, reason)
    await repository.wake_sender(conn)
    log.info("escalation: next worker texted", stage=stage, worker_id=worker, notification_id=str(new_id), **ctx)
    return True


async def _record(conn: asyncpg.Connection, row: Any, stage: str, worker: str | None,
                  notification_id: uuid.UUID | None, reason: str) -> None:
    await conn.execute(
        "INSERT INTO escalation_steps (escalation_id, complaint_id, stage, worker_id, notification_id,"
        " unanswered_notification_id, reason, raised_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        row["notification_id"], row["complaint_id"], stage, worker, notification_id, row["last_notification_id"],
        reason, row["db_now"])
    await add_to_outbox(conn, make_envelope(ESCALATION_RAISED, EscalationRaised(
        complaint_id=row["complaint_id"], notification_id=row["last_notification_id"], stage=stage,
        reason=reason, raised_at=row["db_now"],
    ), correlation_id=row["complaint_id"]))


# -- the loop ----------------------------------------------------------------------------------
class EscalationLoop:
    def __init__(self, pool: asyncpg.Pool, waits: Waits, *, poll_interval: float = 1.0, batch: int = 100) -> None:
        self.pool, self.waits, self.poll_interval, self.batch = pool, waits, poll_interval, batch
        self.steps = 0

    async def run_once(self) -> int:
        """Handle every due chain (up to a batch); return how many steps were taken."""
        done = 0
        while done < self.batch:
            async with self.pool.acquire() as conn, conn.transaction():
                if not await escalate_one(conn, self.waits):
                    break
            done += 1
        self.steps += done
        return done

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception as exc:  # noqa: BLE001 - database trouble: try again next round
                log.warning("escalation: round failed, will retry", error=repr(exc))
                done = 0
            if done >= self.batch:
                continue
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll_interval)


def job(settings: Any):
    """The background job for :class:`sunmoon.runtime.Runtime`."""

    async def escalation_loop(runtime: Any, stop: asyncio.Event) -> None:
        loop = EscalationLoop(runtime.pool, Waits.from_settings(settings),
                              poll_interval=settings.escalation_poll_interval)
        await loop.run(stop)

    return escalation_loop
