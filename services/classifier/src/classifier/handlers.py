"""The classifier's event handler: classify, write the row and the outbox row in one transaction."""

from __future__ import annotations

import asyncpg

from sunmoon.events import COMPLAINT_CLASSIFIED, Envelope, make_envelope
from sunmoon.events.classifier import ComplaintClassified
from sunmoon.events.intake import ComplaintReceived
from sunmoon.logging import get_logger
from sunmoon.messaging import add_to_outbox

from . import domain, repository

log = get_logger(__name__)


async def on_complaint_received(conn: asyncpg.Connection, envelope: Envelope, event: ComplaintReceived) -> None:
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
    result = domain.classify(event.description)
    manual_id = await repository.current_manual_id(conn, result.type)
    classified = make_envelope(COMPLAINT_CLASSIFIED, ComplaintClassified(
        complaint_id=event.complaint_id, type=result.type, urgency=result.urgency,
        department=result.department, confidence=result.confidence, model_version=result.model_version,
        manual_id=manual_id, matched_terms=result.matched_terms,
    ), correlation_id=event.complaint_id)
    inserted = await repository.insert_classification(conn, {
        "complaint_id": event.complaint_id, "type": result.type, "urgency": result.urgency,
        "department": result.department, "confidence": result.confidence,
        "model_version": result.model_version, "manual_id": manual_id,
        "matched_terms": result.matched_terms, "scores": result.scores,
        "received_event_id": envelope.event_id, "classified_event_id": classified.event_id,
    })
    if not inserted:  # classified concurrently by another replica between the check and the insert
        log.info("complaint already classified; nothing published", **ctx)
        return
    await add_to_outbox(conn, classified)
    # matched terms are the complaint's own words: logged as a count only, never as text
    log.info("complaint classified", type=result.type, urgency=result.urgency, confidence=result.confidence,
             manual_id=manual_id, terms=len(result.matched_terms), model_version=result.model_version, **ctx)
