"""The messaging layer on real PostgreSQL and real NATS JetStream."""

import argparse
import asyncio
import contextlib
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sunmoon.db import create_pool, migrate
from sunmoon.events import COMPLAINT_RECEIVED, make_envelope
from sunmoon.events.intake import ComplaintReceived
from sunmoon.messaging import Namespace, OutboxRelay, Subscription, add_to_outbox, connect, ensure_streams
from sunmoon.messaging.consumer import ConsumerStats, run_consumer
from sunmoon.messaging.outbox import republish_window
from sunmoon import reconcile
from sunmoon.settings import ServiceSettings

EMPTY = Path(__file__).parent / "no_migrations"


async def _setup(servers, namespace):
    dsn = await servers.fresh_database("msg")
    await migrate(dsn, EMPTY, label="test")
    await servers_table(dsn)
    pool = await create_pool(dsn)
    nc, js = await connect(servers.nats_url, name="test")
    ns = Namespace(namespace)
    await ensure_streams(js, ns)
    return dsn, pool, nc, js, ns


async def servers_table(dsn):
    import asyncpg
    conn = await asyncpg.connect(dsn)
    await conn.execute("CREATE TABLE effects (complaint_id uuid, note text)")
    await conn.close()


def _event():
    return make_envelope(COMPLAINT_RECEIVED, ComplaintReceived(
        complaint_id=uuid.uuid4(), description="맨홀 뚜껑이 열려 있어요", channel="phone",
        received_at="2026-11-26T15:00:00Z"))


async def _to_outbox(pool, events):
    """Write events to the outbox in one committed transaction, as a handler would."""
    async with pool.acquire() as conn, conn.transaction():
        for e in events:
            await add_to_outbox(conn, e)


async def _stream_count(js, ns):
    return (await js.stream_info(ns.stream("INTAKE"))).state.messages


@contextlib.asynccontextmanager
async def _consuming(js, pool, ns, sub, stats):
    """run_consumer in the background for the block; stopped (and awaited) after it."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_consumer(js, pool, ns, sub, stop, stats))
    try:
        yield
    finally:
        stop.set()
        await task


async def _until(done, seconds: float = 10.0) -> None:
    """Poll ``done()`` every 0.1 s until true or ``seconds`` pass (the assertions after it say what was wrong)."""
    for _ in range(int(seconds * 10)):
        if done():
            return
        await asyncio.sleep(0.1)


async def test_relay_crash_between_commit_and_publish_loses_nothing(servers, namespace):
    dsn, pool, nc, js, ns = await _setup(servers, namespace)
    try:
        events = [_event() for _ in range(5)]
        await _to_outbox(pool, events)
        # committed, relay not running ("killed" before publishing): rows wait in the outbox
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 5

        # a relay that dies after publishing and before marking: its transaction rolls back
        async def crash(_ids):
            raise SystemExit("killed between publish and mark")

        with pytest.raises(SystemExit):
            await OutboxRelay(pool, js, ns, dsn=dsn, before_mark=crash).publish_pending()
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 5
        assert await _stream_count(js, ns) == 5

        # a new relay publishes again; JetStream drops the duplicates by Nats-Msg-Id
        assert await OutboxRelay(pool, js, ns, dsn=dsn).publish_pending() == 5
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
        assert await _stream_count(js, ns) == 5
    finally:
        await nc.close()
        await pool.close()


async def test_relay_wakes_on_notify(servers, namespace):
    dsn, pool, nc, js, ns = await _setup(servers, namespace)
    stop = asyncio.Event()
    relay = OutboxRelay(pool, js, ns, dsn=dsn, poll_interval=30)  # polling alone would take 30 s
    task = asyncio.create_task(relay.run(stop))
    try:
        await asyncio.sleep(0.5)
        async with pool.acquire() as conn, conn.transaction():
            await add_to_outbox(conn, _event())
        for _ in range(50):
            if relay.published == 1:
                break
            await asyncio.sleep(0.1)
        assert relay.published == 1
    finally:
        stop.set()
        await task
        await nc.close()
        await pool.close()


async def test_consumer_is_idempotent_and_dead_letters_bad_events(servers, namespace):
    dsn, pool, nc, js, ns = await _setup(servers, namespace)
    calls = []

    async def handler(conn, envelope, payload):
        calls.append(payload.complaint_id)
        await conn.execute("INSERT INTO effects VALUES ($1, 'done')", payload.complaint_id)

    good = _event()
    subject = ns.subject(good.subject)
    # the same event twice, under two message ids (a republish outside the duplicate window)
    await js.publish(subject, good.to_bytes(), headers={"Nats-Msg-Id": "a"})
    await js.publish(subject, good.to_bytes(), headers={"Nats-Msg-Id": "b"})
    await js.publish(subject, b"{not json", headers={"Nats-Msg-Id": "c"})
    await js.publish(subject, b'{"type": "intake.complaint.received", "producer": "intake", "payload": {}}')
    after = _event()
    await js.publish(subject, after.to_bytes())

    stats = ConsumerStats()
    sub = Subscription(good.subject, "test-complaint-received", handler, ack_wait=5)
    async with _consuming(js, pool, ns, sub, stats):
        await _until(lambda: stats.processed + stats.duplicates + stats.dead_lettered >= 5)
    try:
        assert stats.processed == 2 and stats.duplicates == 1 and stats.dead_lettered == 2
        assert await pool.fetchval("SELECT count(*) FROM effects WHERE complaint_id = $1",
                                   uuid.UUID(good.payload["complaint_id"])) == 1
        rows = await pool.fetch("SELECT error, body FROM dead_letters ORDER BY id")
        assert "not JSON" in rows[0]["error"] and "bad payload: complaint_id: Field required" in rows[1]["error"]
        # the consumer went on past the bad ones, and nothing is left pending
        info = await js.consumer_info(ns.stream("INTAKE"), "test-complaint-received")
        assert info.num_pending == 0 and info.num_ack_pending == 0
    finally:
        await nc.close()
        await pool.close()


async def test_transient_failure_is_retried_then_dead_lettered(servers, namespace):
    dsn, pool, nc, js, ns = await _setup(servers, namespace)
    attempts = []

    async def flaky(conn, envelope, payload):
        attempts.append(1)
        raise ConnectionError("downstream unavailable")

    e = _event()
    await js.publish(ns.subject(e.subject), e.to_bytes())
    stats = ConsumerStats()
    sub = Subscription(e.subject, "test-flaky", flaky, ack_wait=5, max_deliver=3, backoff=(0.1,))
    async with _consuming(js, pool, ns, sub, stats):
        await _until(lambda: stats.dead_lettered)
    try:
        assert len(attempts) == 3 and stats.retried == 2 and stats.dead_lettered == 1
        error = await pool.fetchval("SELECT error FROM dead_letters")
        assert "gave up after 3 deliveries" in error
        assert await pool.fetchval("SELECT count(*) FROM inbox") == 0  # rolled back each time
    finally:
        await nc.close()
        await pool.close()


# -- reconciliation: republishing a window of outbox events after the broker lost them --------------------


async def _consume(js, pool, ns, n_expected: int, stats: ConsumerStats) -> None:
    async def handler(conn, envelope, payload):
        await conn.execute("INSERT INTO effects VALUES ($1, 'done')", payload.complaint_id)

    sub = Subscription("intake.complaint.received.v1", "test-complaint-received", handler, ack_wait=5)
    async with _consuming(js, pool, ns, sub, stats):
        await _until(lambda: stats.processed + stats.duplicates >= n_expected, 15)
        await asyncio.sleep(0.3)  # anything more would arrive now


async def test_lost_stream_is_refilled_from_the_outbox_and_repeating_is_harmless(servers, namespace):
    dsn, pool, nc, js, ns = await _setup(servers, namespace)
    try:
        events = [_event() for _ in range(6)]
        await _to_outbox(pool, events)
        relay = OutboxRelay(pool, js, ns, dsn=dsn)
        assert await relay.publish_pending() == 6
        stats = ConsumerStats()
        await _consume(js, pool, ns, 3, stats)  # the consumer saw them all ...
        assert await pool.fetchval("SELECT count(*) FROM effects") == 6

        # ... then the broker lost its stream (kill -9 without sync, a restored disk): gone, consumer too
        await js.delete_stream(ns.stream("INTAKE"))
        await ensure_streams(js, ns)
        assert await _stream_count(js, ns) == 0

        now = datetime.now(UTC)
        n = await republish_window(pool, js, ns, now - timedelta(minutes=5), now + timedelta(seconds=1))
        assert n == 6 and await _stream_count(js, ns) == 6
        stats = ConsumerStats()
        await _consume(js, pool, ns, 6, stats)
        assert stats.duplicates == 6 and stats.processed == 0  # the inbox remembered every one
        assert await pool.fetchval("SELECT count(*) FROM effects") == 6

        # repeating is harmless: JetStream's duplicate window drops the copies
        await republish_window(pool, js, ns, now - timedelta(minutes=5), now + timedelta(seconds=1))
        assert await _stream_count(js, ns) == 6
        # a window with nothing in it publishes nothing
        assert await republish_window(pool, js, ns, now - timedelta(days=2), now - timedelta(days=1)) == 0
    finally:
        await nc.close()
        await pool.close()


async def test_reconcile_command(servers, namespace, capsys):
    dsn, pool, nc, js, ns = await _setup(servers, namespace)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await add_to_outbox(conn, _event())
            await add_to_outbox(conn, _event())
        settings = ServiceSettings(service_name="intake", database_url=dsn, nats_url=servers.nats_url,
                                   nats_namespace=namespace)
        args = _args(minutes=10.0, dry_run=True)
        assert await reconcile.run(settings, args) == 0
        assert "2 event(s) in the window" in capsys.readouterr().out
        assert await reconcile.run(settings, _args(minutes=10.0)) == 0
        assert "2 event(s)" in capsys.readouterr().out
        assert await _stream_count(js, ns) == 2
        # the rows it published are marked: the relay has nothing left to send
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
        assert await reconcile.run(settings, _args()) == 2  # no window: says what to do
        assert "--since" in capsys.readouterr().err
    finally:
        await nc.close()
        await pool.close()


def _args(**kw):
    base = {"since": None, "until": None, "minutes": None, "subject_prefix": None, "dry_run": False}
    return argparse.Namespace(**{**base, **kw})


def test_reconcile_help_and_bad_time():
    out = subprocess.run([sys.executable, "-m", "classifier", "reconcile", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "--since" in out and "Nats-Msg-Id" in out
    bad = subprocess.run([sys.executable, "-m", "classifier", "reconcile", "--since", "yesterday"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "ISO 8601" in bad.stderr


# -- batches: one transaction per fetched batch, one at a time when anything in it fails ------------------


async def test_one_failing_event_in_a_batch_does_not_hold_back_or_repeat_the_others(servers, namespace):
    dsn, pool, nc, js, ns = await _setup(servers, namespace)
    events = [_event() for _ in range(6)]
    ids = [uuid.UUID(str(e.payload["complaint_id"])) for e in events]
    bad = ids[2]
    calls: list[uuid.UUID] = []

    async def handler(conn, envelope, payload):
        calls.append(payload.complaint_id)
        await conn.execute("INSERT INTO effects VALUES ($1, 'done')", payload.complaint_id)
        if payload.complaint_id == bad:
            raise ConnectionError("downstream unavailable")

    for e in events:  # all in the stream before the consumer starts: fetched as one batch
        await js.publish(ns.subject(e.subject), e.to_bytes(), headers={"Nats-Msg-Id": str(e.event_id)})
    stats = ConsumerStats()
    sub = Subscription(events[0].subject, "test-batch", handler, ack_wait=5, max_deliver=2, backoff=(0.1,))
    async with _consuming(js, pool, ns, sub, stats):
        await _until(lambda: stats.processed == 5 and stats.dead_lettered == 1)
    try:
        assert stats.processed == 5 and stats.dead_lettered == 1 and stats.duplicates == 0
        rows = await pool.fetch("SELECT complaint_id, count(*) AS n FROM effects GROUP BY complaint_id")
        kept = {r["complaint_id"]: r["n"] for r in rows}
        assert kept == {cid: 1 for cid in ids if cid != bad}
        assert await pool.fetchval("SELECT count(*) FROM inbox") == 5
        assert calls.count(bad) >= 2  # tried in the batch, then alone until max_deliver
    finally:
        await nc.close()
        await pool.close()


async def test_relay_marks_only_the_rows_before_a_failed_publish(servers, namespace):
    dsn, pool, nc, js, ns = await _setup(servers, namespace)
    try:
        first, last = [_event() for _ in range(3)], [_event() for _ in range(2)]
        async with pool.acquire() as conn, conn.transaction():
            for e in first:
                await add_to_outbox(conn, e)
            # a subject no stream takes: JetStream answers "no responders", the publish fails
            await conn.execute("INSERT INTO outbox (event_id, subject, body) VALUES ($1, $2, $3)",
                               uuid.uuid4(), "nostream.thing.happened.v1", b"{}")
            for e in last:
                await add_to_outbox(conn, e)
        relay = OutboxRelay(pool, js, ns, dsn=dsn)
        assert await relay.publish_pending() == 3
        rows = await pool.fetch("SELECT subject, published_at, attempts, last_error FROM outbox ORDER BY id")
        assert [r["published_at"] is not None for r in rows] == [True, True, True, False, False, False]
        assert rows[3]["attempts"] == 1 and rows[3]["last_error"]
        assert [r["attempts"] for r in rows[4:]] == [0, 0]  # waiting behind the failed row, in order
        assert await relay.publish_pending() == 0  # still stuck on it: nothing after it is marked
        await pool.execute("DELETE FROM outbox WHERE subject LIKE 'nostream.%'")
        assert await relay.publish_pending() == 2
        assert await _stream_count(js, ns) == 5  # each event once (copies dropped by Nats-Msg-Id)
    finally:
        await nc.close()
        await pool.close()


async def test_events_a_subscription_does_not_want_are_acked_without_a_transaction(servers, namespace):
    dsn, pool, nc, js, ns = await _setup(servers, namespace)
    events = [_event() for _ in range(6)]
    wanted = {uuid.UUID(str(e.payload["complaint_id"])) for e in events[::2]}
    calls: list[uuid.UUID] = []

    async def handler(conn, envelope, payload):
        calls.append(payload.complaint_id)
        await conn.execute("INSERT INTO effects VALUES ($1, 'done')", payload.complaint_id)

    for e in events[:4]:  # a batch ...
        await js.publish(ns.subject(e.subject), e.to_bytes(), headers={"Nats-Msg-Id": str(e.event_id)})
    stats = ConsumerStats()
    sub = Subscription(events[0].subject, "test-wants", handler, ack_wait=2, max_deliver=2,
                       wants=lambda payload: payload.complaint_id in wanted)
    async with _consuming(js, pool, ns, sub, stats):
        await _until(lambda: stats.processed + stats.skipped == 4, 5)
        for e in events[4:]:  # ... then one at a time
            await js.publish(ns.subject(e.subject), e.to_bytes(), headers={"Nats-Msg-Id": str(e.event_id)})
            await _until(lambda n=events.index(e) + 1: stats.processed + stats.skipped == n, 5)
        await asyncio.sleep(2.5)  # past ack_wait: an unacked one would come back now
    try:
        assert (stats.processed, stats.skipped, stats.duplicates, stats.dead_lettered) == (3, 3, 0, 0)
        assert sorted(calls) == sorted(wanted)
        assert {r["event_id"] for r in await pool.fetch("SELECT event_id FROM inbox")} == {
            e.event_id for e in events[::2]}
        info = await js.consumer_info(ns.stream("INTAKE"), "test-wants")
        assert info.num_ack_pending == 0 and info.num_pending == 0
    finally:
        await nc.close()
        await pool.close()
