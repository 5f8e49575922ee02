"""The sender loop on real PostgreSQL: crash safety, retries, failures (no NATS needed)."""

import asyncio

import pytest


from notifier.providers import ProviderError, build_provider_factory
from notifier.sender import SmsSender




def _sender(dsn, pool, cipher, provider_for=None, **kw):
    return SmsSender(pool, provider_for or build_provider_factory("console", cipher, None), cipher, dsn=dsn,
                     sender_number="0319800000", **kw)


async def test_crash_between_send_and_mark_texts_once(db):
    dsn, pool, cipher = db

    async def crash(_row):
        raise SystemExit("killed after the gateway call, before marking sent")

    with pytest.raises(SystemExit):
        await _sender(dsn, pool, cipher, before_mark=crash).send_pending()
    # the console gateway's record was in the same transaction: gone with it, the row still pending
    assert await pool.fetchval("SELECT count(*) FROM sms_messages") == 0
    assert await pool.fetchval("SELECT status FROM notifications") == "pending"
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0

    sender = _sender(dsn, pool, cipher)
    assert await sender.send_pending() == 1
    assert await sender.send_pending() == 0
    assert await pool.fetchval("SELECT count(*) FROM sms_messages") == 1
    assert await pool.fetchval("SELECT status FROM notifications") == "sent"
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE subject = 'notifier.notification.sent.v1'") == 1


class Flaky:
    name = "flaky"

    def __init__(self, retryable):
        self.retryable, self.calls = retryable, 0

    async def send(self, message):
        self.calls += 1
        raise ProviderError(f"gateway said no to {message.recipient.reveal()}", retryable=self.retryable)


async def test_gateway_failure_is_retried_later(db):
    dsn, pool, cipher = db
    flaky = Flaky(retryable=True)
    assert await _sender(dsn, pool, cipher, provider_for=lambda _conn: flaky).send_pending() == 1
    row = await pool.fetchrow("SELECT status, attempts, last_error, next_attempt_at > now() AS later"
                              " FROM notifications")
    assert (row["status"], row["attempts"], row["later"]) == ("pending", 1, True)
    assert "0106-1752" not in row["last_error"] and "010-****-1752" in row["last_error"]
    # not due yet: nothing to do
    assert await _sender(dsn, pool, cipher, provider_for=lambda _conn: flaky).send_pending() == 0
    await pool.execute("UPDATE notifications SET next_attempt_at = now()")
    assert await _sender(dsn, pool, cipher).send_pending() == 1
    assert await pool.fetchval("SELECT status FROM notifications") == "sent"


async def test_permanent_gateway_error_and_max_attempts_fail_the_notification(db):
    dsn, pool, cipher = db
    await _sender(dsn, pool, cipher, provider_for=lambda _conn: Flaky(retryable=False)).send_pending()
    assert await pool.fetchval("SELECT status FROM notifications") == "failed"
    await pool.execute("UPDATE notifications SET status = 'pending', attempts = 0")
    flaky = Flaky(retryable=True)
    for _ in range(3):
        await _sender(dsn, pool, cipher, provider_for=lambda _conn: flaky, max_attempts=3).send_pending()
        await pool.execute("UPDATE notifications SET next_attempt_at = now()")
    assert flaky.calls == 3
    assert await pool.fetchval("SELECT status FROM notifications") == "failed"
    # nothing was sent; each final failure alerted the duty officer (NotificationFailed)
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE subject = 'notifier.notification.sent.v1'") == 0
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE subject = 'notifier.notification.failed.v1'") == 2


async def _queue_more(pool, n):
    """n more pending notifications, as n dispatch requests would leave them."""
    from sunmoon.events import DISPATCH_REQUESTED, make_envelope
    from sunmoon.events.intake import ComplaintDispatchRequested

    from notifier import handlers

    from .conftest import PUBLIC_URL

    handler = handlers.make_dispatch_handler(PUBLIC_URL)
    async with pool.acquire() as conn, conn.transaction():
        for i in range(n):
            event = ComplaintDispatchRequested(complaint_id=f"7d3c1e8a-0f59-4d38-9a43-{i:012d}", type="road",
                                               urgency="normal", address=f"김포시 운양동 {i}", district="운양동")
            await handler(conn, make_envelope(DISPATCH_REQUESTED, event), event)


async def test_lanes_and_replicas_text_each_notification_exactly_once(db):
    """Four lanes in each of three senders (three notifier replicas) drain 60 notifications: every one texted
    once, one NotificationSent each, none left behind."""

    dsn, pool, cipher = db
    await _queue_more(pool, 59)
    senders = [_sender(dsn, pool, cipher, concurrency=4, batch=25) for _ in range(3)]
    while sum(await asyncio.gather(*(s.send_pending() for s in senders))):
        pass
    assert await pool.fetchval("SELECT count(*) FROM notifications WHERE status = 'sent'") == 60
    assert await pool.fetchval("SELECT count(*) FROM sms_messages") == 60
    assert await pool.fetchval("SELECT count(DISTINCT idempotency_key) FROM sms_messages") == 60
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE subject = 'notifier.notification.sent.v1'") == 60
    assert sum(s.sent for s in senders) == 60


async def test_a_failing_lane_fails_the_round_and_leaves_no_lock_behind(db):
    dsn, pool, cipher = db
    await _queue_more(pool, 5)  # enough waiting for all three lanes
    sender = _sender(dsn, pool, cipher, concurrency=3)
    lanes = []

    async def lost(*_args):
        lanes.append(1)
        await asyncio.sleep(0.05)  # the other lanes are at the gateway too
        raise RuntimeError("connection to the database lost")

    sender._send_and_mark = lost
    with pytest.raises(RuntimeError, match="lost"):  # run() logs it and tries again a second later
        await sender.send_pending()
    assert len(lanes) == 3
    assert await pool.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database ="
                               " (SELECT oid FROM pg_database WHERE datname = current_database())") == 0
