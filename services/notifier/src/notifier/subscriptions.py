"""The notifier's routing table: what it consumes, under which durable name."""

from sunmoon.events import DISPATCH_REQUESTED
from sunmoon.messaging import Subscription

from . import handlers


def subscriptions(public_url: str) -> list[Subscription]:
    return [
        Subscription(DISPATCH_REQUESTED.subject, "notifier-complaint-dispatch_requested",
                     handlers.make_dispatch_handler(public_url)),
    ]
