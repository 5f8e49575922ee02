"""The classifier's routing table: what it consumes, under which durable name."""

from sunmoon.events import COMPLAINT_RECEIVED, COMPLAINT_RECLASSIFIED, OBSERVATION_RECORDED, WARNING_CHANGED
from sunmoon.messaging import Subscription

from . import handlers, weather
from .models import ActiveModel


def subscriptions(active: ActiveModel) -> list[Subscription]:
    return [
        Subscription(COMPLAINT_RECEIVED.subject, "classifier-complaint-received",
                     handlers.make_received_handler(active)),
        Subscription(COMPLAINT_RECLASSIFIED.subject, "classifier-complaint-reclassified",
                     handlers.on_complaint_reclassified),
        Subscription(OBSERVATION_RECORDED.subject, "classifier-observation-recorded", weather.on_observation_recorded),
        Subscription(WARNING_CHANGED.subject, "classifier-warning-changed", weather.on_warning_changed),
    ]
