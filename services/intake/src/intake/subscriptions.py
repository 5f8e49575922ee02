"""Intake's routing table: what it consumes, under which durable name."""

from sunmoon.crypto import FieldCipher
from sunmoon.events import (
    COMPLAINT_CLASSIFIED, ESCALATION_RAISED, NOTIFICATION_ACKNOWLEDGED, NOTIFICATION_DELIVERED, NOTIFICATION_FAILED,
    NOTIFICATION_SENT,
    WORKER_RESPONDED,
)
from sunmoon.messaging import Subscription

from . import field_progress, handlers


def subscriptions(cipher: FieldCipher, *, auto_dispatch: bool) -> list[Subscription]:
    return [
        Subscription(COMPLAINT_CLASSIFIED.subject, "intake-complaint-classified",
                     handlers.make_classified_handler(cipher, auto_dispatch=auto_dispatch)),
        Subscription(NOTIFICATION_SENT.subject, "intake-notification-sent", handlers.on_notification_sent),
        Subscription(NOTIFICATION_ACKNOWLEDGED.subject, "intake-notification-acknowledged",
                     handlers.on_notification_acknowledged),
        Subscription(WORKER_RESPONDED.subject, "intake-notification-responded", handlers.on_worker_responded),
        Subscription(ESCALATION_RAISED.subject, "intake-escalation-raised", handlers.on_escalation_raised),
        Subscription(NOTIFICATION_FAILED.subject, "intake-notification-failed", handlers.on_notification_failed),
        Subscription(NOTIFICATION_DELIVERED.subject, "intake-notification-delivered",
                     field_progress.on_notification_delivered),
    ]
