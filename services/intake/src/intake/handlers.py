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
from sunmoon.events.notifier import NotificationAcknowledged, NotificationSent
from sunmoon.logging import get_logger
from sunmoon.messaging import add_to_outbox

from . import domain, repository

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
                      "candidates": [c.model_dump(mode="json") for c in event.candidates]}
        if row["corrected_at"] is not None:  # the officer has decided already
            await repository.set_fields(conn, row["id"], **suggestion)
            return
        held = event.needs_review and event.urgency != "urgent"
        await _advance(conn, row, "classified", envelope.occurred_at, f"model {event.model_version}",
                       type=event.type, urgency=event.urgency, department=event.department,
                       needs_review=event.needs_review, **suggestion)
        if held:
            log.info("classification unsure; waiting for the officer's choice", complaint_id=str(row["id"]),
                     confidence=event.confidence, candidates=[c.type for c in event.candidates])
            return
        if auto_dispatch and row["dispatched_at"] is None and row["status"] in ("received", "classified"):
            await request_dispatch(conn, cipher, row, event.type, event.urgency, event.department, "auto")

    return on_classified


async def request_dispatch(conn: asyncpg.Connection, cipher: FieldCipher, row: Any, type_: str,
                           urgency: str, department: str | None, requested_by: str) -> None:
    callback = None
    if row["complainant_phone_enc"] is not None:
        phone = cipher.decrypt(row["complainant_phone_enc"], table=TABLE, column="complainant_phone",
                               row_id=row["id"])
        callback = mask_phone(phone.reveal())
    await add_to_outbox(conn, make_envelope(DISPATCH_REQUESTED, ComplaintDispatchRequested(
        complaint_id=row["id"], type=type_, urgency=urgency, department=department,
        address=row["address"], district=row["district"], lat=row["lat"], lon=row["lon"],
        callback_masked=callback, summary=domain.summary_of(row["description"]), requested_by=requested_by,
    ), correlation_id=row["id"]))


async def on_notification_sent(conn: asyncpg.Connection, envelope: Envelope, event: NotificationSent) -> None:
    row = await repository.get_for_update(conn, event.complaint_id)
    if row is not None:
        await _advance(conn, row, "dispatched", event.sent_at, f"SMS to {event.role} {event.worker_id}")


async def on_notification_acknowledged(conn: asyncpg.Connection, envelope: Envelope,
                                       event: NotificationAcknowledged) -> None:
    row = await repository.get_for_update(conn, event.complaint_id)
    if row is not None:
        await _advance(conn, row, "acknowledged", event.acknowledged_at, f"acknowledged by {event.worker_id}")


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
    if row["dispatched_at"] is None or type_changed:
        await request_dispatch(conn, cipher, row, type_, urgency, None, "officer")
        log.info("dispatch requested by officer", complaint_id=str(row["id"]), type=type_, urgency=urgency,
                 again=row["dispatched_at"] is not None)
        return True
    return False
