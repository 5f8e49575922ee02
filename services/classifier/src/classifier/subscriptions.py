"""The classifier's routing table: what it consumes, under which durable name."""

from sunmoon.events import COMPLAINT_RECEIVED
from sunmoon.messaging import Subscription

from . import handlers


def subscriptions() -> list[Subscription]:
    return [
        Subscription(COMPLAINT_RECEIVED.subject, "classifier-complaint-received", handlers.on_complaint_received),
    ]
