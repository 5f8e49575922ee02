"""The sender loop: texts pending notifications, exactly once each.

One attempt is three steps on one connection:

1. *record* (committed): claim the row (``FOR UPDATE SKIP LOCKED``), take the attempt's
   advisory lock (session-level: held through step 2, released by the database if this
   process dies), give it a fresh acknowledgement token (only the hash is stored) and mark
   it ``delivery_status = 'sending'`` with the provider chosen;
2. *send*: call the gateway (rate limited) with the notification's idempotency key;
3. *mark* (one transaction with the console gateway's own record): ``sent`` and
   ``NotificationSent`` in the outbox.

A row left in ``sending`` (crash, lost connection, a timeout after the request was written)
is never sent blindly again. :meth:`SmsSender.reconcile_pending` asks the gateway whether
that attempt arrived (console: its table; Solapi: our key in ``customFields``; SENS: the
recipient and this attempt's token in the texts of that minute): found → marked sent as if
the answer had come; certainly absent → a failed attempt, retried; the gateway cannot tell
→ asked again later, and after ``in_doubt_deadline`` the notification is failed as
``unknown`` with ``NotificationFailed`` for the duty officer: no double SMS, no silent loss.

Failures that certainly did not go out are retried with a growing delay; after
``failover_after`` of them (or one that no retry can fix) the failover provider takes over;
when that too is exhausted the notification is ``failed`` and ``NotificationFailed`` is
written to the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg

from sunmoon.crypto import DecryptionError, FieldCipher
from sunmoon.events import NOTIFICATION_FAILED, NOTIFICATION_SENT, make_envelope, utcnow
from sunmoon.events.notifier import NotificationFailed, NotificationSent
from sunmoon.logging import get_logger, mask_phones_in
from sunmoon.messaging import add_to_outbox

from . import domain, repository
from .providers import (Found, OutgoingSms, ProviderError, ProviderFactory, SentRef, build_provider_factory,
                        close_factory)

log = get_logger(__name__)
UNCERTAIN = ("delivery uncertain: the gateway could not confirm whether the interrupted attempt went out;"
             " not resent to avoid a double SMS - call the worker")


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
        failover_for: ProviderFactory | None = None,
        failover_after: int = 2,
        retry_base: float = 5.0,
        retry_cap: float = 600.0,
        in_doubt_check: float = 60.0,
        in_doubt_deadline: float = 900.0,
        concurrency: int = 1,
        metrics: Any = None,
    ) -> None:
        self.concurrency = max(1, concurrency)
        self.metrics = metrics  # sunmoon.metrics.Metrics: SMS sent/failed per gateway
        self.pool, self.provider_for, self.cipher, self.dsn = pool, provider_for, cipher, dsn
        self.sender_number, self.ack_ttl = sender_number, ack_ttl
        self.batch, self.poll_interval, self.max_attempts = batch, poll_interval, max_attempts
        self.before_mark = before_mark  # test hook: runs after the gateway call, before marking sent
        self.failover_for, self.failover_after = failover_for, failover_after
        self.retry_base, self.retry_cap = retry_base, retry_cap
        self.in_doubt_check, self.in_doubt_deadline = in_doubt_check, in_doubt_deadline
        self._wake = asyncio.Event()
        self.sent = 0
        self.reconciled = 0

    @classmethod
    def from_settings(cls, pool: asyncpg.Pool, provider_for: ProviderFactory, cipher: FieldCipher,
                      settings: Any, **kw: Any) -> SmsSender:
        failover = settings.sms_failover_provider
        return cls(pool, provider_for, cipher, dsn=settings.database_url, sender_number=settings.sender_number,
                   ack_ttl=timedelta(hours=settings.ack_ttl_hours), poll_interval=settings.sender_poll_interval,
                   max_attempts=settings.sender_max_attempts,
                   failover_for=build_provider_factory(failover, cipher, settings) if failover else None,
                   failover_after=settings.sms_failover_after, retry_base=settings.sms_retry_base_seconds,
                   retry_cap=settings.sms_retry_max_seconds, in_doubt_check=settings.sms_in_doubt_check_seconds,
                   in_doubt_deadline=settings.sms_in_doubt_deadline_seconds,
                   concurrency=settings.sender_concurrency, **kw)

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
                    log.warning("sms sender: batch failed, will retry", error=mask_phones_in(repr(exc)))
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
            for factory in (self.provider_for, self.failover_for):
                with contextlib.suppress(Exception):
                    await close_factory(factory)

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            conn = await asyncpg.connect(self.dsn)
            await conn.add_listener(repository.SENDER_CHANNEL, lambda *_: self._wake.set())
            return conn
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("sms sender: cannot LISTEN, polling instead", error=str(exc))
            return None

    async def send_pending(self) -> int:
        """Reconcile interrupted attempts, then send up to one batch; return how many were sent (tried)."""
        await self.reconcile_pending()
        handled = 0

        async def one_at_a_time() -> None:
            nonlocal handled
            while handled < self.batch:
                handled += 1  # taken before the await: the lanes together stop at one batch
                if not await self.send_one():
                    handled -= 1
                    return

        # as many lanes as there are texts waiting (up to ``concurrency``): one SMS at a quiet moment does not
        # send three more lanes to claim nothing
        lanes = min(self.concurrency, max(1, await repository.count_due(self.pool, self.concurrency))) \
            if self.concurrency > 1 else 1
        if lanes == 1:
            await one_at_a_time()
            return handled
        # each lane claims the next due notification (SKIP LOCKED: never the same one)
        results = await asyncio.gather(*(one_at_a_time() for _ in range(lanes)), return_exceptions=True)
        for result in results:  # every lane has finished; the first failure goes to run()'s retry
            if isinstance(result, BaseException):
                raise result
        return handled

    # -- one attempt ---------------------------------------------------------------------
    async def send_one(self) -> bool:
        """Claim and handle one due notification; False when none is due."""
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                row = await repository.claim_pending(conn)
                if row is None:
                    return False
                if not await repository.try_lock_attempt(conn, row["id"], session=True):
                    return False  # cannot happen while the row lock is ours; be safe all the same
                try:
                    prepared = await self._record_attempt(conn, row)
                except BaseException:
                    await _unlock(conn, row["id"])
                    raise
            try:
                if prepared is not None:
                    await self._send_and_mark(conn, row, *prepared)
            finally:
                await _unlock(conn, row["id"])
        return True

    async def _record_attempt(self, conn: asyncpg.Connection, row: asyncpg.Record) -> tuple[Any, OutgoingSms] | None:
        try:
            phone = self.cipher.decrypt(row["phone_enc"], table="workers", column="phone", row_id=row["worker_id"])
        except DecryptionError as exc:
            await self._final(conn, row, f"the worker's phone does not decrypt: {exc}", count_attempt=True)
            return None
        # compose_sms made it safe already; a row written by older code is cleaned here (it can only
        # get shorter, so the SMS/LMS decision stays valid): nothing unencodable ever reaches a gateway
        text = domain.euc_kr_safe(domain.with_token(row["text"], token := domain.new_ack_token()))
        if not domain.sendable(text):
            await self._final(conn, row, "the text is longer than 2,000 EUC-KR bytes", count_attempt=True)
            return None
        provider = self._provider(conn, failover=row["failover"])
        message = OutgoingSms(
            idempotency_key=row["idempotency_key"], recipient=phone, sender=self.sender_number, text=text,
            kind=row["message_kind"], size_bytes=len(text.encode("euc-kr")),
            subject=domain.sms_subject(text) if row["message_kind"] == "LMS" else None,
        )
        await repository.begin_attempt(
            conn, row["id"], provider=provider.name, token_hash=domain.token_hash(token),
            expires_at=utcnow() + self.ack_ttl, check_after_s=getattr(provider, "settle_seconds", self.in_doubt_check))
        return provider, message

    async def _send_and_mark(self, conn: asyncpg.Connection, row: asyncpg.Record, provider: Any,
                             message: OutgoingSms) -> None:
        ctx = _ctx(row)
        try:
            async with conn.transaction():  # the console gateway records in here: with "sent" or not at all
                result = await provider.send(message)
                if self.before_mark is not None:
                    await self.before_mark(row)
                await self._mark_sent(conn, row, provider.name, Found(result.message_id, result.request_id),
                                      duplicate=result.duplicate)
            if self.metrics is not None:
                self.metrics.sms_result(provider.name, True)
        except Exception as exc:  # noqa: BLE001 - any gateway failure is recorded on the row
            if self.metrics is not None:
                self.metrics.sms_result(provider.name, False)
            async with conn.transaction():
                if getattr(exc, "in_doubt", False):
                    error = _error(exc)
                    await repository.keep_in_doubt(conn, row["id"], error,
                                                   getattr(provider, "settle_seconds", self.in_doubt_check))
                    log.warning("sms sender: attempt in doubt, will ask the gateway before any resend",
                                provider=provider.name, error=error, **ctx)
                else:
                    await self._failed(conn, row, exc)

    async def _mark_sent(self, conn: asyncpg.Connection, row: asyncpg.Record, provider: str, found: Found,
                         *, duplicate: bool = False, reconciled: bool = False) -> None:
        # found late: it left when the attempt started (the link's 24 h count from then)
        sent_at = row["send_started_at"] if reconciled and row["send_started_at"] else utcnow()
        await repository.mark_sent(conn, row["id"], provider=provider, message_id=found.message_id,
                                   request_id=found.request_id, sent_at=sent_at, expires_at=sent_at + self.ack_ttl)
        await add_to_outbox(conn, make_envelope(NOTIFICATION_SENT, NotificationSent(
            notification_id=row["id"], complaint_id=row["complaint_id"], worker_id=row["worker_id"],
            team=row["team_name"], role=row["role"], provider=provider,
            message_kind=row["message_kind"], sent_at=sent_at,
        ), correlation_id=row["complaint_id"]))
        self.sent += 1
        log.info("sms sent", provider=provider, kind=row["message_kind"], duplicate=duplicate,
                 failover=row["failover"], reconciled=reconciled, **_ctx(row))

    async def _failed(self, conn: asyncpg.Connection, row: asyncpg.Record, exc: Exception | str,
                      delay: float | None = None) -> None:
        """An attempt that certainly did not go out: retry, switch to the failover provider, or give up."""
        attempts, on_provider = row["attempts"] + 1, row["provider_attempts"] + 1
        error = _error(exc)
        retryable = getattr(exc, "retryable", True)
        if self.failover_for is not None and not row["failover"] and (
                not retryable or on_provider >= self.failover_after or attempts >= self.max_attempts):
            await repository.mark_retry(conn, row["id"], error, 0.0, switch_to_failover=True)
            log.warning("sms sender: primary gateway failed, switching to the failover", attempts=attempts,
                        error=error, **_ctx(row))
            return
        if not retryable or attempts >= self.max_attempts:
            await self._final(conn, row, error, count_attempt=True)
            return
        if delay is None:
            delay = domain.retry_delay(on_provider, self.retry_base, self.retry_cap)
        await repository.mark_retry(conn, row["id"], error, delay)
        log.warning("sms sender: send failed, will retry", attempts=attempts, retry_in_s=delay, error=error,
                    **_ctx(row))

    async def _final(self, conn: asyncpg.Connection, row: asyncpg.Record, error: str, *,
                     delivery_status: str = "failed", count_attempt: bool) -> None:
        """Give up and tell the duty officer (NotificationFailed)."""
        error = _error(error)
        await repository.mark_failed(conn, row["id"], error, delivery_status=delivery_status,
                                     count_attempt=count_attempt)
        await add_to_outbox(conn, make_envelope(NOTIFICATION_FAILED, NotificationFailed(
            notification_id=row["id"], complaint_id=row["complaint_id"], worker_id=row["worker_id"],
            role=row["role"], attempts=row["attempts"] + int(count_attempt), error=error[:500], failed_at=utcnow(),
        ), correlation_id=row["complaint_id"]))
        log.error("sms sender: giving up on notification", delivery_status=delivery_status, error=error, **_ctx(row))

    def _provider(self, conn: Any, *, failover: bool) -> Any:
        if failover and self.failover_for is not None:
            return self.failover_for(conn)
        return self.provider_for(conn)

    def _provider_named(self, conn: Any, name: str | None) -> Any | None:
        for factory in (self.provider_for, self.failover_for):
            if factory is not None and (provider := factory(conn)).name == name:
                return provider
        return None

    # -- interrupted attempts ------------------------------------------------------------
    async def reconcile_pending(self) -> int:
        """Settle every attempt left in flight by a dead process or a timeout; return how many."""
        done = 0
        async with self.pool.acquire() as conn, conn.transaction():
            for row in await repository.claim_in_doubt(conn):
                if not await repository.try_lock_attempt(conn, row["id"], session=False):
                    continue  # a living sender is still talking to the gateway about it
                async with conn.transaction():
                    await self._reconcile(conn, row)
                done += 1
        self.reconciled += done
        return done

    async def _reconcile(self, conn: asyncpg.Connection, row: asyncpg.Record) -> None:
        provider = self._provider_named(conn, row["provider"])
        lookup = getattr(provider, "lookup", None)
        try:
            if lookup is None:
                raise ProviderError(f"provider {row['provider']!r} cannot look up a past attempt")
            phone = self.cipher.decrypt(row["phone_enc"], table="workers", column="phone", row_id=row["worker_id"])
            found = await lookup(SentRef(
                idempotency_key=row["idempotency_key"], recipient=phone, token_hash=row["ack_token_hash"],
                started_at=row["send_started_at"], request_id=row["provider_request_id"]))
        except Exception as exc:  # noqa: BLE001 - cannot tell: never resend blindly
            age = (utcnow() - row["send_started_at"]).total_seconds() if row["send_started_at"] else 0.0
            if age >= self.in_doubt_deadline:
                await self._final(conn, row, f"{UNCERTAIN} ({_error(exc)})", delivery_status="unknown",
                                  count_attempt=True)
                return
            await repository.keep_in_doubt(conn, row["id"], _error(exc), self.in_doubt_check)
            log.warning("sms sender: cannot tell yet whether an interrupted attempt went out",
                        provider=row["provider"], error=_error(exc), **_ctx(row))
            return
        if found is not None:
            await self._mark_sent(conn, row, row["provider"], found, reconciled=True)
            return
        log.info("sms sender: interrupted attempt never reached the gateway; sending again",
                 provider=row["provider"], **_ctx(row))
        # the wait for the check was the back-off already
        await self._failed(conn, row, ProviderError(f"{row['provider']}: attempt interrupted, not at the gateway"),
                           delay=0.0)


def _ctx(row: asyncpg.Record) -> dict[str, Any]:
    return {"notification_id": str(row["id"]), "complaint_id": str(row["complaint_id"]),
            "worker_id": row["worker_id"], "idempotency_key": row["idempotency_key"]}


def _error(exc: Exception | str) -> str:
    text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return domain.hide_token(mask_phones_in(text))  # a gateway may echo the number or the text


async def _unlock(conn: asyncpg.Connection, notification_id: Any) -> None:
    with contextlib.suppress(Exception):
        await repository.unlock_attempt(conn, notification_id)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
