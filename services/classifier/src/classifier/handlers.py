"""The classifier's event handler: classify, write the row and the outbox row in one transaction."""

from __future__ import annotations

import dataclasses

import asyncpg

from sunmoon.events import COMPLAINT_CLASSIFIED, SURGE_DETECTED, Envelope, make_envelope
from sunmoon.events.classifier import Candidate, ComplaintClassified, SurgeDetected
from sunmoon.events.intake import ComplaintReceived, ComplaintReclassified
from sunmoon.logging import get_logger
from sunmoon.messaging import add_to_outbox

from . import guidance, guidance_repository, models, repository, type_settings, weather
from .taxonomy import TYPES

log = get_logger(__name__)


def make_received_handler(active: models.ActiveModel):
    async def on_complaint_received(conn: asyncpg.Connection, envelope: Envelope,
                                    event: ComplaintReceived) -> None:
        await classify_received(conn, envelope, event, await active.current(conn))

    return on_complaint_received


async def classify_received(conn: asyncpg.Connection, envelope: Envelope, event: ComplaintReceived,
                            model) -> None:
    """Handler of ``intake.complaint.received.v1``: classify the complaint once and announce it.

    Runs inside the consumer's transaction (with the inbox row): the ``classifications``
    row and the outbox row for ``classifier.complaint.classified.v1`` commit together.
    The inbox drops a redelivered event; a *second* received event for a complaint that
    is already classified (another event id) finds the row and publishes nothing.
    """
    ctx = {"complaint_id": str(event.complaint_id), "event_id": str(envelope.event_id)}
    if await repository.is_classified(conn, event.complaint_id):
        log.info("complaint already classified; nothing published", **ctx)
        return
    result = type_settings.apply(models.classify(model, event.description), await type_settings.load(conn))
    context = await weather.context_at(conn, event.lat, event.lon, event.received_at)
    urgency, raised = weather.raise_urgency(result.type, result.urgency, context)
    if raised:
        result = dataclasses.replace(result, urgency=urgency)
    manual = await guidance_repository.newest_manual(conn, result.type)
    manual_id = manual["id"] if manual else None
    place = event.address or event.district or ""
    worker_sms = guidance.draft_worker_sms(result.type, result.urgency, place, event.description)
    citizen_reply = guidance.draft_citizen_reply(result.type, result.urgency, place, manual)
    classified = make_envelope(COMPLAINT_CLASSIFIED, ComplaintClassified(
        complaint_id=event.complaint_id, type=result.type, urgency=result.urgency,
        department=result.department, confidence=result.confidence, model_version=result.model_version,
        manual_id=manual_id, matched_terms=result.matched_terms, needs_review=result.needs_review,
        candidates=[Candidate(type=t, probability=p) for t, p in result.candidates],
        weather=context, weather_raised=raised,
    ), correlation_id=event.complaint_id)
    inserted = await repository.insert_classification(conn, {
        "complaint_id": event.complaint_id, "type": result.type, "urgency": result.urgency,
        "department": result.department, "confidence": result.confidence,
        "model_version": result.model_version, "manual_id": manual_id,
        "matched_terms": result.matched_terms, "scores": result.scores,
        "received_event_id": envelope.event_id, "classified_event_id": classified.event_id,
        "needs_review": result.needs_review,
        "candidates": [{"type": t, "probability": p} for t, p in result.candidates],
        "draft_worker_sms": worker_sms, "draft_citizen_reply": citizen_reply,
        "district": event.district, "received_at": event.received_at,
        "weather": context.model_dump(mode="json"), "weather_raised": raised,
    })
    if not inserted:  # classified concurrently by another replica between the check and the insert
        log.info("complaint already classified; nothing published", **ctx)
        return
    await add_to_outbox(conn, classified)
    surge = await weather.detect_surge(conn, event.district, result.type, event.received_at, context)
    if surge:
        await add_to_outbox(conn, make_envelope(SURGE_DETECTED, SurgeDetected(**surge)))
        log.warning("surge of weather-related complaints", district=surge["district"], group=surge["group"],
                    count=surge["count"], warnings=surge["warnings"])
    # matched terms are the complaint's own words: logged as a count only, never as text
    log.info("complaint classified", type=result.type, urgency=result.urgency, confidence=result.confidence,
             needs_review=result.needs_review, weather_raised=raised, hazards=context.hazards,
             manual_id=manual_id, terms=len(result.matched_terms), model_version=result.model_version, **ctx)


async def on_complaint_reclassified(conn: asyncpg.Connection, envelope: Envelope,
                                    event: ComplaintReclassified) -> None:
    """Handler of ``intake.complaint.reclassified.v1``: keep the officer's type as a labelled example.

    The latest correction of a complaint wins (an officer may change their mind); an older
    event arriving late does not overwrite a newer one. ``retrain`` learns from these rows.
    """
    if event.type not in TYPES:
        log.warning("correction to an unknown type ignored", complaint_id=str(event.complaint_id), type=event.type)
        return
    await repository.upsert_correction(conn, {
        "complaint_id": event.complaint_id, "text": event.description, "type": event.type,
        "urgency": event.urgency, "suggested_type": event.previous_type, "model_version": event.model_version,
        "event_id": envelope.event_id, "corrected_at": event.corrected_at,
    })
    await repository.mark_corrected(conn, event.complaint_id, event.type, event.corrected_at)
    log.info("officer's correction kept for retraining", complaint_id=str(event.complaint_id),
             type=event.type, previous_type=event.previous_type, model_version=event.model_version)
