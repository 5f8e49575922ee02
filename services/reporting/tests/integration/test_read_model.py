"""Reporting on real PostgreSQL and real NATS JetStream: events in, read model and summaries out."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from reporting.bootstrap import create_app
from reporting.settings import ReportingSettings
from sunmoon.events import (
    COMPLAINT_CLASSIFIED, COMPLAINT_RECEIVED, NOTIFICATION_ACKNOWLEDGED, NOTIFICATION_SENT,
    OBSERVATION_RECORDED, STATUS_CHANGED, Envelope, make_envelope,
)
from sunmoon.events.classifier import ComplaintClassified
from sunmoon.events.intake import ComplaintReceived, ComplaintStatusChanged
from sunmoon.events.notifier import NotificationAcknowledged, NotificationSent
from sunmoon.events.weather import ObservationRecorded
from sunmoon.messaging import Namespace, connect
from sunmoon.testing.service import auth_headers

T0 = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)  # 11:00 KST
RANGE = {"since": "2026-01-15T00:00:00Z", "until": "2026-01-16T00:00:00Z"}
ADDRESS = "김포시 사우동 123-4"
DESCRIPTION = "사우동 사거리 맨홀 뚜껑이 열려 있어요"


class Harness:
    def __init__(self, app, client, js, ns):
        self.app, self.client, self.js, self.ns = app, client, js, ns

    @property
    def pool(self):
        return self.app.state.runtime.pool

    @property
    def stats(self):
        return self.app.state.runtime.stats

    async def publish(self, env: Envelope, msg_id: str | None = None) -> None:
        await self.js.publish(self.ns.subject(env.subject), env.to_bytes(),
                              headers={"Nats-Msg-Id": msg_id or str(env.event_id)})

    async def deliver(self, env: Envelope) -> None:
        """Publish one event and wait until the consumer has applied it."""
        before = self.stats.processed
        await self.publish(env)
        await self.processed(before + 1)

    async def publish_raw(self, subject: str, body: bytes) -> None:
        await self.js.publish(self.ns.subject(subject), body, headers={"Nats-Msg-Id": str(uuid.uuid4())})

    async def wait_for(self, check, timeout: float = 15.0):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = check()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            if loop.time() > deadline:
                raise AssertionError(f"condition not met in {timeout} s; stats {self.stats}")
            await asyncio.sleep(0.05)

    async def processed(self, n: int) -> None:
        await self.wait_for(lambda: self.stats.processed >= n)

    async def row(self, complaint_id: uuid.UUID) -> dict:
        r = await self.client.get(f"/api/v1/complaints/{complaint_id}")
        assert r.status_code == 200, r.text
        return r.json()

    async def summary(self, **params) -> dict:
        r = await self.client.get("/api/v1/summary", params=params or RANGE)
        assert r.status_code == 200, r.text
        return r.json()


@contextlib.asynccontextmanager
async def running_reporting(servers, namespace):
    settings = ReportingSettings(database_url=await servers.fresh_database("reporting"),
                                 nats_url=servers.nats_url, nats_namespace=namespace)
    app = create_app(settings)
    nc, js = await connect(servers.nats_url, name="test")
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth_headers()) as client:
                yield Harness(app, client, js, Namespace(namespace))
    finally:
        await nc.close()


def received(cid, at=T0, district="사우동"):
    return make_envelope(COMPLAINT_RECEIVED, ComplaintReceived(
        complaint_id=cid, description=DESCRIPTION, channel="phone", received_at=at, address=ADDRESS,
        district=district, lat=37.62, lon=126.71, has_callback=True), correlation_id=cid)


def classified(cid, type_="sewer_drainage", urgency="urgent"):
    return make_envelope(COMPLAINT_CLASSIFIED, ComplaintClassified(
        complaint_id=cid, type=type_, urgency=urgency, department="하수과", confidence=0.9,
        model_version="rules-1"), correlation_id=cid)


def status(cid, new, at, previous=None):
    return make_envelope(STATUS_CHANGED, ComplaintStatusChanged(
        complaint_id=cid, status=new, previous_status=previous, changed_at=at), correlation_id=cid)


def sent(cid, nid, at):
    return make_envelope(NOTIFICATION_SENT, NotificationSent(
        notification_id=nid, complaint_id=cid, worker_id="w-017", team="하수과 당직", provider="sens",
        message_kind="SMS", sent_at=at), correlation_id=cid)


def acknowledged(cid, nid, at):
    return make_envelope(NOTIFICATION_ACKNOWLEDGED, NotificationAcknowledged(
        notification_id=nid, complaint_id=cid, worker_id="w-017", acknowledged_at=at), correlation_id=cid)


def flow(cid, nid):
    """received -> classified -> status dispatched -> SMS sent, as the other services would announce it."""
    return [
        received(cid),
        classified(cid),
        status(cid, "classified", T0 + timedelta(minutes=1), "received"),
        status(cid, "dispatched", T0 + timedelta(minutes=2), "classified"),
        sent(cid, nid, T0 + timedelta(minutes=2)),
    ]


async def test_events_fold_into_summary(servers, namespace):
    async with running_reporting(servers, namespace) as h:
        a, b, nid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        for env in [*flow(a, nid), received(b, T0 + timedelta(hours=1))]:
            await h.publish(env)
        await h.processed(6)

        s = await h.summary()
        assert s["total"] == 2
        assert s["by_status"] == {"received": 1, "classified": 0, "dispatched": 1, "acknowledged": 0, "resolved": 0}
        assert s["by_type"]["sewer_drainage"] == 1 and s["by_type"]["unclassified"] == 1
        assert sum(s["by_type"].values()) == 2
        assert s["by_urgency"] == {"urgent": 1, "normal": 0, "low": 0, "unclassified": 1}

        row = await h.row(a)
        assert (row["status"], row["type"], row["urgency"], row["department"], row["sms_count"]) == (
            "dispatched", "sewer_drainage", "urgent", "하수과", 1)
        assert row["type_label"] == "하수·배수·침수" and row["district"] == "사우동"
        assert row["dispatched_at"] == "2026-01-15T02:02:00Z" and row["classified_at"] == "2026-01-15T02:01:00Z"

        # the range is [since, until): a complaint received at `until` is not counted
        narrow = await h.summary(since="2026-01-15T02:00:00Z", until="2026-01-15T03:00:00Z")
        assert narrow["total"] == 1
        # times without an offset are KST: 11:00-12:00 KST is the same hour
        assert (await h.summary(since="2026-01-15T11:00:00", until="2026-01-15T12:00:00"))["total"] == 1

        # the worker acknowledges; intake then moves the status on
        await h.publish(acknowledged(a, nid, T0 + timedelta(minutes=9)))
        await h.publish(status(a, "acknowledged", T0 + timedelta(minutes=9), "dispatched"))
        await h.processed(8)
        row = await h.row(a)
        assert row["status"] == "acknowledged" and row["acknowledged_at"] == "2026-01-15T02:09:00Z"

        # PII-free: no address, no worker id; only the place of the problem (4 decimals) and a short
        # scrubbed summary of the description reached the read model
        dump = " ".join(await h.pool.fetchval(
            "SELECT array_agg(t::text) FROM (SELECT row_to_json(c) AS t FROM complaints c"
            " UNION ALL SELECT row_to_json(n) FROM notifications n) x"))
        for secret in (ADDRESS, "123-4", "w-017"):
            assert secret not in dump
        kept = await h.pool.fetchrow("SELECT summary, lat, lon, nx, ny FROM complaints WHERE complaint_id = $1", a)
        assert kept["summary"] == DESCRIPTION and (kept["lat"], kept["lon"]) == (37.62, 126.71)
        assert kept["nx"] is not None and kept["ny"] is not None


async def test_same_events_twice_change_nothing(servers, namespace):
    async with running_reporting(servers, namespace) as h:
        cid, nid = uuid.uuid4(), uuid.uuid4()
        events = flow(cid, nid)
        for env in events:
            await h.publish(env)
        await h.processed(len(events))
        before_row, before_summary = await h.row(cid), await h.summary()

        # the very same events delivered again (a new Nats-Msg-Id, so JetStream keeps them)
        for env in events:
            await h.publish(env, msg_id=f"{env.event_id}-again")
        await h.wait_for(lambda: h.stats.duplicates >= len(events))
        # and the same facts announced again under new event ids
        await h.publish(sent(cid, nid, T0 + timedelta(minutes=2)))
        await h.publish(status(cid, "classified", T0 + timedelta(minutes=5)))
        await h.publish(received(cid))
        await h.processed(len(events) + 3)

        assert await h.summary() == before_summary
        after = await h.row(cid)
        assert {k: v for k, v in after.items() if k != "updated_at"} == {
            k: v for k, v in before_row.items() if k != "updated_at"}
        assert after["sms_count"] == 1 and after["status"] == "dispatched"
        assert await h.pool.fetchval("SELECT count(*) FROM notifications") == 1

        # a second, distinct notification does count
        await h.publish(sent(cid, uuid.uuid4(), T0 + timedelta(minutes=12)))
        await h.processed(len(events) + 4)
        assert (await h.row(cid))["sms_count"] == 2


async def test_out_of_order_delivery_ends_in_the_same_row(servers, namespace):
    async with running_reporting(servers, namespace) as h:
        in_order, reversed_, n1, n2 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        for env in flow(in_order, n1):
            await h.deliver(env)

        # the same story backwards: SMS first, received last (each processed before the next)
        late = flow(reversed_, n2)
        late.append(acknowledged(reversed_, n2, T0 + timedelta(minutes=9)))
        late.insert(0, status(reversed_, "acknowledged", T0 + timedelta(minutes=9), "dispatched"))
        for env in reversed(late):
            await h.deliver(env)
        # ...and the in-order one gets the same last two events in order
        await h.publish(acknowledged(in_order, n1, T0 + timedelta(minutes=9)))
        await h.publish(status(in_order, "acknowledged", T0 + timedelta(minutes=9), "dispatched"))
        await h.processed(14)

        a, b = await h.row(in_order), await h.row(reversed_)
        same = {k for k in a if k not in ("complaint_id", "updated_at")}
        assert {k: a[k] for k in same} == {k: b[k] for k in same}
        assert b["status"] == "acknowledged" and b["received_at"] == "2026-01-15T02:00:00Z"
        assert b["type"] == "sewer_drainage" and b["sms_count"] == 1 and b["channel"] == "phone"
        assert (await h.summary())["by_status"]["acknowledged"] == 2


async def test_a_later_classification_wins_even_if_it_arrives_first(servers, namespace):
    async with running_reporting(servers, namespace) as h:
        cid = uuid.uuid4()
        first, second = classified(cid, "road_damage", "normal"), classified(cid, "water_supply", "urgent")
        await h.deliver(received(cid))
        await h.deliver(second)
        await h.deliver(first)  # older, arrives late
        row = await h.row(cid)
        assert (row["type"], row["urgency"]) == ("water_supply", "urgent")


async def test_weather_observations_are_kept(servers, namespace):
    async with running_reporting(servers, namespace) as h:
        obs = ObservationRecorded(nx=55, ny=128, observed_at=T0, temperature_c=-3.5, precipitation_mm=0,
                                  precipitation_type=0)
        await h.publish(make_envelope(OBSERVATION_RECORDED, obs))
        await h.publish(make_envelope(OBSERVATION_RECORDED, obs.model_copy(update={"temperature_c": -4.0})))
        await h.processed(2)
        rows = await h.pool.fetch("SELECT nx, ny, source, temperature_c FROM weather_observations")
        assert [tuple(r) for r in rows] == [(55, 128, "manual", -4.0)]


async def test_malformed_message_is_dead_lettered_and_consumer_goes_on(servers, namespace):
    async with running_reporting(servers, namespace) as h:
        await h.publish_raw(COMPLAINT_RECEIVED.subject, b"{not json")
        bad_payload = received(uuid.uuid4()).model_copy(update={"payload": {"channel": "fax"}})
        await h.publish(bad_payload)
        good = uuid.uuid4()
        await h.publish(received(good))
        await h.processed(1)

        assert (await h.row(good))["status"] == "received"
        await h.wait_for(lambda: h.stats.dead_lettered >= 2)
        letters = await h.pool.fetch("SELECT consumer, subject, error FROM dead_letters ORDER BY id")
        assert [(d["consumer"], d["subject"]) for d in letters] == [
            ("reporting-complaint-received", COMPLAINT_RECEIVED.subject)] * 2
        assert "not JSON" in letters[0]["error"] and "bad payload" in letters[1]["error"]
        assert (await h.summary())["total"] == 1
        ready = (await h.client.get("/readyz")).json()
        assert ready["status"] == "ok" and ready["consumers"]["dead_lettered"] == 2


async def test_summary_and_complaint_bad_input(servers, namespace):
    async with running_reporting(servers, namespace) as h:
        cases = [
            ({"since": "2026-01-15T03:00:00Z", "until": "2026-01-15T03:00:00Z"}, "before"),
            ({"since": "2026-01-16T00:00:00Z", "until": "2026-01-15T00:00:00Z"}, "before"),
            ({"since": "2024-01-01T00:00:00Z", "until": "2026-01-15T00:00:00Z"}, "366 days"),
            ({"since": "어제"}, None),
        ]
        for params, message in cases:
            r = await h.client.get("/api/v1/summary", params=params)
            assert r.status_code == 422, (params, r.text)
            if message:
                assert message in r.json()["detail"]
            else:
                assert r.json()["detail"][0]["loc"] == ["query", "since"]

        # defaults: the last 24 hours, with every status present
        await h.publish(received(uuid.uuid4(), datetime.now(UTC) - timedelta(hours=1)))
        await h.publish(received(uuid.uuid4(), datetime.now(UTC) - timedelta(hours=30)))
        await h.processed(2)
        r = await h.client.get("/api/v1/summary")
        assert r.status_code == 200
        body = r.json()
        assert body["total"] == 1 and body["by_status"]["received"] == 1 and body["by_status"]["resolved"] == 0
        since, until = datetime.fromisoformat(body["since"]), datetime.fromisoformat(body["until"])
        assert until - since == timedelta(hours=24)

        missing = await h.client.get(f"/api/v1/complaints/{uuid.uuid4()}")
        assert missing.status_code == 404 and "no complaint" in missing.json()["detail"]
        assert (await h.client.get("/api/v1/complaints/not-a-uuid")).status_code == 422


async def test_weather_of_a_complaint_and_surges_are_kept_for_reports(servers, namespace):
    from sunmoon.events import SURGE_DETECTED
    from sunmoon.events.classifier import SurgeDetected, WeatherContext

    cid = uuid.uuid4()
    async with running_reporting(servers, namespace) as h:
        await h.publish(received(cid))
        await h.publish(make_envelope(COMPLAINT_CLASSIFIED, ComplaintClassified(
            complaint_id=cid, type="sewer_drainage", urgency="urgent", department="하수도과", confidence=0.9,
            model_version="base-test", weather_raised=True,
            weather=WeatherContext(known=True, nx=55, ny=128, precipitation_mm=42.0, warnings=["호우경보"],
                                   hazards=["rain"])), correlation_id=cid))
        await h.publish(make_envelope(SURGE_DETECTED, SurgeDetected(
            district="사우동", group="rain", types=["sewer_drainage"], count=3, window_minutes=60,
            complaint_ids=[cid], warnings=["호우경보"], detected_at=T0)))
        await h.processed(3)
        row = await h.row(cid)
        assert row["warnings"] == ["호우경보"] and row["weather_raised"] is True
        stored = await h.pool.fetchrow("SELECT weather FROM complaints WHERE complaint_id = $1", cid)
        assert stored["weather"]["precipitation_mm"] == 42.0
        surge = await h.pool.fetchrow("SELECT * FROM surges")
        assert (surge["district"], surge["grp"], surge["count"]) == ("사우동", "rain", 3)
