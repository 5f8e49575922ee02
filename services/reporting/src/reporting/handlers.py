"""Reporting's event handlers: fold each event into the read model, whatever order they come in.

Each runs inside the consumer's transaction (with the inbox row), so a redelivered
event changes nothing. The complaint row is created by whichever event comes first
and locked before it is changed, so concurrent consumers never lose an update.

When a complaint's state changed, the handler also writes a ComplaintState event
(``reporting.analytics.complaint_state.v1``) to the outbox in that same transaction: the
analytics feed can neither miss a change nor announce one that was rolled back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from pydantic import ValidationError

from sunmoon.events import ANALYTICS_COMPLAINT_STATE, Envelope, make_envelope
from sunmoon.events.classifier import ComplaintClassified, SurgeDetected
from sunmoon.events.intake import ComplaintLinked, ComplaintReceived, ComplaintReclassified, ComplaintStatusChanged
from sunmoon.events.notifier import NotificationAcknowledged, NotificationSent
from sunmoon.events.weather import ObservationRecorded
from sunmoon.kmagrid import OutsideGrid, to_grid
from sunmoon.logging import get_logger
from sunmoon.messaging import add_to_outbox

from . import domain, repository

log = get_logger(__name__)


@dataclass(frozen=True)
class Folding:
    """What the handlers keep and announce (from the settings; see subscriptions.py)."""

    feed: bool = True  # publish ComplaintState on every change
    summary: bool = True  # keep a 40-character summary of the description


DEFAULT = Folding()


async def _announce(conn: asyncpg.Connection, complaint_id: uuid.UUID, before: asyncpg.Record,
                    after: asyncpg.Record, change: str, changed_at: datetime, opts: Folding) -> None:
    """Outbox a ComplaintState if the complaint's analytics view changed (a repeated fact changes nothing);
    ``before`` is the row as locked, ``after`` as the handler's last UPDATE returned it."""
    if not opts.feed:
        return
    if domain.state_of(after) == domain.state_of(before):
        return
    try:
        state = domain.complaint_state(complaint_id, after, change, changed_at)
    except ValidationError as exc:  # e.g. a grid cell out of range: the read model is still right
        log.warning("complaint state not announced", complaint_id=str(complaint_id), error=str(exc)[:300])
        return
    await add_to_outbox(conn, make_envelope(ANALYTICS_COMPLAINT_STATE, state, correlation_id=complaint_id))


def _grid(lat: float | None, lon: float | None) -> tuple[int | None, int | None]:
    if lat is None or lon is None:
        return None, None
    try:
        return to_grid(lat, lon)
    except OutsideGrid:
        return None, None


async def on_complaint_received(conn: asyncpg.Connection, envelope: Envelope, event: ComplaintReceived,
                                opts: Folding = DEFAULT) -> None:
    # No address: the district, the place to ~11 m and a short scrubbed summary are enough for reports.
    before = await repository.lock_complaint(conn, event.complaint_id)
    nx, ny = _grid(event.lat, event.lon)
    after = await repository.set_received(
        conn, event.complaint_id, event.received_at, event.channel, event.district,
        lat=domain.round_place(event.lat), lon=domain.round_place(event.lon), nx=nx, ny=ny,
        summary=domain.summarize_description(event.description) if opts.summary else None)
    await _announce(conn, event.complaint_id, before, after, "received", event.received_at, opts)


async def on_complaint_classified(conn: asyncpg.Connection, envelope: Envelope,
                                  event: ComplaintClassified, opts: Folding = DEFAULT) -> None:
    row = await repository.lock_complaint(conn, event.complaint_id)
    shown = row["classification_event_at"]
    if shown is not None and shown > envelope.occurred_at:
        return  # a newer classification is already shown; this one arrived late
    after = await repository.set_classification(conn, event.complaint_id, type_=event.type,
                                                urgency=event.urgency, department=event.department,
                                                event_at=envelope.occurred_at)
    if event.weather is not None:
        after = await repository.set_weather(conn, event.complaint_id, event.weather.model_dump(mode="json"),
                                             event.weather_raised)
    await _announce(conn, event.complaint_id, row, after, "classified", envelope.occurred_at, opts)


async def on_surge_detected(conn: asyncpg.Connection, envelope: Envelope, event: SurgeDetected) -> None:
    await repository.record_surge(conn, event.model_dump())


async def on_complaint_reclassified(conn: asyncpg.Connection, envelope: Envelope,
                                    event: ComplaintReclassified, opts: Folding = DEFAULT) -> None:
    """An officer's type wins over the classifier's suggestion (it is the newer event)."""
    row = await repository.lock_complaint(conn, event.complaint_id)
    shown = row["classification_event_at"]
    if shown is not None and shown > envelope.occurred_at:
        return
    after = await repository.set_classification(conn, event.complaint_id, type_=event.type,
                                                urgency=event.urgency, department=None,
                                                event_at=envelope.occurred_at)
    await _announce(conn, event.complaint_id, row, after, "reclassified", event.corrected_at, opts)


async def on_status_changed(conn: asyncpg.Connection, envelope: Envelope, event: ComplaintStatusChanged,
                            opts: Folding = DEFAULT) -> None:
    row = await repository.lock_complaint(conn, event.complaint_id)
    after = await repository.set_status(conn, event.complaint_id, domain.later_status(row["status"], event.status),
                                        domain.STATUS_STAMPS.get(event.status), event.changed_at)
    await _announce(conn, event.complaint_id, row, after, event.status, event.changed_at, opts)


async def on_notification_sent(conn: asyncpg.Connection, envelope: Envelope, event: NotificationSent) -> None:
    # Notifications change no complaint state of their own (intake announces `dispatched`);
    # the feed carries the new sms_count with the complaint's next change.
    await repository.lock_complaint(conn, event.complaint_id)
    first = await repository.record_notification_sent(conn, {
        "notification_id": event.notification_id, "complaint_id": event.complaint_id, "team": event.team,
        "role": event.role, "provider": event.provider, "message_kind": event.message_kind,
        "sent_at": event.sent_at,
    })
    if first:
        await repository.count_sms(conn, event.complaint_id)


async def on_notification_acknowledged(conn: asyncpg.Connection, envelope: Envelope,
                                       event: NotificationAcknowledged) -> None:
    await repository.lock_complaint(conn, event.complaint_id)
    await repository.record_notification_acknowledged(conn, event.notification_id, event.complaint_id,
                                                      event.acknowledged_at)
    await repository.set_acknowledged(conn, event.complaint_id, event.acknowledged_at)


async def on_observation_recorded(conn: asyncpg.Connection, envelope: Envelope,
                                  event: ObservationRecorded) -> None:
    await repository.upsert_observation(conn, event.model_dump(), envelope.occurred_at)


async def on_complaint_linked(conn: asyncpg.Connection, envelope: Envelope, event: ComplaintLinked) -> None:
    """A duplicate keeps its row (it is a complaint, counted as one) and is marked with its primary."""
    await repository.lock_complaint(conn, event.complaint_id)
    await conn.execute("UPDATE complaints SET duplicate_of = $2, updated_at = now() WHERE complaint_id = $1",
                       event.complaint_id, event.primary_id)
