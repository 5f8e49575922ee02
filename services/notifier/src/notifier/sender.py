"""The sender loop: texts pending notifications, exactly once each.

Each notification is handled in its own transaction: claim the row
(``FOR UPDATE SKIP LOCKED``, so replicas never take the same one), give it a fresh
acknowledgement token (only the hash is stored), call the gateway with the
notification's idempotency key, mark it sent and write ``NotificationSent`` to the
outbox. A failed send rolls back to a savepoint and is retried later with a growing
delay; a crash before commit leaves the row pending and the gateway's record (the
console gateway writes in the same transaction) rolled back with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg

from sunmoon.crypto import DecryptionError, FieldCipher
from sunmoon.events import NOTIFICATION_SENT, make_envelope, utcnow
from sunmoon.events.notifier import NotificationSent
from sunmoon.logging import get_logger, mask_phones_in
from sunmoon.messaging import add_to_outbox

from . import domain, repository
from .providers import OutgoingSms, ProviderFactory

log = get_logger(__name__)


class SmsSender:
    def __init__(
        self,
        pool: asyncpg.Pool,
        provider_for: ProviderFactory,
        cipher: FieldCipher,
        *,
        dsn: str,
        sender_number: str,
        ack_ttl: timedelta = timedelta(hours=24),
        batch: int = 50,
        poll_interval: float = 2.0,
        max_attempts: int = 8,
        before_mark: Callable[[Any], Awaitable[None]] | None = None,
    ) -> None:
        self.pool, self.provider_for, self.cipher, self.dsn = pool, provider_for, cipher, dsn
        self.sender_number, self.ack_ttl = sender_number, ack_ttl
        self.batch, self.poll_interval, self.max_attempts = batch, poll_interval, max_attempts
        self.before_mark = before_mark  # test hook: runs after the gateway call, before marking sent
        self._wake = asyncio.Event()
        self.sent = 0

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        listener: asyncpg.Connection | None = None
        try:
            while not stop.is_set():
                if listener is None or listener.is_closed():
                    listener = await self._listen()
                self._wake.clear()  # before sending: a NOTIFY during the batch wakes us again
                try:
                    handled = await self.send_pending()
                except Exception as exc:  # noqa: BLE001 - database or gateway trouble: retry soon
                    log.warning("sms sender: batch failed, will retry", error=repr(exc))
                    handled = 0
                    await _sleep_or_stop(stop, 1.0)
                if handled >= self.batch:
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
            await conn.add_listener(repository.SENDER_CHANNEL, lambda *_: self._wake.set())
            return conn
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("sms sender: cannot LISTEN, polling instead", error=str(exc))
            return None

    async def send_pending(self) -> int:
        """Handle up to one batch of due notifications; return how many were handled."""
        handled = 0
        while handled < self.batch and await self.send_one():
            handled += 1
        return handled

    async def send_one(self) -> bool:
        """Claim and handle one due notification; False when none is due."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await repository.claim_pending(conn)
            if row is None:
                return False
            await self._deliver(conn, row)
        return True

    async def _deliver(self, conn: asyncpg.Connection, row: asyncpg.Record) -> None:
        ctx = {"notification_id": str(row["id"]), "complaint_id": str(row["complaint_id"]),
               "worker_id": row["worker_id"], "idempotency_key": row["idempotency_key"]}
        try:
            phone = self.cipher.decrypt(row["phone_enc"], table="workers", column="phone", row_id=row["worker_id"])
        except DecryptionError as exc:
            await repository.mark_failed(conn, row["id"], f"the worker's phone does not decrypt: {exc}")
            log.error("sms sender: recipient unreadable, notification failed", error=str(exc), **ctx)
            return
        token = domain.new_ack_token()
        message = OutgoingSms(
            idempotency_key=row["idempotency_key"], recipient=phone, sender=self.sender_number,
            text=domain.with_token(row["text"], token), kind=row["message_kind"], size_bytes=row["size_bytes"],
        )
        try:
            async with conn.transaction():  # savepoint: a failed send leaves nothing behind
                provider = self.provider_for(conn)
                result = await provider.send(message)
        except Exception as exc:  # noqa: BLE001 - any gateway failure is recorded on the row
            await self._failed(conn, row, exc, ctx)
            return
        if self.before_mark is not None:
            await self.before_mark(row)
        sent_at = utcnow()
        await repository.mark_sent(conn, row["id"], provider=result.provider, message_id=result.message_id,
                                   token_hash=domain.token_hash(token), expires_at=sent_at + self.ack_ttl,
                                   sent_at=sent_at)
        await add_to_outbox(conn, make_envelope(NOTIFICATION_SENT, NotificationSent(
            notification_id=row["id"], complaint_id=row["complaint_id"], worker_id=row["worker_id"],
            team=row["team_name"], role=row["role"], provider=result.provider,
            message_kind=row["message_kind"], sent_at=sent_at,
        ), correlation_id=row["complaint_id"]))
        self.sent += 1
        log.info("sms sent", provider=result.provider, kind=row["message_kind"], duplicate=result.duplicate, **ctx)

    async def _failed(self, conn: asyncpg.Connection, row: asyncpg.Record, exc: Exception,
                      ctx: dict[str, Any]) -> None:
        attempts = row["attempts"] + 1
        error = mask_phones_in(f"{type(exc).__name__}: {exc}")  # a gateway may echo the number
        if not getattr(exc, "retryable", True) or attempts >= self.max_attempts:
            await repository.mark_failed(conn, row["id"], error)
            log.error("sms sender: giving up on notification", attempts=attempts, error=error, **ctx)
            return
        delay = domain.retry_delay(attempts)
        await repository.mark_retry(conn, row["id"], error, delay)
        log.warning("sms sender: send failed, will retry", attempts=attempts, retry_in_s=delay, error=error, **ctx)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
