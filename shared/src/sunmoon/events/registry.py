"""Subject registry: every subject, its payload model and its producer's stream.

A consumer decodes with :func:`decode`; anything it cannot decode or validate
raises :class:`InvalidEvent`, which the consumer loop dead-letters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from . import classifier, intake, notifier, reporting, weather
from .envelope import Envelope


class InvalidEvent(ValueError):
    """A message that can never be processed: wrong JSON, unknown subject, invalid payload."""


@dataclass(frozen=True)
class EventSpec:
    subject: str  # without namespace, e.g. intake.complaint.received.v1
    model: type[BaseModel]

    @property
    def producer(self) -> str:
        return self.subject.split(".", 1)[0]

    @property
    def type(self) -> str:
        return self.subject.rsplit(".", 1)[0]

    @property
    def version(self) -> int:
        return int(self.subject.rsplit(".v", 1)[1])


COMPLAINT_RECEIVED = EventSpec("intake.complaint.received.v1", intake.ComplaintReceived)
DISPATCH_REQUESTED = EventSpec("intake.complaint.dispatch_requested.v1", intake.ComplaintDispatchRequested)
STATUS_CHANGED = EventSpec("intake.complaint.status_changed.v1", intake.ComplaintStatusChanged)
COMPLAINT_RECLASSIFIED = EventSpec("intake.complaint.reclassified.v1", intake.ComplaintReclassified)
COMPLAINT_LINKED = EventSpec("intake.complaint.linked.v1", intake.ComplaintLinked)
COMPLAINT_CLASSIFIED = EventSpec("classifier.complaint.classified.v1", classifier.ComplaintClassified)
SURGE_DETECTED = EventSpec("classifier.surge.detected.v1", classifier.SurgeDetected)
NOTIFICATION_SENT = EventSpec("notifier.notification.sent.v1", notifier.NotificationSent)
NOTIFICATION_ACKNOWLEDGED = EventSpec(
    "notifier.notification.acknowledged.v1", notifier.NotificationAcknowledged
)
NOTIFICATION_DELIVERED = EventSpec("notifier.notification.delivered.v1", notifier.NotificationDelivered)
NOTIFICATION_FAILED = EventSpec("notifier.notification.failed.v1", notifier.NotificationFailed)
WORKER_RESPONDED = EventSpec("notifier.notification.responded.v1", notifier.WorkerResponded)
ESCALATION_RAISED = EventSpec("notifier.escalation.raised.v1", notifier.EscalationRaised)
ANALYTICS_COMPLAINT_STATE = EventSpec("reporting.analytics.complaint_state.v1", reporting.ComplaintState)
REPORT_GENERATED = EventSpec("reporting.report.generated.v1", reporting.ReportGenerated)
OBSERVATION_RECORDED = EventSpec("weather.observation.recorded.v1", weather.ObservationRecorded)
WARNING_CHANGED = EventSpec("weather.warning.changed.v1", weather.WarningChanged)

REGISTRY: dict[str, EventSpec] = {
    spec.subject: spec
    for spec in (
        COMPLAINT_RECEIVED, DISPATCH_REQUESTED, STATUS_CHANGED, COMPLAINT_RECLASSIFIED, COMPLAINT_LINKED,
        COMPLAINT_CLASSIFIED,
        NOTIFICATION_SENT, NOTIFICATION_ACKNOWLEDGED, NOTIFICATION_DELIVERED, NOTIFICATION_FAILED,
        WORKER_RESPONDED, ESCALATION_RAISED, OBSERVATION_RECORDED, WARNING_CHANGED, SURGE_DETECTED,
        ANALYTICS_COMPLAINT_STATE, REPORT_GENERATED,
    )
}

# One stream per producer: stream name -> subject pattern (before namespacing).
STREAMS: dict[str, str] = {
    "INTAKE": "intake.>",
    "CLASSIFIER": "classifier.>",
    "NOTIFIER": "notifier.>",
    "WEATHER": "weather.>",
    "REPORTING": "reporting.>",
}


def make_envelope(spec: EventSpec, payload: BaseModel, *, correlation_id=None) -> Envelope:
    if not isinstance(payload, spec.model):
        raise TypeError(f"{spec.subject} carries {spec.model.__name__}, not {type(payload).__name__}")
    return Envelope(
        type=spec.type,
        version=spec.version,
        producer=spec.producer,
        correlation_id=correlation_id,
        payload=payload.model_dump(mode="json"),
    )


def decode(subject: str, data: bytes) -> tuple[Envelope, BaseModel]:
    """Decode a message body published on ``subject`` (namespace already stripped)."""
    spec = REGISTRY.get(subject)
    if spec is None:
        raise InvalidEvent(f"unknown subject {subject!r}")
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEvent(f"body is not JSON: {exc}") from exc
    try:
        envelope = Envelope.model_validate(raw)
    except ValidationError as exc:
        raise InvalidEvent(f"bad envelope: {_errors(exc)}") from exc
    if envelope.subject != subject:
        raise InvalidEvent(f"envelope says {envelope.subject!r} but arrived on {subject!r}")
    try:
        payload = spec.model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise InvalidEvent(f"bad payload: {_errors(exc)}") from exc
    return envelope, payload


def _errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in exc.errors()[:5]
    )
