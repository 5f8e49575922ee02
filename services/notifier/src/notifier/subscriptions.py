"""The notifier's routing table: what it consumes, under which durable name."""

from sunmoon.events import COMPLAINT_LINKED, DISPATCH_REQUESTED, STATUS_CHANGED, SURGE_DETECTED
from sunmoon.messaging import Subscription

from . import handlers, linked


def subscriptions(public_url: str, linked_follow_up: bool = False) -> list[Subscription]:
    return [
        Subscription(DISPATCH_REQUESTED.subject, "notifier-complaint-dispatch_requested",
                     handlers.make_dispatch_handler(public_url)),
        Subscription(SURGE_DETECTED.subject, "notifier-surge-detected", handlers.make_surge_handler(public_url)),
        Subscription(STATUS_CHANGED.subject, "notifier-complaint-status_changed", handlers.on_status_changed,
                     wants=handlers.wants_status),
        Subscription(COMPLAINT_LINKED.subject, "notifier-complaint-linked", linked.make_linked_handler(public_url, follow_up=linked_follow_up)),
    ]
