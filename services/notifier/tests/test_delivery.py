"""Real gateways end to end: the notifier on real PostgreSQL and NATS texting through local SENS
and Solapi stand-ins (signatures checked), with retries, failover, delivery results, alerts and
exactly-once across a crash between the gateway call and the notifier's commit."""

import asyncio
import importlib.util
import json
import uuid
from pathlib import Path

import httpx
import pytest

from sunmoon.crypto import FieldCipher, KeyRing
from sunmoon.events import DISPATCH_REQUESTED, make_envelope
from sunmoon.events.intake import ComplaintDispatchRequested
from sunmoon.messaging import Namespace, connect
from sunmoon.testing.service import ServiceUnderTest, auth_headers, eventually

from notifier import demo_roster, handlers
from notifier.bootstrap import create_app
from notifier.providers.sens import SensProvider
from notifier.providers.solapi import KEY_FIELD, SolapiProvider
from notifier.sender import SmsSender
from notifier.settings import NotifierSettings

_spec = importlib.util.spec_from_file_location("notifier_gateway_fakes",
                                               Path(__file__).with_name("test_gateways_fakes.py"))
fakes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fakes)

PUBLIC_URL = "http://notifier.test"


@pytest.fixture
def gateways():
    sens, solapi = fakes.FakeSens(), fakes.FakeSolapi()
    sens.hang_seconds = solapi.hang_seconds = 1.0
    yield sens, solapi
    sens.close()
    solapi.close()


def gateway_settings(sens, solapi, **extra):
    return dict(sms_provider="sens", sens_access_key=fakes.SENS_ACCESS_KEY, sens_secret_key=fakes.SENS_SECRET,
                sens_service_id=fakes.SENS_SERVICE_ID, sens_base_url=sens.url, sms_failover_provider="solapi",
                solapi_api_key=fakes.SOLAPI_KEY, solapi_api_secret=fakes.SOLAPI_SECRET, solapi_base_url=solapi.url,
                sms_http_timeout=0.3, sms_retry_base_seconds=0.05, sms_retry_max_seconds=0.2,
                sms_in_doubt_check_seconds=0.2, sms_in_doubt_deadline_seconds=5, sms_failover_after=2,
                sender_max_attempts=4, sender_poll_interval=0.1, delivery_poll_interval=0.1,
                delivery_recheck_seconds=0.1, **extra)


@pytest.fixture
async def service(servers, namespace, gateways):
    sens, solapi = gateways
    settings = NotifierSettings(database_url=await servers.fresh_database("notifier_gw"), nats_url=servers.nats_url,
                                nats_namespace=namespace, public_url=PUBLIC_URL, **gateway_settings(sens, solapi))
    cipher = FieldCipher(KeyRing.generate())
    app = create_app(settings, cipher=cipher)
    nc, js = await connect(servers.nats_url, name="notifier-gateway-test")
    try:
        async with app.router.lifespan_context(app):
            async with app.state.runtime.pool.acquire() as conn, conn.transaction():
                await handlers.seed_roster(conn, cipher, demo_roster.TEAMS, demo_roster.ENTRIES)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth_headers()) as client:
                yield ServiceUnderTest(app, settings, client, js, Namespace(namespace))
    finally:
        await nc.close()


def dispatch(**fields):
    complaint_id = uuid.uuid4()
    payload = {"complaint_id": complaint_id, "type": "sewer_drainage", "urgency": "urgent",
               "address": "경기도 김포시 사우동 123-4", "district": "사우동", "callback_masked": "010-****-5678",
               **fields}
    return make_envelope(DISPATCH_REQUESTED, ComplaintDispatchRequested(**payload), correlation_id=complaint_id)


async def publish(service, env):
    await service.publish_to(DISPATCH_REQUESTED.subject, env)


async def events_named(service, name):
    return [e for subject, e in await service.events("NOTIFIER") if subject == f"notifier.notification.{name}.v1"]


async def wait_events(service, name, n=1):
    async def check():
        found = await events_named(service, name)
        return found if len(found) >= n else None
    return await eventually(check, timeout=10, what=f"{n} notification.{name}")


def content(request):
    return json.loads(request["body"].decode("utf-8"))


# -- through the service ---------------------------------------------------------------------------
async def test_dispatch_goes_out_through_sens_and_delivery_results_are_reported(service, gateways):
    sens, solapi = gateways
    first, second = dispatch(), dispatch(address="김포시 운양동 🐗 출몰 지점 ✅", type="animal")
    await publish(service, first)
    await publish(service, second)
    sent = await wait_events(service, "sent", 2)
    assert {e["payload"]["provider"] for e in sent} == {"sens"} and solapi.sends() == []
    assert not sens.rejected and len(sens.accepted) == 2
    by_to = {m["messages"][0]["to"]: m for m in sens.accepted}
    water = by_to["01001031629"]  # w-water-1, on call for sewer_drainage
    assert water["type"] == "LMS" and water["subject"] == "[당직] 긴급 하수·배수·침수"
    assert water["content"].startswith(
        f"[당직] 긴급 하수·배수·침수 / 사우동 123-4 / 신고 010-****-5678 / 확인: {PUBLIC_URL}/ack/")
    assert water["from"] == "0319800000" and water["countryCode"] == "82" and water["contentType"] == "COMM"
    animal = next(m for to, m in by_to.items() if to != "01001031629")
    assert "🐗" not in animal["content"] and "✅" not in animal["content"] and "운양동 ? 출몰 지점 ?" in animal["content"]
    rows = {r["provider_request_id"]: r for r in await service.pool.fetch(
        "SELECT id, provider, provider_request_id, delivery_status, failover, attempts FROM notifications")}
    assert set(rows) == {m["requestId"] for m in sens.accepted}
    assert all((r["provider"], r["delivery_status"], r["failover"], r["attempts"]) == ("sens", "sent", False, 1)
               for r in rows.values())

    # the carriers report: the first reached the phone, the second did not (phone off)
    sens.complete(sens.accepted.index(water), at="2026-03-07 22:26:20")
    sens.complete(sens.accepted.index(animal), success=False)
    [delivered] = await wait_events(service, "delivered")
    [failed] = await wait_events(service, "failed")
    assert delivered["payload"]["complaint_id"] == str(first.payload["complaint_id"])
    assert delivered["payload"]["provider"] == "sens"
    assert delivered["payload"]["delivered_at"].startswith("2026-03-07T13:26:20")
    assert failed["payload"]["complaint_id"] == str(second.payload["complaint_id"])
    assert "3043" in failed["payload"]["error"] and "not delivered" in failed["payload"]["error"]
    states = {r["delivery_status"]: r for r in await service.pool.fetch(
        "SELECT status, delivery_status, delivered_at, provider_message_id FROM notifications")}
    assert states["delivered"]["status"] == "sent" and states["delivered"]["delivered_at"] is not None
    assert states["delivered"]["provider_message_id"] == water["messageId"]
    assert states["failed"]["status"] == "failed"


async def test_500_and_a_timeout_are_retried_then_the_failover_sends(service, gateways):
    sens, solapi = gateways
    sens.script = ["500", "hang"]  # the second never answers (and never accepted anything)
    env = dispatch()
    await publish(service, env)
    [sent] = await wait_events(service, "sent")
    assert sent["payload"]["provider"] == "solapi"
    assert len(sens.sends()) == 2 and sens.accepted == []
    # the timed-out attempt was looked up at SENS before anything else was sent
    assert any("requestStartTime" in r["path"] for r in sens.requests if r["method"] == "GET")
    [message] = solapi.accepted
    assert message["customFields"] == {KEY_FIELD: f"{env.payload['complaint_id']}:w-water-1:primary"}
    row = await service.pool.fetchrow("SELECT status, provider, failover, attempts, delivery_status FROM notifications")
    assert dict(row) == {"status": "sent", "provider": "solapi", "failover": True, "attempts": 3,
                         "delivery_status": "sent"}
    assert await events_named(service, "failed") == []
    # Solapi's delivery result comes back through the same tracker
    solapi.complete(0, code="4000")
    [delivered] = await wait_events(service, "delivered")
    assert delivered["payload"]["provider"] == "solapi"


async def test_a_timeout_after_the_gateway_accepted_is_not_sent_twice(service, gateways):
    sens, solapi = gateways
    sens.script = ["accept_then_hang"]
    await publish(service, dispatch())
    [sent] = await wait_events(service, "sent")
    assert sent["payload"]["provider"] == "sens"
    assert len(sens.sends()) == 1 and len(sens.accepted) == 1 and solapi.sends() == []
    row = await service.pool.fetchrow("SELECT provider_message_id, provider_request_id, attempts FROM notifications")
    assert (row["provider_message_id"], row["provider_request_id"], row["attempts"]) == (
        sens.accepted[0]["messageId"], sens.accepted[0]["requestId"], 1)


async def test_every_gateway_failing_alerts_the_duty_officer(service, gateways):
    sens, solapi = gateways
    sens.always = solapi.always = "500"
    env = dispatch()
    await publish(service, env)
    [failed] = await wait_events(service, "failed")
    p = failed["payload"]
    assert p["complaint_id"] == str(env.payload["complaint_id"]) and p["worker_id"] == "w-water-1"
    assert p["attempts"] == 4 and "HTTP 500" in p["error"] and "0103" not in p["error"]
    assert failed["correlation_id"] == str(env.payload["complaint_id"])
    assert (len(sens.sends()), len(solapi.sends())) == (2, 2)
    assert await events_named(service, "sent") == []
    row = await service.pool.fetchrow("SELECT status, delivery_status, failover, failed_at FROM notifications")
    assert (row["status"], row["delivery_status"], row["failover"]) == ("failed", "failed", True)
    assert row["failed_at"] is not None


# -- a crash between the gateway call and the commit -------------------------------------------------


def provider_for(name, sens, solapi):
    if name == "sens":
        return SensProvider(access_key=fakes.SENS_ACCESS_KEY, secret_key=fakes.SENS_SECRET,
                            service_id=fakes.SENS_SERVICE_ID, base_url=sens.url, timeout=0.3, rate_per_second=0)
    return SolapiProvider(api_key=fakes.SOLAPI_KEY, api_secret=fakes.SOLAPI_SECRET, base_url=solapi.url,
                          timeout=0.3, rate_per_second=0)


def sender(db, provider, **kw):
    dsn, pool, cipher = db
    return SmsSender(pool, lambda _conn: provider, cipher, dsn=dsn, sender_number="0319800000",
                     in_doubt_check=0, **kw)


async def crash(_row):
    raise SystemExit("killed after the gateway call, before the notifier's commit")


@pytest.mark.parametrize("name", ["sens", "solapi"])
async def test_crash_between_gateway_call_and_commit_texts_exactly_once(db, gateways, name):
    gateway = dict(zip(("sens", "solapi"), gateways))[name]
    provider = provider_for(name, *gateways)
    pool = db[1]
    with pytest.raises(SystemExit):
        await sender(db, provider, before_mark=crash).send_pending()
    assert len(gateway.accepted) == 1  # the worker has the SMS ...
    row = await pool.fetchrow("SELECT status, delivery_status, provider FROM notifications")
    assert dict(row) == {"status": "pending", "delivery_status": "sending", "provider": name}  # ... we don't know it
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0

    restarted = sender(db, provider)
    await restarted.send_pending()
    await restarted.send_pending()
    await provider.aclose()
    assert len(gateway.sends()) == 1 and len(gateway.accepted) == 1  # exactly one SMS, ever
    row = await pool.fetchrow("SELECT status, delivery_status, provider_message_id, provider_request_id, attempts"
                              " FROM notifications")
    assert (row["status"], row["delivery_status"], row["attempts"]) == ("sent", "sent", 1)
    assert row["provider_message_id"] == gateway.accepted[0]["messageId"]
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE subject = 'notifier.notification.sent.v1'") == 1
    assert restarted.reconciled == 1


async def test_when_the_gateway_cannot_tell_nothing_is_resent_and_the_duty_officer_is_told(db, gateways):
    sens, _ = gateways
    provider = provider_for("sens", *gateways)
    pool = db[1]
    with pytest.raises(SystemExit):
        await sender(db, provider, before_mark=crash).send_pending()
    sens.lookup_fails = True
    restarted = sender(db, provider, in_doubt_deadline=0.3)
    await restarted.send_pending()  # cannot tell yet: wait, send nothing
    assert await pool.fetchval("SELECT delivery_status FROM notifications") == "sending"
    await asyncio.sleep(0.35)
    await restarted.send_pending()  # past the deadline: give up loudly
    await provider.aclose()
    assert len(sens.sends()) == 1
    row = await pool.fetchrow("SELECT status, delivery_status, last_error FROM notifications")
    assert (row["status"], row["delivery_status"]) == ("failed", "unknown")
    assert "not resent" in row["last_error"]
    body = await pool.fetchval("SELECT body FROM outbox WHERE subject = 'notifier.notification.failed.v1'")
    assert "delivery uncertain" in json.loads(body)["payload"]["error"]


async def test_an_attempt_a_live_sender_is_still_making_is_left_alone(db, gateways):
    sens, _ = gateways
    sens.script, sens.hang_seconds = ["accept_then_hang"], 1.0
    provider = SensProvider(access_key=fakes.SENS_ACCESS_KEY, secret_key=fakes.SENS_SECRET,
                            service_id=fakes.SENS_SERVICE_ID, base_url=sens.url, timeout=0.8, rate_per_second=0)
    live = asyncio.create_task(sender(db, provider).send_one())
    await eventually(lambda: _async(len(sens.accepted) == 1), timeout=5, what="the live attempt at the gateway")
    other = sender(db, provider)
    assert await other.reconcile_pending() == 0  # the live sender holds the attempt's lock
    assert not any(r["method"] == "GET" for r in sens.requests)
    await live
    await other.send_pending()  # now it is in doubt and nobody holds it: found, not resent
    await provider.aclose()
    assert len(sens.sends()) == 1
    assert await db[1].fetchval("SELECT delivery_status FROM notifications") == "sent"


async def _async(value):
    return value
