"""The transactional outbox.

A handler never publishes. It calls :func:`add_to_outbox` inside the
transaction that writes its rows; the relay later publishes each row with
``Nats-Msg-Id = event_id`` and marks it sent. A crash anywhere between commit
and mark loses nothing: the row is still unpublished and is sent again, and
JetStream's duplicate window drops the second copy.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from nats.js import JetStreamContext

from ..events import Envelope
from ..logging import get_logger
from .nats import Namespace

log = get_logger(__name__)
NOTIFY_CHANNEL = "sunmoon_outbox"
PUBLISH_TIMEOUT_S = 10.0  # an acknowledgement not back by then counts as a failed publish


async def add_to_outbox(conn: asyncpg.Connection, envelope: Envelope) -> None:
    # one round trip: the row and the relay's wake-up (a NOTIFY is delivered at commit, dropped on rollback,
    # and PostgreSQL folds the identical ones of a transaction into one)
    await conn.execute(
        "WITH row AS (INSERT INTO outbox (event_id, subject, body) VALUES ($1, $2, $3) RETURNING 1)"
        f" SELECT pg_notify('{NOTIFY_CHANNEL}', '') FROM row",
        envelope.event_id, envelope.subject, envelope.to_bytes(),
    )


class OutboxRelay:
    """Publishes unpublished outbox rows in order; wakes on LISTEN/NOTIFY, polls as a fallback."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        ns: Namespace,
        *,
        dsn: str,
        batch: int = 100,
        poll_interval: float = 2.0,
        retention_hours: int = 72,
        before_mark: Callable[[list[int]], Awaitable[None]] | None = None,
        metrics: Any = None,
    ) -> None:
        self.metrics = metrics  # sunmoon.metrics.Metrics or None
        self.pool, self.js, self.ns, self.dsn = pool, js, ns, dsn
        self.batch, self.poll_interval, self.retention_hours = batch, poll_interval, retention_hours
        self.before_mark = before_mark  # test hook: runs after publishing, before marking sent
        self._wake = asyncio.Event()
        self.published = 0

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        listener: asyncpg.Connection | None = None
        last_purge = 0.0
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                if listener is None or listener.is_closed():
                    listener = await self._listen()
                # cleared *before* reading the outbox: a NOTIFY for a row committed while this batch is being
                # published wakes the next round at once (cleared after, it was lost: up to poll_interval late)
                self._wake.clear()
                try:
                    sent = await self.publish_pending(listener)
                except (OSError, asyncpg.PostgresError, asyncio.TimeoutError, Exception) as exc:  # noqa: BLE001
                    log.warning("outbox relay: publish failed, will retry", error=str(exc))
                    sent = 0
                    await _sleep_or_stop(stop, 1.0)
                if loop.time() - last_purge > 600:
                    last_purge = loop.time()
                    with contextlib.suppress(Exception):
                        await self.purge()
                if sent >= self.batch:
                    continue  # more waiting
                waiter = asyncio.ensure_future(self._wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait({waiter, stopper}, timeout=self.poll_interval,
                                   return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()
        finally:
            if listener is not None and not listener.is_closed():
                with contextlib.suppress(Exception):
                    await listener.close()

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            conn = await asyncpg.connect(self.dsn)
            # This connection also publishes (no pool round per batch). Marking rows sent need not wait for the
            # WAL to reach the disk: a mark lost in a crash only means the row is published again, and
            # JetStream (Nats-Msg-Id) and every consumer's inbox drop the copy.
            await conn.execute("SET synchronous_commit = off")
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
            return conn
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("outbox relay: cannot LISTEN, polling instead", error=str(exc))
            return None

    async def publish_pending(self, conn: asyncpg.Connection | None = None) -> int:
        """Publish one batch of unpublished rows; return how many were published. On ``conn`` (the relay's own
        connection) when given and open, else on one from the pool."""
        if conn is not None and not conn.is_closed():
            return await self._publish_batch(conn)
        async with self.pool.acquire() as pooled:
            return await self._publish_batch(pooled)

    async def _publish_batch(self, conn: asyncpg.Connection) -> int:
        async with conn.transaction():
            rows = await conn.fetch(
                "SELECT id, event_id, subject, body FROM outbox WHERE published_at IS NULL "
                "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                self.batch,
            )
            if not rows:
                return 0
            done = await self._publish_rows(conn, rows)
            if self.before_mark is not None:
                await self.before_mark(done)
            await conn.execute(
                "UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])",
                done,
            )
        self.published += len(done)
        if self.metrics is not None and done:
            self.metrics.published.labels(self.metrics.service).inc(len(done))
        return len(done)

    async def _publish_rows(self, conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> list[int]:
        """Publish ``rows`` pipelined: every message is written to the connection in order (so the stream keeps
        the outbox order) and the acknowledgements are awaited together, instead of one round trip (and one
        JetStream fsync) per row. Returns the ids of the leading rows that were acknowledged, up to the first
        failure: that row and every later one stay unpublished and go again in order next time (JetStream
        drops the copies it already has by ``Nats-Msg-Id``)."""
        futures: list[asyncio.Future] = []
        failure: tuple[int, BaseException] | None = None
        for i, row in enumerate(rows):
            try:
                futures.append(await self.js.publish_async(
                    self.ns.subject(row["subject"]), bytes(row["body"]),
                    headers={"Nats-Msg-Id": str(row["event_id"])}))
            except Exception as exc:  # noqa: BLE001 - e.g. disconnected: send the rest next time
                failure = (i, exc)
                break
        if futures:
            results = await asyncio.gather(*(asyncio.wait_for(f, PUBLISH_TIMEOUT_S) for f in futures),
                                           return_exceptions=True)
            for i, result in enumerate(results):
                if isinstance(result, BaseException):
                    failure = (i, result)
                    break
        ok = len(rows) if failure is None else failure[0]
        if failure is not None:
            row, exc = rows[failure[0]], failure[1]
            await conn.execute("UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
                               row["id"], (str(exc) or type(exc).__name__)[:500])
            if self.metrics is not None:
                self.metrics.publish_failures.labels(self.metrics.service).inc()
            log.warning("outbox relay: publish failed", subject=row["subject"], event_id=str(row["event_id"]),
                        error=str(exc) or type(exc).__name__)
        return [row["id"] for row in rows[:ok]]

    async def purge(self) -> int:
        result = await self.pool.execute(
            "DELETE FROM outbox WHERE published_at < now() - make_interval(hours => $1)",
            self.retention_hours,
        )
        return int(result.split()[-1])


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def republish_window(pool: asyncpg.Pool, js: JetStreamContext, ns: Namespace, since: Any, until: Any, *,
                           subject_prefix: str | None = None, batch: int = 500,
                           progress: Callable[[int, int], None] | None = None) -> int:
    """Publish again every outbox event created in ``[since, until)``, sent or not, with its original
    ``Nats-Msg-Id``. For after a broker lost acknowledged messages: JetStream drops the copies it still has
    (inside its duplicate window) and every consumer's inbox drops the ones it already handled, so
    republishing a window is harmless. Rows are kept ``outbox_retention_hours`` after sending; older ones
    are gone. Returns how many were published."""
    like = (subject_prefix or "") + "%"
    total = await pool.fetchval(
        "SELECT count(*) FROM outbox WHERE created_at >= $1 AND created_at < $2 AND subject LIKE $3",
        since, until, like)
    done, last_id = 0, 0
    while True:
        rows = await pool.fetch(
            "SELECT id, event_id, subject, body, published_at FROM outbox WHERE created_at >= $1 "
            "AND created_at < $2 AND subject LIKE $3 AND id > $4 ORDER BY id LIMIT $5",
            since, until, like, last_id, batch)
        if not rows:
            break
        for row in rows:
            await js.publish(ns.subject(row["subject"]), bytes(row["body"]),
                             headers={"Nats-Msg-Id": str(row["event_id"])})
            if row["published_at"] is None:
                await pool.execute("UPDATE outbox SET published_at = now(), attempts = attempts + 1 "
                                   "WHERE id = $1 AND published_at IS NULL", row["id"])
            done += 1
        last_id = rows[-1]["id"]
        if progress is not None:
            progress(done, total)
    log.info("outbox window republished", since=str(since), until=str(until), events=done)
    return done
