"""The classifier's routing table: what it consumes, under which durable name."""

from sunmoon.events import COMPLAINT_RECEIVED, COMPLAINT_RECLASSIFIED
from sunmoon.messaging import Subscription

from . import handlers
from .models import ActiveModel


def subscriptions(active: ActiveModel) -> list[Subscription]:
    return [
        Subscription(COMPLAINT_RECEIVED.subject, "classifier-complaint-received",
                     handlers.make_received_handler(active)),
        Subscription(COMPLAINT_RECLASSIFIED.subject, "classifier-complaint-reclassified",
                     handlers.on_complaint_reclassified),
    ]
