"""Event envelope, payload models (one module per producer) and the subject registry."""

from .envelope import Envelope, utcnow
from .registry import (
    COMPLAINT_CLASSIFIED,
    COMPLAINT_RECEIVED,
    COMPLAINT_RECLASSIFIED,
    DISPATCH_REQUESTED,
    ESCALATION_RAISED,
    NOTIFICATION_ACKNOWLEDGED,
    NOTIFICATION_DELIVERED,
    NOTIFICATION_FAILED,
    NOTIFICATION_SENT,
    OBSERVATION_RECORDED,
    REGISTRY,
    STATUS_CHANGED,
    STREAMS,
    WORKER_RESPONDED,
    EventSpec,
    InvalidEvent,
    decode,
    make_envelope,
)

__all__ = [
    "COMPLAINT_CLASSIFIED", "COMPLAINT_RECEIVED", "COMPLAINT_RECLASSIFIED", "DISPATCH_REQUESTED", "ESCALATION_RAISED", "NOTIFICATION_ACKNOWLEDGED",
    "NOTIFICATION_DELIVERED", "NOTIFICATION_FAILED", "WORKER_RESPONDED",
    "NOTIFICATION_SENT", "OBSERVATION_RECORDED", "REGISTRY", "STATUS_CHANGED", "STREAMS",
    "Envelope", "EventSpec", "InvalidEvent", "decode", "make_envelope", "utcnow",
]
