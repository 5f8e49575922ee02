"""Intake's commands and event handlers: load, decide, write rows and outbox, all in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sunmoon.crypto import FieldCipher, mask_phone
from sunmoon.events import (
    COMPLAINT_RECEIVED, COMPLAINT_RECLASSIFIED, DISPATCH_REQUESTED, STATUS_CHANGED, Envelope, make_envelope, utcnow,
)
from sunmoon.events.classifier import ComplaintClassified
from sunmoon.events.intake import (
    ComplaintDispatchRequested, ComplaintReceived, ComplaintReclassified, ComplaintStatusChanged,
)
from sunmoon.events.notifier import (
    EscalationRaised, NotificationAcknowledged, NotificationFailed, NotificationSent, WorkerResponded,
)
from sunmoon.logging import get_logger
from sunmoon.messaging import add_to_outbox

from . import dispatch, domain, field_progress, repository

log = get_logger(__name__)
TABLE = "complaints"


@dataclass(frozen=True)
class NewComplaint:
    description: str
    channel: str
    received_at: datetime
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    complainant_name: str | None = None
    complainant_phone: str | None = None


class NotFound(Exception):
    pass


class Conflict(Exception):
    pass


async def file_complaint(conn: asyncpg.Connection, cipher: FieldCipher, cmd: NewComplaint) -> uuid.UUID:
    complaint_id = uuid.uuid4()
    description = domain.scrub_description(cmd.description)
    district = domain.district_of(cmd.address)

    def enc(value: str | None, column: str) -> bytes | None:
        if not value:
            return None
        return cipher.encrypt(value.strip(), table=TABLE, column=column, row_id=complaint_id)

    await repository.insert_complaint(conn, {
        "id": complaint_id, "received_at": cmd.received_at, "channel": cmd.channel,
        "description": description, "address": cmd.address, "district": district,
        "lat": cmd.lat, "lon": cmd.lon,
        "name_enc": enc(cmd.complainant_name, "complainant_name"),
        "phone_enc": enc(cmd.complainant_phone, "complainant_phone"),
        "phone_idx": cipher.blind_index(cmd.complainant_phone) if cmd.complainant_phone else None,
    })
    await add_to_outbox(conn, make_envelope(COMPLAINT_RECEIVED, ComplaintReceived(
        complaint_id=complaint_id, description=description, channel=cmd.channel,
        received_at=cmd.received_at, address=cmd.address, district=district, lat=cmd.lat, lon=cmd.lon,
        has_callback=bool(cmd.complainant_phone),
    ), correlation_id=complaint_id))
    return complaint_id


async def _advance(conn: asyncpg.Connection, row: Any, status: str, at: datetime,
                   reason: str | None = None, **fields: Any) -> bool:
    """Move the complaint forward to ``status`` and announce it; False if it is already past it."""
    if not domain.advances(row["status"], status):
        if fields:
            await repository.set_fields(conn, row["id"], **fields)
        return False
    await repository.set_status(conn, row["id"], status, at, reason, **fields)
    await add_to_outbox(conn, make_envelope(STATUS_CHANGED, ComplaintStatusChanged(
        complaint_id=row["id"], status=status, previous_status=row["status"], changed_at=at, reason=reason,
    ), correlation_id=row["id"]))
    if status in dispatch.FOLLOWED and row["duplicate_of"] is None:  # linked complaints follow their primary
        for child in await repository.linked_to(conn, row["id"], for_update=True):
            await _advance(conn, child, status, at, f"follows {row['id']}")
    return True


def make_classified_handler(cipher: FieldCipher, *, auto_dispatch: bool):
    """Record the classifier's suggestion and, unless an officer must choose first, ask for dispatch.

    A confident classification is dispatched at once. One the model is unsure about
    (``needs_review``) waits for the officer's choice (``POST …/classification``), except when it
    is urgent: a possible danger is sent out now and reviewed after. A classification arriving
    after an officer already chose the type is kept as the suggestion only.
    """

    async def on_classified(conn: asyncpg.Connection, envelope: Envelope, event: ComplaintClassified) -> None:
        row = await repository.get_for_update(conn, event.complaint_id)
        if row is None:
            log.warning("classification for an unknown complaint ignored", complaint_id=str(event.complaint_id))
            return
        suggestion = {"suggested_type": event.type, "suggested_urgency": event.urgency,
                      "confidence": event.confidence, "model_version": event.model_version,
                      "candidates": [c.model_dump(mode="json") for c in event.candidates],
                      "weather": event.weather.model_dump(mode="json") if event.weather else None,
                      "weather_raised": event.weather_raised}
        if row["corrected_at"] is not None:  # the officer has decided already
            await repository.set_fields(conn, row["id"], **suggestion)
            return
        held = event.needs_review and event.urgency != "urgent"
        linked_or_held = row["duplicate_of"] is not None or row["held_at"] is not None
        request = None
        if (not held and not linked_or_held and auto_dispatch and not dispatch.dispatch_requested(row)
                and row["status"] in ("received", "classified")):
            request = await dispatch_request(conn, cipher, row, event.type, event.urgency, event.department, "auto")
        # the classification and the dispatch request's fields in one UPDATE; the events in this order
        await _advance(conn, row, "classified", envelope.occurred_at, f"model {event.model_version}",
                       type=event.type, urgency=event.urgency, department=event.department,
                       needs_review=event.needs_review, **suggestion, **(request[1] if request else {}))
        if request is not None:
            await add_to_outbox(conn, request[0])
        elif held:
            log.info("classification unsure; waiting for the officer's choice", complaint_id=str(row["id"]),
                     confidence=event.confidence, candidates=[c.type for c in event.candidates])
        elif linked_or_held:
            log.info("classified; not dispatched (linked or held)", complaint_id=str(row["id"]),
                     duplicate_of=str(row["duplicate_of"]), held=row["held_at"] is not None)

    return on_classified


async def request_dispatch(conn: asyncpg.Connection, cipher: FieldCipher, row: Any, type_: str,
                           urgency: str, department: str | None, requested_by: str, *,
                           worker_id: str | None = None, redispatch: bool = False) -> uuid.UUID:
    """Ask the notifier to text (``dispatch_requested``); a re-dispatch names the request it replaces.

    The complaints linked to this one travel along (``linked_complaint_ids``): one text for all."""
    envelope, fields = await dispatch_request(conn, cipher, row, type_, urgency, department, requested_by,
                                              worker_id=worker_id, redispatch=redispatch)
    await add_to_outbox(conn, envelope)
    await repository.set_fields(conn, row["id"], **fields)
    return envelope.event_id


async def dispatch_request(conn: asyncpg.Connection, cipher: FieldCipher, row: Any, type_: str,
                           urgency: str, department: str | None, requested_by: str, *,
                           worker_id: str | None = None,
                           redispatch: bool = False) -> tuple[Envelope, dict[str, Any]]:
    """The ``dispatch_requested`` event for ``row`` and the complaint's fields that record it (neither
    written yet: see :func:`request_dispatch`)."""
    attempt = row["dispatch_attempt"] + 1
    linked = [c["id"] for c in await repository.linked_to(conn, row["id"])]
    callback = None
    if row["complainant_phone_enc"] is not None:
        phone = cipher.decrypt(row["complainant_phone_enc"], table=TABLE, column="complainant_phone",
                               row_id=row["id"])
        callback = mask_phone(phone.reveal())
    envelope = make_envelope(DISPATCH_REQUESTED, ComplaintDispatchRequested(
        complaint_id=row["id"], type=type_, urgency=urgency, department=department,
        address=row["address"], district=row["district"], lat=row["lat"], lon=row["lon"],
        callback_masked=callback, summary=domain.summary_of(row["description"]), requested_by=requested_by,
        worker_id=worker_id, attempt=attempt, linked_complaint_ids=linked,
        redispatch_of=row["dispatch_event_id"] if redispatch else None,
    ), correlation_id=row["id"])
    fields: dict[str, Any] = {"dispatch_requested_at": utcnow(), "dispatch_attempt": attempt,
                              "dispatch_event_id": envelope.event_id, "held_at": None, "hold_reason": None,
                              "dispatch_worker_id": worker_id}  # None: the roster's choice, learnt when sent
    return envelope, fields


async def on_notification_sent(conn: asyncpg.Connection, envelope: Envelope, event: NotificationSent) -> None:
    row = await repository.get_for_update(conn, event.complaint_id)
    if row is None:
        return
    # who holds the complaint now (a re-dispatch must name someone else): written with the status
    holder = {"dispatch_worker_id": event.worker_id} if event.role == "primary" else {}
    advanced = await _advance(conn, row, "dispatched", event.sent_at, f"SMS to {event.role} {event.worker_id}",
                              **holder)
    if not advanced and event.role == "primary" and row["dispatch_attempt"] > 1:  # a re-dispatch was sent
        await repository.add_history(conn, row["id"], row["status"], f"SMS to {event.role} {event.worker_id}")


async def on_notification_acknowledged(conn: asyncpg.Connection, envelope: Envelope,
                                       event: NotificationAcknowledged) -> None:
    row = await repository.get_for_update(conn, event.complaint_id)
    if row is not None:
        await _advance(conn, row, "acknowledged", event.acknowledged_at, f"acknowledged by {event.worker_id}")


RESPONSE_LABELS = {"accepted": "확인", "on_site": "도착", "done": "완료"}
STAGE_LABELS = {"backup": "예비 담당자 호출", "supervisor": "감독자 호출", "duty_officer": "당직 책임자 확인 필요"}
ROLE_LABELS = {"primary": "담당자", "backup": "예비 담당자", "supervisor": "감독자"}


async def on_worker_responded(conn: asyncpg.Connection, envelope: Envelope, event: WorkerResponded) -> None:
    """The worker tapped 확인/도착/완료: keep it (with the note) and, for any tap, count the complaint
    acknowledged (a worker who reports 도착 has obviously accepted it)."""
    row = await repository.get_for_update(conn, event.complaint_id)
    if row is None:
        log.warning("response for an unknown complaint ignored", complaint_id=str(event.complaint_id))
        return
    await conn.execute(
        "INSERT INTO worker_responses (complaint_id, notification_id, worker_id, response, note, responded_at,"
        " event_id) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        event.complaint_id, event.notification_id, event.worker_id, event.response, event.note,
        event.responded_at, envelope.event_id)
    await _advance(conn, row, "acknowledged", event.responded_at,
                   f"{RESPONSE_LABELS[event.response]} by {event.worker_id}")
    await field_progress.record_response(conn, row, event.response, event.responded_at)


async def on_escalation_raised(conn: asyncpg.Connection, envelope: Envelope, event: EscalationRaised) -> None:
    """Nobody acknowledged in time: the notifier texted the next person or asks the duty officer to act."""
    await _alert(conn, envelope, event.complaint_id, kind="escalation", stage=event.stage,
                 notification_id=event.notification_id, reason=event.reason, at=event.raised_at)


async def on_notification_failed(conn: asyncpg.Connection, envelope: Envelope, event: NotificationFailed) -> None:
    """An SMS could not be sent at all: the duty officer has to phone the worker."""
    await _alert(conn, envelope, event.complaint_id, kind="notification_failed", stage=None,
                 notification_id=event.notification_id, reason=event.error, at=event.failed_at,
                 worker_id=event.worker_id, role=event.role, attempts=event.attempts)


async def _alert(conn: asyncpg.Connection, envelope: Envelope, complaint_id: uuid.UUID, *, kind: str,
                 stage: str | None, notification_id: uuid.UUID, reason: str, at: datetime,
                 worker_id: str | None = None, role: str | None = None, attempts: int | None = None) -> None:
    if await repository.get(conn, complaint_id) is None:
        log.warning("alert for an unknown complaint ignored", complaint_id=str(complaint_id), kind=kind)
        return
    await conn.execute(
        "INSERT INTO complaint_alerts (complaint_id, kind, stage, notification_id, worker_id, role, attempts,"
        " reason, at, event_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        complaint_id, kind, stage, notification_id, worker_id, role, attempts, reason[:2000], at, envelope.event_id)
    log.warning("complaint alert", complaint_id=str(complaint_id), kind=kind, stage=stage)


async def field_reports(conn: Any, complaint_id: uuid.UUID) -> tuple[list[Any], list[Any]]:
    """The worker's responses and the alerts of one complaint, oldest first."""
    responses = await conn.fetch(
        "SELECT response, note, worker_id, notification_id, responded_at FROM worker_responses"
        " WHERE complaint_id = $1 ORDER BY responded_at, id", complaint_id)
    alerts = await conn.fetch(
        "SELECT kind, stage, notification_id, worker_id, role, attempts, reason, at FROM complaint_alerts"
        " WHERE complaint_id = $1 ORDER BY at, id", complaint_id)
    return responses, alerts


async def resolve(conn: asyncpg.Connection, complaint_id: uuid.UUID, note: str | None) -> None:
    row = await repository.get_for_update(conn, complaint_id)
    if row is None:
        raise NotFound(complaint_id)
    if row["status"] == "resolved":
        raise Conflict("the complaint is already resolved")
    await _advance(conn, row, "resolved", utcnow(), note or "resolved by officer", resolution_note=note)


async def reclassify(conn: asyncpg.Connection, cipher: FieldCipher, complaint_id: uuid.UUID, type_: str,
                     urgency: str | None, note: str | None) -> bool:
    """An officer sets the type (and urgency). Returns True when a dispatch was requested.

    Announces ``intake.complaint.reclassified.v1`` (the classifier keeps it as a labelled example
    when the type or urgency differs from its suggestion). A complaint not dispatched yet is
    dispatched now; one already dispatched under another type is dispatched again, so the
    on-call worker of the right team gets it too.
    """
    row = await repository.get_for_update(conn, complaint_id)
    if row is None:
        raise NotFound(complaint_id)
    if row["status"] == "resolved":
        raise Conflict("the complaint is resolved; its type can no longer change")
    urgency = urgency or row["urgency"] or row["suggested_urgency"] or "normal"
    now = utcnow()
    type_changed = row["type"] is not None and row["type"] != type_
    await add_to_outbox(conn, make_envelope(COMPLAINT_RECLASSIFIED, ComplaintReclassified(
        complaint_id=row["id"], description=row["description"], type=type_, urgency=urgency,
        previous_type=row["suggested_type"] or row["type"], previous_urgency=row["suggested_urgency"] or row["urgency"],
        model_version=row["model_version"], corrected_at=now, note=note,
    ), correlation_id=row["id"]))
    fields = {"type": type_, "urgency": urgency, "needs_review": False, "corrected_at": now}
    if type_changed or row["type"] is None:
        fields["department"] = None  # the classifier's department was for the other type
    reason = f"type set by officer: {type_}" + (f" ({note})" if note else "")
    if not await _advance(conn, row, "classified", now, reason, **fields):
        await repository.add_history(conn, row["id"], row["status"], reason)
    if row["duplicate_of"] is not None or (row["held_at"] is not None and not dispatch.dispatch_requested(row)):
        return False  # a linked complaint follows its primary; a held one waits for an officer's dispatch
    if not dispatch.dispatch_requested(row) or type_changed:
        await request_dispatch(conn, cipher, row, type_, urgency, None, "officer")
        log.info("dispatch requested by officer", complaint_id=str(row["id"]), type=type_, urgency=urgency,
                 again=row["dispatched_at"] is not None)
        return True
    return False
