"""Connecting to NATS, namespacing subjects and streams, creating the streams."""

from __future__ import annotations

import re
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from ..events import STREAMS
from ..logging import get_logger
from ..tls import nats_tls

log = get_logger(__name__)

# Seconds, as nats-py expects (not nanoseconds). Must exceed the outbox relay's
# worst retry horizon: a row republished within it is dropped by JetStream.
DUPLICATE_WINDOW_S = 15 * 60
STREAM_MAX_AGE_S = 30 * 24 * 3600


@dataclass(frozen=True)
class Namespace:
    """A prefix for every subject and stream: lets tests (or several cities) share one NATS."""

    prefix: str = ""

    def __post_init__(self) -> None:
        if self.prefix and not re.fullmatch(r"[A-Za-z0-9_-]+", self.prefix):
            raise ValueError("NATS namespace may contain only letters, digits, _ and -")

    def subject(self, subject: str) -> str:
        return f"{self.prefix}.{subject}" if self.prefix else subject

    def strip(self, subject: str) -> str:
        if self.prefix and subject.startswith(self.prefix + "."):
            return subject[len(self.prefix) + 1 :]
        return subject

    def stream(self, name: str) -> str:
        return f"{self.prefix.upper().replace('-', '_')}_{name}" if self.prefix else name

    def durable(self, name: str) -> str:
        return name  # durables live inside the namespaced stream already


async def connect(url: str, *, name: str, ca_file: str | None = None, user: str | None = None,
                  password: str | None = None) -> tuple[Client, JetStreamContext]:
    """Connect with reconnects forever. TLS when the URL says ``tls://`` or the server requires it, verified
    against the system's CAs plus ``ca_file`` (default ``SUNMOON_TLS_CA_FILE``).

    With ``user`` (and ``password``) authenticate as that user and take replies on the private inbox
    prefix ``_INBOX_<user>``: the server lets each user subscribe only to its own (see
    :mod:`sunmoon.access`), so no service reads another's replies or fetched messages. No user: no auth.
    """
    auth: dict = {}
    if user:
        auth = {"user": user, "password": password or "", "inbox_prefix": f"_INBOX_{user}"}

    async def _error(exc: Exception) -> None:
        log.warning("nats connection error", error=str(exc))

    async def _disconnected() -> None:
        if nc.is_closed:  # our own close() (a stop, a one-off connection): nothing is wrong
            log.debug("nats connection closed")
        else:
            log.warning("nats disconnected")

    async def _reconnected() -> None:
        log.info("nats reconnected")

    nc = await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=5,
        tls=nats_tls(url, ca_file),
        error_cb=_error,
        disconnected_cb=_disconnected,
        reconnected_cb=_reconnected,
        **auth,
    )
    return nc, nc.jetstream(timeout=10)


async def ensure_streams(
    js: JetStreamContext, ns: Namespace, *, replicas: int | None = None, only: list[str] | None = None
) -> None:
    """Create (or update) one file-backed stream per producer.

    ``replicas=None`` (what services do at start): a new stream gets one replica and an existing one keeps
    its count, so a service never scales down the three replicas that ``python -m sunmoon.streams`` set."""
    for name, pattern in STREAMS.items():
        if only is not None and name not in only:
            continue
        config = StreamConfig(
            name=ns.stream(name),
            subjects=[ns.subject(pattern)],
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_S,
            max_age=STREAM_MAX_AGE_S,
            num_replicas=replicas or 1,
        )
        try:
            info = await js.stream_info(config.name)
            if replicas is None:
                config.num_replicas = info.config.num_replicas or 1
            await js.update_stream(config)
        except NotFoundError:
            try:
                await js.add_stream(config)
            except BadRequestError as exc:  # created concurrently by another service
                if "already in use" not in str(exc):
                    raise
