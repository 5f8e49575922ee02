"""Delivery tracking: asks the gateways whether sent texts reached the phone.

A background job (:func:`job`, wired in bootstrap) polls, every ``delivery_poll_interval``
seconds, the notifications a gateway accepted (``delivery_status = 'sent'``) but has not
yet confirmed, at most once per ``delivery_recheck_seconds`` each, for
``delivery_max_age_hours`` after sending:

* SENS: the messages of the request id (``GET .../messages?requestId=``), then each
  message's result (``status`` COMPLETED with ``statusName`` success/fail);
* Solapi: the message by id (``GET /messages/v4/list?criteria=messageId``), statusCode
  4000 = received, 2000/3000 = on the way, anything else = failed.

Delivered → ``delivery_status = 'delivered'`` and ``NotificationDelivered`` in the outbox.
The carrier reports a failure (phone off, unknown number, spam block) → the notification
is ``failed`` and ``NotificationFailed`` goes out: the duty officer must reach the worker
another way. Another gateway would not help with a phone that is off, so there is no
failover here. The console gateway delivers nothing and is not tracked. A message still
unconfirmed after ``delivery_max_age_hours`` stays ``sent`` (the gateways keep results
for a limited time; we say no more than we know).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg

from sunmoon.crypto import FieldCipher
from sunmoon.events import NOTIFICATION_DELIVERED, NOTIFICATION_FAILED, make_envelope, utcnow
from sunmoon.events.notifier import NotificationDelivered, NotificationFailed
from sunmoon.logging import get_logger, mask_phones_in
from sunmoon.messaging import add_to_outbox

from . import repository
from .providers import DeliveryReport, SentRef, build_provider_factory, close_factory

log = get_logger(__name__)


class DeliveryTracker:
    def __init__(self, pool: asyncpg.Pool, providers: dict[str, Any], cipher: FieldCipher, *,
                 poll_interval: float = 30.0, recheck: float = 60.0, max_age: float = 24 * 3600.0,
                 batch: int = 50) -> None:
        self.pool, self.cipher = pool, cipher
        self.providers = {name: p for name, p in providers.items() if getattr(p, "tracks_delivery", False)}
        self.poll_interval, self.recheck, self.max_age, self.batch = poll_interval, recheck, max_age, batch
        self.delivered = self.failed = 0

    async def run(self, stop: asyncio.Event) -> None:
        if not self.providers:
            return  # console only: nothing to track
        while not stop.is_set():
            try:
                await self.check_once()
            except Exception as exc:  # noqa: BLE001 - database trouble: try again next round
                log.warning("delivery tracker: round failed, will retry", error=mask_phones_in(repr(exc)))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll_interval)

    async def check_once(self) -> int:
        """One round: claim due notifications (a lease), ask their gateways, record; return how many."""
        if not self.providers:
            return 0
        rows = await self._claim()
        for row in rows:
            await self._check(row)
        return len(rows)

    async def _claim(self) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn, conn.transaction():
            return await repository.claim_unconfirmed(conn, list(self.providers), recheck_s=self.recheck,
                                                      max_age_s=self.max_age, limit=self.batch)

    async def _check(self, row: asyncpg.Record) -> None:
        provider = self.providers[row["provider"]]
        ctx = {"notification_id": str(row["id"]), "complaint_id": str(row["complaint_id"]),
               "worker_id": row["worker_id"], "provider": row["provider"]}
        try:
            phone = self.cipher.decrypt(row["phone_enc"], table="workers", column="phone", row_id=row["worker_id"])
            report: DeliveryReport = await provider.delivery(SentRef(
                idempotency_key=row["idempotency_key"], recipient=phone, token_hash=row["ack_token_hash"],
                started_at=row["sent_at"], request_id=row["provider_request_id"],
                message_id=row["provider_message_id"]))
        except Exception as exc:  # noqa: BLE001 - the gateway could not answer: ask again next time
            error = mask_phones_in(f"delivery check: {type(exc).__name__}: {exc}")
            await repository.note_delivery_check(self.pool, row["id"], error=error)
            log.warning("delivery tracker: gateway did not answer", error=error, **ctx)
            return
        if report.state == "pending":
            await repository.note_delivery_check(self.pool, row["id"], message_id=report.message_id)
            return
        async with self.pool.acquire() as conn, conn.transaction():
            if report.state == "delivered":
                at = report.at or utcnow()
                if await repository.mark_delivered(conn, row["id"], at=at, message_id=report.message_id):
                    await add_to_outbox(conn, make_envelope(NOTIFICATION_DELIVERED, NotificationDelivered(
                        notification_id=row["id"], complaint_id=row["complaint_id"], worker_id=row["worker_id"],
                        provider=row["provider"], delivered_at=at,
                    ), correlation_id=row["complaint_id"]))
                    self.delivered += 1
                    log.info("sms delivered", **ctx)
                return
            reason = f"not delivered: {report.reason or 'the carrier reported a failure'}"
            if await repository.mark_undelivered(conn, row["id"], reason=reason, message_id=report.message_id):
                await add_to_outbox(conn, make_envelope(NOTIFICATION_FAILED, NotificationFailed(
                    notification_id=row["id"], complaint_id=row["complaint_id"], worker_id=row["worker_id"],
                    role=row["role"], attempts=row["attempts"], error=reason[:500], failed_at=report.at or utcnow(),
                ), correlation_id=row["complaint_id"]))
                self.failed += 1
                log.error("sms not delivered: duty officer alerted", reason=reason, **ctx)


def job(settings: Any, cipher: FieldCipher):
    """The background job for :class:`sunmoon.runtime.Runtime` (one per process)."""

    async def delivery_tracker(runtime: Any, stop: asyncio.Event) -> None:
        factories = {name: build_provider_factory(name, cipher, settings)
                     for name in {settings.sms_provider, settings.sms_failover_provider} if name}
        providers = {name: f(None) for name, f in factories.items()}
        tracker = DeliveryTracker(runtime.pool, providers, cipher, poll_interval=settings.delivery_poll_interval,
                                  recheck=settings.delivery_recheck_seconds,
                                  max_age=settings.delivery_max_age_hours * 3600)
        runtime.delivery_tracker = tracker
        try:
            await tracker.run(stop)
        finally:
            for f in factories.values():
                with contextlib.suppress(Exception):
                    await close_factory(f)

    return delivery_tracker
