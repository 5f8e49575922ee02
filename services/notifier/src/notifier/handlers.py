"""The notifier's commands and event handlers: load, decide, write rows and outbox in one transaction."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import asyncpg

from sunmoon.crypto import FieldCipher
from sunmoon.events import NOTIFICATION_ACKNOWLEDGED, WORKER_RESPONDED, Envelope, make_envelope, utcnow
from sunmoon.events.classifier import SurgeDetected
from sunmoon.events.intake import ComplaintDispatchRequested, ComplaintStatusChanged
from sunmoon.events.notifier import NotificationAcknowledged, WorkerResponded
from sunmoon.logging import get_logger, mask_phones_in
from sunmoon.messaging import add_to_outbox
from sunmoon.messaging.consumer import PermanentError

from . import domain, escalation, linked, repository, roster

log = get_logger(__name__)


def make_dispatch_handler(public_url: str):
    """Handler of ``intake.complaint.dispatch_requested.v1``: queue ONE SMS for the on-call worker.

    The crew is the shift's at the time of the request (``envelope.occurred_at``, see
    ``roster.py``): the first active of primary → backup → supervisor is texted, the others
    are kept in an escalation chain (``escalation.py``) for when nobody acknowledges.
    The SMS itself is sent by the sender loop; here only the ``notifications`` row is
    written, keyed ``<complaint>:<worker>:primary`` so that no redelivery, repeated
    request or crash ever queues a second text to the same person.
    """

    async def on_dispatch_requested(conn: asyncpg.Connection, envelope: Envelope,
                                    event: ComplaintDispatchRequested) -> None:
        await linked.lock_primary(conn, event.complaint_id)
        if await repository.linked_primary(conn, event.complaint_id) is not None:
            log.warning("dispatch for a complaint linked as a duplicate ignored: its primary's text covers it",
                        complaint_id=str(event.complaint_id))
            return
        crew = await roster.who_is_on_call(conn, event.type, event.district, envelope.occurred_at)
        chosen = await _chosen_worker(conn, event)
        if crew is None and chosen is None:
            raise PermanentError(
                f"nobody active on the roster for type {event.type!r}, not even a duty supervisor "
                "(fallback) team; fill the roster, then replay this dead letter")
        if chosen is not None:  # the officer's choice, not the roster's; the roster's crew still escalates
            role, worker_id, team_id = "primary", chosen["id"], chosen["team_id"]
            if crew is not None:
                crew = dataclasses.replace(crew, chain=(("primary", worker_id),) + tuple(
                    (r, w) for r, w in crew.chain if w != worker_id))
        else:
            (role, worker_id), team_id = crew.first, crew.team.id
        # one SMS per complaint and worker; an officer's re-dispatch is a new notification, once per request
        key = domain.idempotency_key(event.complaint_id, worker_id)
        if event.redispatch_of is not None:
            key = f"{key}:redispatch:{event.attempt or envelope.event_id}"
        sms = domain.compose_sms(
            domain.SmsFacts(type=event.type, urgency=event.urgency, address=event.address,
                            district=event.district, callback_masked=event.callback_masked,
                            linked=await linked.count_for_dispatch(conn, event.complaint_id,
                                                                   event.linked_complaint_ids)),
            domain.ack_link(public_url, domain.MASKED_TOKEN),
        )
        notification_id = await repository.insert_notification(conn, {
            "id": uuid.uuid4(), "complaint_id": event.complaint_id, "worker_id": worker_id,
            "team_id": team_id, "role": role, "idempotency_key": key,
            "complaint_type": event.type, "urgency": event.urgency,
            "place": domain.place_of(event.address, event.district), "text": sms.text,
            "message_kind": sms.kind, "size_bytes": sms.size_bytes, "event_id": envelope.event_id,
        })
        ctx = {"complaint_id": str(event.complaint_id), "worker_id": worker_id, "team": team_id,
               "attempt": event.attempt, "redispatch": event.redispatch_of is not None,
               "linked": len(event.linked_complaint_ids), "chosen": chosen is not None}
        if notification_id is None:
            log.info("worker already notified for this complaint; nothing queued", **ctx)
            return
        await linked.mark_announced(conn, event.complaint_id, event.linked_complaint_ids, notification_id, envelope)
        if crew is not None:  # supersedes the complaint's earlier chain: a re-dispatch stops its escalation
            await escalation.start(conn, notification_id=notification_id, complaint_id=event.complaint_id,
                                   urgency=event.urgency, crew=crew)
        else:
            await escalation.stop_superseded(conn, event.complaint_id)
        await repository.wake_sender(conn)
        log.info("notification queued", notification_id=str(notification_id), kind=sms.kind,
                 bytes=sms.size_bytes, backup=crew.next_of("backup") if crew else None,
                 supervisor=crew.next_of("supervisor") if crew else None, **ctx)

    return on_dispatch_requested


async def _chosen_worker(conn: asyncpg.Connection, event: ComplaintDispatchRequested) -> Any:
    """The worker the officer chose, if active; else None (the roster's choice is texted instead)."""
    if not event.worker_id:
        return None
    row = await roster.worker_row(conn, event.worker_id)
    if row is None or not row["active"]:
        log.warning("chosen worker unknown or inactive; texting the roster's choice instead",
                    complaint_id=str(event.complaint_id), worker_id=event.worker_id, known=row is not None)
        return None
    return row


# -- surges and resolutions -------------------------------------------------------------------
SURGE_LABELS: dict[str, str] = {"rain": "호우", "snow_cold": "한파·대설", "wind": "강풍", "heat": "폭염"}


def make_surge_handler(public_url: str):
    """Handler of ``classifier.surge.detected.v1``: text the on-call supervisor once per surge.

    Several weather-related complaints in one 동 within the hour (the classifier decides) mean
    something bigger is happening there: the supervisor of the shift for those types hears it
    at once. The notification is keyed by the surge, so a redelivery texts nobody twice.
    """

    async def on_surge_detected(conn: asyncpg.Connection, envelope: Envelope, event: SurgeDetected) -> None:
        crew = await roster.who_is_on_call(conn, event.types[0], event.district, event.detected_at)
        if crew is None:
            raise PermanentError("nobody active on the roster to tell about a surge; fill the roster, then replay")
        worker_id = next((w for r, w in crew.chain if r == "supervisor"), crew.first[1])
        warnings = f" ({', '.join(event.warnings)})" if event.warnings else ""
        text = domain.SEPARATOR.join([
            domain.euc_kr_safe(f"{domain.HEADER} 민원 급증 {SURGE_LABELS.get(event.group, event.group)}"),
            domain.euc_kr_safe(f"{event.district} {event.window_minutes}분간 {event.count}건{warnings}"),
            f"확인: {domain.ack_link(public_url, domain.MASKED_TOKEN)}",
        ])
        size = domain.euc_kr_bytes(text)
        key = f"surge:{event.district}:{event.group}:{event.detected_at.isoformat()}:{worker_id}"
        notification_id = await repository.insert_notification(conn, {
            "id": uuid.uuid4(), "complaint_id": event.complaint_ids[-1], "worker_id": worker_id,
            "team_id": crew.team.id, "role": "supervisor", "idempotency_key": key,
            "complaint_type": event.types[0], "urgency": "urgent", "place": event.district, "text": text,
            "message_kind": domain.kind_for(size), "size_bytes": size, "event_id": envelope.event_id,
        })
        if notification_id is not None:
            await repository.wake_sender(conn)
            log.warning("surge: supervisor texted", district=event.district, group=event.group,
                        count=event.count, worker_id=worker_id, notification_id=str(notification_id))

    return on_surge_detected


def wants_status(event: ComplaintStatusChanged) -> bool:
    """The only status change the notifier acts on; the consumer acks the others without a transaction."""
    return event.status == "resolved"


async def on_status_changed(conn: asyncpg.Connection, envelope: Envelope, event: ComplaintStatusChanged) -> None:
    """A complaint resolved at the desk (a prank call, fixed by phone) stops its escalation."""
    if not wants_status(event):
        return
    result = await conn.execute(
        "UPDATE escalations SET state = 'resolved', closed_at = $2 WHERE complaint_id = $1 AND state = 'waiting'",
        event.complaint_id, event.changed_at)
    stopped = int(result.split()[-1])
    if stopped:
        log.info("complaint resolved; escalation stopped", complaint_id=str(event.complaint_id), chains=stopped)


# -- the link page: 확인 / 도착 / 완료 ------------------------------------------------------------
Response = Literal["accepted", "on_site", "done"]
RESPONSE_LABELS: dict[str, str] = {"accepted": "확인", "on_site": "도착", "done": "완료"}  # in this order
FINAL_RESPONSE = "done"  # the last answer: once recorded, the link is spent
NOTE_MAX = 500
# open: the link can be used; recorded: this request did it; already: an earlier one did;
# out_of_order: a later step is already recorded (never backwards); spent: 완료 was given, nothing more
AckOutcome = Literal["open", "recorded", "already", "out_of_order", "spent", "expired", "unknown"]


def step_allowed(response: str, responses: dict[str, Any]) -> bool:
    """확인 → 도착 → 완료, forward only (a step may be skipped), each at most once."""
    order = list(RESPONSE_LABELS)
    return all(order.index(r) < order.index(response) for r in responses)


@dataclass(frozen=True)
class AckResult:
    outcome: AckOutcome
    notification: Any = None  # the notifications row, when the token is known
    acknowledged_at: datetime | None = None
    responses: dict[str, Any] = field(default_factory=dict)  # response -> worker_responses row
    response: str | None = None  # what this request asked for


async def inspect_token(conn: asyncpg.Connection | asyncpg.Pool, token: str) -> AckResult:
    """What the link page shows; changes nothing (link previews fetch GETs too)."""
    if not domain.valid_token(token):
        return AckResult("unknown")
    row = await repository.by_token_hash(conn, domain.token_hash(token))
    if row is None:
        return AckResult("unknown")
    responses = await _responses(conn, row["id"])
    if FINAL_RESPONSE in responses:
        return AckResult("spent", row, row["acknowledged_at"], responses)
    if _expired(row, utcnow()):
        return AckResult("expired", row, row["acknowledged_at"])
    outcome: AckOutcome = "already" if row["acknowledged_at"] is not None else "open"
    return AckResult(outcome, row, row["acknowledged_at"], responses)


async def respond(conn: asyncpg.Connection, token: str, response: str = "accepted",
                  note: str | None = None) -> AckResult:
    """Record a tap (once per button, forward only) and announce it; the first tap of any button acknowledges.

    확인 → ``NotificationAcknowledged`` (the first time) and ``WorkerResponded(accepted)``;
    도착/완료 → ``WorkerResponded``, and acknowledge too when 확인 was skipped. An
    acknowledgement stops the complaint's escalation. A repeated tap, a step behind one already
    recorded, and anything after 완료 (the link is then spent) change nothing.
    """
    if response not in RESPONSE_LABELS:
        raise ValueError(f"unknown response {response!r}")
    if not domain.valid_token(token):
        return AckResult("unknown")
    row = await repository.by_token_hash(conn, domain.token_hash(token), for_update=True)
    if row is None:
        return AckResult("unknown")
    now = utcnow()
    responses = await _responses(conn, row["id"])
    if FINAL_RESPONSE in responses:  # single use: 완료 spent the link (a replay of 완료 lands here too)
        return AckResult("spent", row, row["acknowledged_at"], responses, response)
    if _expired(row, now):
        return AckResult("expired", row, row["acknowledged_at"])
    if response in responses:
        return AckResult("already", row, row["acknowledged_at"], responses, response)
    if not step_allowed(response, responses):
        return AckResult("out_of_order", row, row["acknowledged_at"], responses, response)
    ids = {"notification_id": row["id"], "complaint_id": row["complaint_id"], "worker_id": row["worker_id"]}
    acknowledged_at = row["acknowledged_at"]
    if acknowledged_at is None:
        acknowledged_at = now
        await repository.mark_acknowledged(conn, row["id"], now)
        await add_to_outbox(conn, make_envelope(NOTIFICATION_ACKNOWLEDGED, NotificationAcknowledged(
            **ids, acknowledged_at=now), correlation_id=row["complaint_id"]))
        stopped = await escalation.stop_for_complaint(conn, row["complaint_id"], now)
        log.info("notification acknowledged", escalations_stopped=stopped, **_log_ids(row))
    note = clean_note(note)
    recorded = await conn.fetchrow(
        "INSERT INTO worker_responses (notification_id, complaint_id, worker_id, response, note, responded_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) RETURNING response, note, responded_at",
        row["id"], row["complaint_id"], row["worker_id"], response, note, now)
    await add_to_outbox(conn, make_envelope(WORKER_RESPONDED, WorkerResponded(
        **ids, response=response, note=note, responded_at=now), correlation_id=row["complaint_id"]))
    log.info("worker responded", response=response, with_note=note is not None, **_log_ids(row))
    return AckResult("recorded", row, acknowledged_at, {**responses, response: recorded}, response)


async def acknowledge(conn: asyncpg.Connection, token: str) -> AckResult:
    """Just the 확인 button."""
    return await respond(conn, token, "accepted")


def clean_note(note: str | None) -> str | None:
    """The worker's note as kept and announced: trimmed, phone numbers masked, None when empty."""
    if note is None or not note.strip():
        return None
    text = mask_phones_in(note.strip().replace("\r\n", "\n"))
    if len(text) > NOTE_MAX:
        raise ValueError(f"the note is longer than {NOTE_MAX} characters")
    return text


def _expired(row: Any, now: datetime) -> bool:
    return row["ack_expires_at"] is None or row["ack_expires_at"] <= now


async def _responses(conn: Any, notification_id: uuid.UUID) -> dict[str, Any]:
    rows = await conn.fetch("SELECT response, note, responded_at FROM worker_responses"
                            " WHERE notification_id = $1 ORDER BY responded_at, id", notification_id)
    return {r["response"]: r for r in rows}


def _log_ids(row: Any) -> dict[str, str]:
    return {"notification_id": str(row["id"]), "complaint_id": str(row["complaint_id"]),
            "worker_id": row["worker_id"]}


# -- roster ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RosterEntry:
    worker: domain.Worker
    name: str
    phone: str


async def seed_roster(conn: asyncpg.Connection, cipher: FieldCipher, teams: list[domain.Team],
                      entries: list[RosterEntry], shifts: Iterable[roster.Shift] = ()) -> dict[str, int]:
    """Insert or update teams, workers (names and phones encrypted) and shift assignments. Safe to run again."""
    shifts = list(shifts)
    counts = {"teams": len(teams), "workers": len(entries), "shifts": len(shifts),
              "new_teams": 0, "new_workers": 0, "new_shifts": 0}
    for team in teams:
        counts["new_teams"] += bool(await repository.upsert_team(conn, team))
    for e in entries:
        wid = e.worker.id
        counts["new_workers"] += bool(await repository.upsert_worker(
            conn, e.worker,
            name_enc=cipher.encrypt(e.name, table="workers", column="name", row_id=wid),
            phone_enc=cipher.encrypt(e.phone, table="workers", column="phone", row_id=wid),
            phone_idx=cipher.blind_index(e.phone),
        ))
    for shift in shifts:
        counts["new_shifts"] += bool(await roster.upsert_shift(conn, shift))
    return counts
