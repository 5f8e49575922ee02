"""Durable pull consumers with an inbox, explicit ack after commit and dead letters.

For each message:

1. decode and validate it (envelope + payload model from the registry); if that
   fails the message can never succeed: record it in ``dead_letters``, log it,
   count it, ``term()`` it, go on;
2. in one transaction: insert ``(consumer, event_id)`` into ``inbox``
   (``ON CONFLICT DO NOTHING``) and, only if that row is new, run the handler,
   which writes its rows and outbox rows on the same connection;
3. commit, then ``ack()``.

Events come through one pull request kept open (:mod:`.pull`), not a request per batch.
Messages fetched together are handled in *one* transaction (step 2 for each, one commit, then every ack):
one BEGIN/COMMIT and one WAL flush per batch instead of per message, which is what a consumer that has
fallen behind needs. If anything in the batch fails (a handler raises, the commit fails) the whole
transaction rolls back, nothing of it was kept, and the messages are handled again one at a time as above,
so the failing one is retried or dead-lettered alone. A handler therefore writes only through ``conn``
(or is harmless to repeat), as it must already for redeliveries.

A subscription may say which events it ``wants`` (a test on the decoded payload): the others are acked at
once, with no transaction and no inbox row, and counted as ``ignored`` - there is nothing to write, so nothing
to repeat. (The notifier reads every status change but acts only on "resolved".)

A handler that raises (database down, a bug) gets ``nak(delay)`` with a growing
delay; after ``max_deliver`` attempts the message is dead-lettered and
terminated, so nothing is retried forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from ..events import REGISTRY, Envelope, InvalidEvent, decode
from ..logging import get_logger
from .nats import Namespace
from .pull import Puller

log = get_logger(__name__)

Handler = Callable[[asyncpg.Connection, Envelope, Any], Awaitable[None]]


class PermanentError(Exception):
    """Raised by a handler for an event that is valid but can never be processed."""


@dataclass
class Subscription:
    subject: str  # registry subject, e.g. "intake.complaint.received.v1"
    durable: str  # "<consumer>-<entity>-<event>", no dots
    handler: Handler
    ack_wait: float = 30.0  # seconds
    max_deliver: int = 10
    batch: int = 20
    backoff: tuple[float, ...] = (0.5, 1, 2, 5, 10, 30)
    wants: Callable[[Any], bool] | None = None  # payload -> False: ack it unhandled (no transaction, no inbox)

    def __post_init__(self) -> None:
        if self.subject not in REGISTRY:
            raise ValueError(f"{self.subject} is not in the event registry")
        if "." in self.durable:
            raise ValueError("durable consumer names may not contain dots")

    @property
    def stream(self) -> str:
        return self.subject.split(".", 1)[0].upper()


@dataclass
class ConsumerStats:
    processed: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    retried: int = 0
    skipped: int = 0  # not wanted by the subscription: acked unhandled
    by_durable: dict[str, int] = field(default_factory=dict)
    metrics: Any = None  # sunmoon.metrics.Metrics, when the runtime has one

    def count(self, subject: str, durable: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.event(subject, durable, outcome)

    def ignored(self, subject: str, durable: str) -> None:
        self.skipped += 1
        self.count(subject, durable, "ignored")

    def handled(self, subject: str, durable: str, seconds: float, *, fresh: bool) -> bool:
        """Count one event handled (``fresh``) or recognised as a duplicate; returns ``fresh``."""
        if self.metrics is not None:
            self.metrics.handled(durable, seconds)
        if fresh:
            self.processed += 1
            self.by_durable[durable] = self.by_durable.get(durable, 0) + 1
        else:
            self.duplicates += 1
        self.count(subject, durable, "processed" if fresh else "duplicate")
        return fresh


async def run_consumer(
    js: JetStreamContext,
    pool: asyncpg.Pool,
    ns: Namespace,
    sub: Subscription,
    stop: asyncio.Event,
    stats: ConsumerStats | None = None,
) -> None:
    stats = stats or ConsumerStats()
    config = ConsumerConfig(
        durable_name=sub.durable,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=sub.ack_wait,
        max_deliver=sub.max_deliver + 1,  # the last delivery is ours to dead-letter
        filter_subject=ns.subject(sub.subject),
    )
    psub = None
    while psub is None and not stop.is_set():
        try:
            psub = await js.pull_subscribe(
                ns.subject(sub.subject), durable=sub.durable, stream=ns.stream(sub.stream), config=config
            )
        except Exception as exc:  # noqa: BLE001 - stream not there yet, NATS restarting
            log.warning("consumer: cannot subscribe yet, retrying", durable=sub.durable, error=str(exc))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
    if psub is None:
        return
    with contextlib.suppress(Exception):
        await psub.unsubscribe()  # it created or bound the consumer; the events come through one open request
    puller = await Puller(js, ns.stream(sub.stream), sub.durable, batch=sub.batch).start()
    log.info("consumer started", durable=sub.durable, subject=sub.subject)
    try:
        while not stop.is_set():
            try:
                msgs = await puller.next_batch(timeout=1.0)
            except Exception as exc:  # noqa: BLE001 - connection trouble: wait for reconnect
                log.warning("consumer: pull failed", durable=sub.durable, error=str(exc))
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)
                continue
            if len(msgs) > 1 and await handle_batch(pool, ns, sub, msgs, stats):
                continue
            for msg in msgs:
                await _handle_one(pool, ns, sub, msg, stats)
    finally:
        await puller.close()


async def _handle_one(pool: asyncpg.Pool, ns: Namespace, sub: Subscription, msg: Any,
                      stats: ConsumerStats) -> None:
    try:
        await handle_message(pool, ns, sub, msg, stats)
    except Exception as exc:  # noqa: BLE001 - e.g. the dead-letter insert failed
        log.error("consumer: message left for redelivery", durable=sub.durable, error=repr(exc))
        with contextlib.suppress(Exception):
            await msg.nak(delay=sub.backoff[-1])


async def handle_batch(pool: asyncpg.Pool, ns: Namespace, sub: Subscription, msgs: list[Any],
                       stats: ConsumerStats) -> bool:
    """Handle ``msgs`` in one transaction and ack them after its commit. False when any of them cannot be
    decoded or anything failed: then nothing was kept (or acked) and the caller takes them one at a time."""
    decoded = []
    for msg in msgs:
        subject = ns.strip(msg.subject)
        try:
            envelope, payload = decode(subject, msg.data)
        except InvalidEvent:
            return False
        decoded.append((msg, subject, envelope, payload))
    if sub.wants is not None:  # every message decoded: now the unwanted ones can go
        for msg, subject, _envelope, payload in [d for d in decoded if not sub.wants(d[3])]:
            stats.ignored(subject, sub.durable)
            with contextlib.suppress(Exception):  # nothing was written: a lost ack only brings it back
                await msg.ack()
        decoded = [d for d in decoded if sub.wants(d[3])]
        if not decoded:
            return True
    started = time.perf_counter()
    fresh: list[bool] = []
    try:
        async with pool.acquire() as conn, conn.transaction():
            for _msg, subject, envelope, payload in decoded:
                fresh.append(await _inbox_then_handle(conn, sub, subject, envelope, payload))
    except Exception as exc:  # noqa: BLE001 - rolled back: one at a time decides who is to blame
        log.info("consumer: batch rolled back, handling its messages one by one", durable=sub.durable,
                 messages=len(msgs), error=repr(exc))
        return False
    each = (time.perf_counter() - started) / len(decoded)
    for (msg, subject, envelope, _payload), new in zip(decoded, fresh, strict=True):
        if not stats.handled(subject, sub.durable, each, fresh=new):
            log.info("duplicate event ignored", durable=sub.durable, event_id=str(envelope.event_id),
                     correlation_id=str(envelope.correlation_id), delivery=msg.metadata.num_delivered)
        with contextlib.suppress(Exception):  # committed: a lost ack only means a redelivery the inbox drops
            await msg.ack()
    return True


async def handle_message(pool: asyncpg.Pool, ns: Namespace, sub: Subscription, msg: Any,
                         stats: ConsumerStats) -> None:
    subject = ns.strip(msg.subject)
    meta = msg.metadata
    try:
        envelope, payload = decode(subject, msg.data)
    except InvalidEvent as exc:
        await _dead_letter(pool, sub, msg, subject, str(exc), None)
        stats.dead_lettered += 1
        stats.count(subject, sub.durable, "dead_lettered")
        await msg.term()
        return
    if sub.wants is not None and not sub.wants(payload):
        stats.ignored(subject, sub.durable)
        await msg.ack()
        return
    log_ctx = {"durable": sub.durable, "event_id": str(envelope.event_id),
               "correlation_id": str(envelope.correlation_id), "delivery": meta.num_delivered}
    started = time.perf_counter()
    try:
        async with pool.acquire() as conn, conn.transaction():
            fresh = await _inbox_then_handle(conn, sub, subject, envelope, payload)
    except PermanentError as exc:
        await _dead_letter(pool, sub, msg, subject, f"handler refused: {exc}", str(envelope.event_id))
        stats.dead_lettered += 1
        stats.count(subject, sub.durable, "dead_lettered")
        await msg.term()
        return
    except Exception as exc:  # noqa: BLE001 - transient until max_deliver says otherwise
        if meta.num_delivered >= sub.max_deliver:
            await _dead_letter(pool, sub, msg, subject,
                               f"gave up after {meta.num_delivered} deliveries: {exc!r}",
                               str(envelope.event_id))
            stats.dead_lettered += 1
            stats.count(subject, sub.durable, "dead_lettered")
            await msg.term()
            return
        delay = sub.backoff[min(meta.num_delivered - 1, len(sub.backoff) - 1)]
        log.warning("handler failed, will retry", error=repr(exc), retry_in_s=delay, **log_ctx)
        stats.retried += 1
        stats.count(subject, sub.durable, "retried")
        with contextlib.suppress(Exception):
            await msg.nak(delay=delay)
        return
    if not stats.handled(subject, sub.durable, time.perf_counter() - started, fresh=fresh):
        log.info("duplicate event ignored", **log_ctx)
    await msg.ack()


async def _inbox_then_handle(conn: asyncpg.Connection, sub: Subscription, subject: str, envelope: Envelope,
                             payload: Any) -> bool:
    """Record the event in the inbox and, only if it is new there, run the handler (same transaction).
    False: a duplicate, already handled."""
    new = await conn.fetchval(
        "INSERT INTO inbox (event_id, consumer, subject) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING true",
        envelope.event_id, sub.durable, subject,
    )
    if new:
        await sub.handler(conn, envelope, payload)
    return bool(new)


async def _dead_letter(pool: asyncpg.Pool, sub: Subscription, msg: Any, subject: str,
                       error: str, event_id: str | None) -> None:
    meta = msg.metadata
    log.error("event dead-lettered", durable=sub.durable, subject=subject, error=error,
              stream=meta.stream, stream_seq=meta.sequence.stream, deliveries=meta.num_delivered,
              event_id=event_id)
    try:
        await pool.execute(
            "INSERT INTO dead_letters (consumer, subject, stream, stream_seq, deliveries, event_id, body, error)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            sub.durable, subject, meta.stream, meta.sequence.stream, meta.num_delivered, event_id,
            bytes(msg.data), error[:2000],
        )
    except Exception as exc:  # noqa: BLE001 - keep the message: nak so it is not lost
        log.error("cannot record dead letter; will retry", error=str(exc), durable=sub.durable)
        raise
