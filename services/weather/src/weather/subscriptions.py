"""Weather's routing table: what it consumes, under which durable name.

The foundation version consumes nothing: observations come in over HTTP, the
command line, and (later) the KMA API client. It only publishes, through its outbox.
"""

from sunmoon.messaging import Subscription


def subscriptions() -> list[Subscription]:
    return []
