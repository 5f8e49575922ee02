"""Messaging on NATS JetStream: connection, streams, the outbox relay and the consumer loop."""

from .consumer import Handler, Subscription, run_consumer
from .nats import Namespace, connect, ensure_streams
from .outbox import OutboxRelay, add_to_outbox

__all__ = [
    "Handler", "Namespace", "OutboxRelay", "Subscription", "add_to_outbox", "connect",
    "ensure_streams", "run_consumer",
]
