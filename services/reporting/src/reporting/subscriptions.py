"""Reporting's routing table: every event it folds into its read model, under which durable name."""

from functools import partial

from sunmoon.events import (
    COMPLAINT_CLASSIFIED, COMPLAINT_LINKED, COMPLAINT_RECEIVED, COMPLAINT_RECLASSIFIED, NOTIFICATION_ACKNOWLEDGED, NOTIFICATION_SENT,
    OBSERVATION_RECORDED, STATUS_CHANGED, SURGE_DETECTED,
)
from sunmoon.messaging import Subscription

from . import handlers


def subscriptions(opts: handlers.Folding = handlers.DEFAULT) -> list[Subscription]:
    return [
        Subscription(COMPLAINT_RECEIVED.subject, "reporting-complaint-received",
                     partial(handlers.on_complaint_received, opts=opts)),
        Subscription(COMPLAINT_CLASSIFIED.subject, "reporting-complaint-classified",
                     partial(handlers.on_complaint_classified, opts=opts)),
        Subscription(COMPLAINT_RECLASSIFIED.subject, "reporting-complaint-reclassified",
                     partial(handlers.on_complaint_reclassified, opts=opts)),
        Subscription(SURGE_DETECTED.subject, "reporting-surge-detected", handlers.on_surge_detected),
        Subscription(COMPLAINT_LINKED.subject, "reporting-complaint-linked", handlers.on_complaint_linked),
        Subscription(STATUS_CHANGED.subject, "reporting-complaint-status-changed",
                     partial(handlers.on_status_changed, opts=opts)),
        Subscription(NOTIFICATION_SENT.subject, "reporting-notification-sent", handlers.on_notification_sent),
        Subscription(NOTIFICATION_ACKNOWLEDGED.subject, "reporting-notification-acknowledged",
                     handlers.on_notification_acknowledged),
        Subscription(OBSERVATION_RECORDED.subject, "reporting-observation-recorded",
                     handlers.on_observation_recorded),
    ]
