"""Reporting's event handlers: fold each event into the read model, whatever order they come in.

Each runs inside the consumer's transaction (with the inbox row), so a redelivered
event changes nothing. The complaint row is created by whichever event comes first
and locked before it is changed, so concurrent consumers never lose an update.
"""

from __future__ import annotations

import asyncpg

from sunmoon.events import Envelope
from sunmoon.events.classifier import ComplaintClassified, SurgeDetected
from sunmoon.events.intake import ComplaintReceived, ComplaintReclassified, ComplaintStatusChanged
from sunmoon.events.notifier import NotificationAcknowledged, NotificationSent
from sunmoon.events.weather import ObservationRecorded

from . import domain, repository


async def on_complaint_received(conn: asyncpg.Connection, envelope: Envelope, event: ComplaintReceived) -> None:
    # Only what a report needs: the description, address, coordinates stay with intake.
    await repository.lock_complaint(conn, event.complaint_id)
    await repository.set_received(conn, event.complaint_id, event.received_at, event.channel, event.district)


async def on_complaint_classified(conn: asyncpg.Connection, envelope: Envelope,
                                  event: ComplaintClassified) -> None:
    row = await repository.lock_complaint(conn, event.complaint_id)
    shown = row["classification_event_at"]
    if shown is not None and shown > envelope.occurred_at:
        return  # a newer classification is already shown; this one arrived late
    await repository.set_classification(conn, event.complaint_id, type_=event.type, urgency=event.urgency,
                                        department=event.department, event_at=envelope.occurred_at)
    if event.weather is not None:
        await repository.set_weather(conn, event.complaint_id, event.weather.model_dump(mode="json"),
                                     event.weather_raised)


async def on_surge_detected(conn: asyncpg.Connection, envelope: Envelope, event: SurgeDetected) -> None:
    await repository.record_surge(conn, event.model_dump())


async def on_complaint_reclassified(conn: asyncpg.Connection, envelope: Envelope,
                                    event: ComplaintReclassified) -> None:
    """An officer's type wins over the classifier's suggestion (it is the newer event)."""
    row = await repository.lock_complaint(conn, event.complaint_id)
    shown = row["classification_event_at"]
    if shown is not None and shown > envelope.occurred_at:
        return
    await repository.set_classification(conn, event.complaint_id, type_=event.type, urgency=event.urgency,
                                        department=None, event_at=envelope.occurred_at)


async def on_status_changed(conn: asyncpg.Connection, envelope: Envelope, event: ComplaintStatusChanged) -> None:
    row = await repository.lock_complaint(conn, event.complaint_id)
    await repository.set_status(conn, event.complaint_id, domain.later_status(row["status"], event.status),
                                domain.STATUS_STAMPS.get(event.status), event.changed_at)


async def on_notification_sent(conn: asyncpg.Connection, envelope: Envelope, event: NotificationSent) -> None:
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
