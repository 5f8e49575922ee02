"""Escalation on real PostgreSQL and NATS: nobody acknowledges → backup, supervisor, duty officer, at the right
times, also when the notifier is stopped and started again in between; an acknowledgement stops it."""

import asyncio
import contextlib
import re
import uuid
from datetime import datetime

import asyncpg
import httpx
import pytest

from sunmoon.crypto import FieldCipher, KeyRing
from sunmoon.events import DISPATCH_REQUESTED, make_envelope
from sunmoon.events.intake import ComplaintDispatchRequested
from sunmoon.messaging import Namespace, connect
from sunmoon.testing.service import ServiceUnderTest, auth_headers

from notifier import demo_roster, handlers
from notifier.bootstrap import create_app
from notifier.roster import KST
from notifier.settings import NotifierSettings

WEEKDAY_NIGHT = datetime(2026, 10, 7, 23, 0, tzinfo=KST)  # water: w-water-1, then w-water-2, then w-duty-1
WAIT = 1.5  # seconds, for urgent complaints in these tests


@pytest.fixture
async def env(servers, namespace):
    settings = NotifierSettings(
        database_url=await servers.fresh_database("notifier"), nats_url=servers.nats_url, nats_namespace=namespace,
        public_url="http://notifier.test", escalate_urgent_minutes=WAIT / 60, escalate_normal_minutes=WAIT / 60,
        escalate_low_minutes=60, escalation_poll_interval=0.1, sender_poll_interval=0.2)
    cipher = FieldCipher(KeyRing.generate())
    nc, js = await connect(servers.nats_url, name="notifier-test")

    @contextlib.asynccontextmanager
    async def running():
        """The notifier app (a new one each time) on the same database and stream."""
        app = create_app(settings, cipher=cipher)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth_headers()) as client:
                yield ServiceUnderTest(app, settings, client, js, Namespace(namespace))

    async with running() as svc, svc.pool.acquire() as conn, conn.transaction():
        await handlers.seed_roster(conn, cipher, demo_roster.TEAMS, demo_roster.ENTRIES, demo_roster.SHIFTS)
    running.dsn = settings.database_url
    try:
        yield running
    finally:
        await nc.close()


def dispatch(urgency="urgent", type_="sewer_drainage", at=WEEKDAY_NIGHT):
    cid = uuid.uuid4()
    event = ComplaintDispatchRequested(complaint_id=cid, type=type_, urgency=urgency, district="사우동",
                                       address="김포시 사우동 123-4")
    return make_envelope(DISPATCH_REQUESTED, event, correlation_id=cid).model_copy(update={"occurred_at": at})


async def notification(svc, complaint_id, role) -> dict | None:
    row = await svc.pool.fetchrow(
        "SELECT n.id, n.worker_id, n.status, n.created_at, n.idempotency_key, s.text AS sms FROM notifications n"
        " LEFT JOIN sms_messages s ON s.idempotency_key = n.idempotency_key"
        " WHERE n.complaint_id = $1 AND n.role = $2", uuid.UUID(str(complaint_id)), role)
    return dict(row) if row else None


async def sent(svc, complaint_id, role) -> dict:
    async def check():
        n = await notification(svc, complaint_id, role)
        return n if n and n["status"] == "sent" and n["sms"] else None
    return await svc.eventually(check, timeout=10, what=f"the {role} texted")


async def raised(svc) -> list[dict]:
    return [e["payload"] for s, e in await svc.events("NOTIFIER") if s == "notifier.escalation.raised.v1"]


def token_of(n: dict) -> str:
    return re.search(r"/ack/([A-Za-z0-9_-]{22})$", n["sms"]).group(1)


async def test_nobody_answers_backup_supervisor_duty_officer_across_restarts(env):
    e = dispatch()
    cid = e.payload["complaint_id"]
    async with env() as svc:
        await svc.publish_to(DISPATCH_REQUESTED.subject, e)
        primary = await sent(svc, cid, "primary")
    assert primary["worker_id"] == "w-water-1"
    # the notifier is down while the backup falls due: nothing happens until it is back
    await asyncio.sleep(WAIT + 0.5)
    conn = await asyncpg.connect(env.dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM notifications") == 1
    finally:
        await conn.close()
    async with env() as svc:
        backup = await sent(svc, cid, "backup")
        assert backup["worker_id"] == "w-water-2" and backup["idempotency_key"] == f"{cid}:w-water-2:backup"
        assert (backup["created_at"] - primary["created_at"]).total_seconds() >= WAIT
    # ... and restarted again in the middle of the next wait: the wait is not reset
    await asyncio.sleep(0.6)
    async with env() as svc:
        supervisor = await sent(svc, cid, "supervisor")
        assert supervisor["worker_id"] == "w-duty-1"
        waited = (supervisor["created_at"] - backup["created_at"]).total_seconds()
        assert WAIT <= waited < WAIT + 0.9, waited

        async def told():
            return [p for p in await raised(svc) if p["stage"] == "duty_officer"]
        await svc.eventually(told, timeout=10, what="the duty officer told")
        chain = await svc.pool.fetchrow("SELECT * FROM escalations")
        assert (chain["stage"], chain["state"]) == ("duty_officer", "exhausted")
        steps = await svc.pool.fetch("SELECT stage, raised_at FROM escalation_steps ORDER BY id")
        assert [s["stage"] for s in steps] == ["backup", "supervisor", "duty_officer"]
        assert (steps[2]["raised_at"] - supervisor["created_at"]).total_seconds() >= WAIT

        events = await raised(svc)
        assert [(p["stage"], p["notification_id"]) for p in events] == [
            ("backup", str(primary["id"])), ("supervisor", str(backup["id"])), ("duty_officer", str(supervisor["id"]))]
        assert all(p["complaint_id"] == cid for p in events)
        assert "w-water-1" in events[0]["reason"] and "확인 없음" in events[0]["reason"]
        assert "당직 책임자" in events[2]["reason"]
        roles = [e["payload"]["role"] for s, e in await svc.events("NOTIFIER") if s.endswith(".sent.v1")]
        assert roles == ["primary", "backup", "supervisor"]
        assert await svc.count("sms_messages") == 3  # one text each, never twice across restarts

        r = (await svc.client.get("/api/v1/escalations", params={"complaint_id": cid})).json()
        [item] = r["items"]
        assert item["state"] == "exhausted" and item["escalate_at"] is None
        assert [s["stage"] for s in item["steps"]] == ["backup", "supervisor", "duty_officer"]
        assert item["steps"][0]["worker_id"] == "w-water-2"


async def test_acknowledgement_stops_the_escalation(env):
    early, late = dispatch(), dispatch()
    async with env() as svc:
        await svc.publish_to(DISPATCH_REQUESTED.subject, early)
        await svc.publish_to(DISPATCH_REQUESTED.subject, late)
        first = await sent(svc, early.payload["complaint_id"], "primary")
        assert (await svc.client.post(f"/ack/{token_of(first)}", data={"response": "accepted"})).status_code == 200
        # the other complaint is not answered by its primary: its backup acknowledges
        backup = await sent(svc, late.payload["complaint_id"], "backup")
        r = await svc.client.post(f"/ack/{token_of(backup)}", data={"response": "accepted", "note": "대신 출동"})
        assert r.status_code == 200
        await asyncio.sleep(WAIT + 0.8)
        assert await notification(svc, early.payload["complaint_id"], "backup") is None
        assert await notification(svc, late.payload["complaint_id"], "supervisor") is None
        states = [r["state"] for r in await svc.pool.fetch("SELECT state FROM escalations")]
        assert states == ["acknowledged", "acknowledged"]
        assert [(p["complaint_id"], p["stage"]) for p in await raised(svc)] == [
            (late.payload["complaint_id"], "backup")]
        waiting = (await svc.client.get("/api/v1/escalations", params={"state": "waiting"})).json()
        assert waiting["items"] == []


async def test_a_failed_text_escalates_at_once_and_empty_stages_are_skipped(env):
    low = dispatch(urgency="low")  # waits an hour, unless the text fails
    other = dispatch(type_="other")  # 당직 총괄 on weekday nights: w-duty-1, backup w-duty-2, no supervisor
    async with env() as svc:
        await svc.publish_to(DISPATCH_REQUESTED.subject, low)
        await svc.publish_to(DISPATCH_REQUESTED.subject, other)
        first = await sent(svc, low.payload["complaint_id"], "primary")
        await svc.pool.execute("UPDATE notifications SET status = 'failed' WHERE id = $1", first["id"])
        backup = await sent(svc, low.payload["complaint_id"], "backup")
        assert (backup["created_at"] - first["created_at"]).total_seconds() < 30
        assert (await sent(svc, other.payload["complaint_id"], "backup"))["worker_id"] == "w-duty-2"

        async def duty_officer_for_other():
            return [p for p in await raised(svc)
                    if p["complaint_id"] == other.payload["complaint_id"] and p["stage"] == "duty_officer"]
        [told] = await svc.eventually(duty_officer_for_other, timeout=10, what="duty officer for 'other'")
        assert "감독자 없음" in told["reason"]
        [first_step] = [p for p in await raised(svc) if p["complaint_id"] == low.payload["complaint_id"]]
        assert first_step["stage"] == "backup" and "문자 발송 실패" in first_step["reason"]


async def test_a_dispatch_to_another_team_supersedes_the_waiting_chain(env):
    first = dispatch()
    again = make_envelope(DISPATCH_REQUESTED, ComplaintDispatchRequested(
        complaint_id=first.payload["complaint_id"], type="road_damage", urgency="urgent", district="사우동"),
        correlation_id=first.payload["complaint_id"]).model_copy(update={"occurred_at": WEEKDAY_NIGHT})
    async with env() as svc:
        await svc.publish_to(DISPATCH_REQUESTED.subject, first)
        await sent(svc, first.payload["complaint_id"], "primary")
        await svc.publish_to(DISPATCH_REQUESTED.subject, again)

        async def two_chains():
            rows = await svc.pool.fetch("SELECT team_id, state FROM escalations ORDER BY created_at")
            return [(r["team_id"], r["state"]) for r in rows] if len(rows) == 2 else None
        assert await svc.eventually(two_chains, what="a second chain") == [
            ("water", "superseded"), ("road", "waiting")]


async def test_a_complaint_resolved_at_the_desk_stops_its_escalation(env):
    from sunmoon.events import STATUS_CHANGED
    from sunmoon.events.intake import ComplaintStatusChanged

    async with env() as svc:
        d = dispatch()
        await svc.publish_to(DISPATCH_REQUESTED.subject, d)
        cid = d.payload["complaint_id"]
        await svc.eventually(lambda: svc.count("notifications", "status = 'sent'"), what="first SMS")
        resolved = make_envelope(STATUS_CHANGED, ComplaintStatusChanged(
            complaint_id=cid, status="resolved", previous_status="dispatched", changed_at=datetime.now(KST)))
        await svc.publish_to(STATUS_CHANGED.subject, resolved)
        await svc.eventually(lambda: svc.count("escalations", "state = 'resolved'"), what="escalation stopped")
        await asyncio.sleep(WAIT + 1.0)
        assert await svc.count("notifications") == 1  # nobody else texted


async def test_a_surge_texts_the_supervisor_of_the_shift_once(env):
    from sunmoon.events import SURGE_DETECTED
    from sunmoon.events.classifier import SurgeDetected

    async with env() as svc:
        ids = [uuid.uuid4() for _ in range(3)]
        surge = make_envelope(SURGE_DETECTED, SurgeDetected(
            district="사우동", group="rain", types=["sewer_drainage"], count=3, window_minutes=60,
            complaint_ids=ids, warnings=["호우경보"], detected_at=WEEKDAY_NIGHT))
        await svc.publish_to(SURGE_DETECTED.subject, surge)
        await svc.publish_to(SURGE_DETECTED.subject, surge, msg_id="again")  # redelivered: still one SMS
        await svc.eventually(lambda: svc.count("notifications", "status = 'sent'"), what="surge SMS")
        await asyncio.sleep(0.5)
        rows = await svc.pool.fetch("SELECT worker_id, role, text FROM notifications")
        assert len(rows) == 1 and rows[0]["role"] == "supervisor" and rows[0]["worker_id"] == "w-duty-1"
        assert "민원 급증 호우" in rows[0]["text"] and "사우동 60분간 3건 (호우경보)" in rows[0]["text"]
        assert await svc.count("escalations") == 0
