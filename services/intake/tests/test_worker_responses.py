"""Intake shows what the field worker and the notifier reported: responses, escalations, alerts."""

import asyncio
import uuid

import httpx
import pytest

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from sunmoon.crypto import FieldCipher, KeyRing
from sunmoon.events import (
    ESCALATION_RAISED, NOTIFICATION_FAILED, NOTIFICATION_SENT, WORKER_RESPONDED, make_envelope,
)
from sunmoon.events.notifier import EscalationRaised, NotificationFailed, NotificationSent, WorkerResponded
from sunmoon.messaging import Namespace, connect
from sunmoon.testing.service import auth_headers

BODY = {"description": "사우동 사거리 맨홀 뚜껑이 열려 있어요", "location": {"address": "김포시 사우동 123-4"},
        "channel": "phone"}


@pytest.fixture
async def intake(servers, namespace):
    settings = IntakeSettings(database_url=await servers.fresh_database("intake"), nats_url=servers.nats_url,
                              nats_namespace=namespace)
    app = create_app(settings, FieldCipher(KeyRing.generate("k1")))
    nc, js = await connect(servers.nats_url, name="test")
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth_headers()) as client:
                yield client, js, Namespace(namespace)
    finally:
        await nc.close()


async def _until(check, timeout=10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_responses_escalations_and_alerts_show_on_the_complaint(intake):
    client, js, ns = intake
    cid = uuid.UUID((await client.post("/api/v1/complaints", json=BODY)).json()["id"])
    primary, backup, supervisor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    async def publish(spec, payload, msg_id=None):
        env = make_envelope(spec, payload, correlation_id=cid)
        await js.publish(ns.subject(env.subject), env.to_bytes(), headers={"Nats-Msg-Id": msg_id or str(env.event_id)})
        return env

    async def get():
        return (await client.get(f"/api/v1/complaints/{cid}")).json()

    await publish(NOTIFICATION_SENT, NotificationSent(
        notification_id=primary, complaint_id=cid, worker_id="w-water-1", team="상하수도 당직", provider="console",
        message_kind="LMS", sent_at="2026-10-07T14:00:00Z"))
    await _until(lambda: _status(get, "dispatched"))
    await publish(ESCALATION_RAISED, EscalationRaised(
        complaint_id=cid, notification_id=primary, stage="backup", reason="담당자 w-water-1: 5분 안에 확인 없음",
        raised_at="2026-10-07T14:05:00Z"))
    await publish(NOTIFICATION_FAILED, NotificationFailed(
        notification_id=backup, complaint_id=cid, worker_id="w-water-2", role="backup", attempts=8,
        error="ProviderError: 수신 거부", failed_at="2026-10-07T14:06:00Z"))
    await publish(ESCALATION_RAISED, EscalationRaised(
        complaint_id=cid, notification_id=backup, stage="supervisor", reason="문자 발송 실패",
        raised_at="2026-10-07T14:06:01Z"))
    responded = await publish(WORKER_RESPONDED, WorkerResponded(
        notification_id=supervisor, complaint_id=cid, worker_id="w-duty-1", response="accepted",
        note="직접 출동합니다", responded_at="2026-10-07T14:08:00Z"))
    await publish(WORKER_RESPONDED, WorkerResponded(
        notification_id=supervisor, complaint_id=cid, worker_id="w-duty-1", response="on_site",
        responded_at="2026-10-07T14:30:00Z"))
    await publish(WORKER_RESPONDED, WorkerResponded(
        notification_id=supervisor, complaint_id=cid, worker_id="w-duty-1", response="done", note="뚜껑 닫음",
        responded_at="2026-10-07T14:50:00Z"))
    await js.publish(ns.subject(responded.subject), responded.to_bytes(), headers={"Nats-Msg-Id": "again"})

    got = await _until(lambda: _with(get, lambda c: len(c["responses"]) == 3 and len(c["escalations"]) == 2
                                     and len(c["alerts"]) == 1))
    assert got["status"] == "acknowledged"
    assert [(r["response"], r["label"], r["note"], r["worker_id"]) for r in got["responses"]] == [
        ("accepted", "확인", "직접 출동합니다", "w-duty-1"), ("on_site", "도착", None, "w-duty-1"),
        ("done", "완료", "뚜껑 닫음", "w-duty-1")]
    assert got["responses"][0]["at"].startswith("2026-10-07T14:08")
    assert [(e["stage"], e["label"], e["notification_id"]) for e in got["escalations"]] == [
        ("backup", "예비 담당자 호출", str(primary)), ("supervisor", "감독자 호출", str(backup))]
    [alert] = got["alerts"]
    assert alert["kind"] == "notification_failed" and alert["worker_id"] == "w-water-2"
    assert "예비 담당자 w-water-2에게 문자를 보내지 못했습니다(8회 시도)" in alert["message"]
    history = [(h["status"], h["reason"]) for h in got["history"]]
    assert history[-1] == ("acknowledged", "확인 by w-duty-1")
    await asyncio.sleep(0.3)
    assert len((await get())["responses"]) == 3  # the duplicate changed nothing

    await publish(ESCALATION_RAISED, EscalationRaised(
        complaint_id=cid, notification_id=supervisor, stage="duty_officer", reason="감독자 w-duty-1: 확인 없음",
        raised_at="2026-10-07T14:10:00Z"))
    got = await _until(lambda: _with(get, lambda c: len(c["alerts"]) == 2))
    assert [a["kind"] for a in got["alerts"]] == ["notification_failed", "duty_officer"]
    assert "전화로 출동을 지시해 주세요" in got["alerts"][1]["message"]
    # the list view stays light
    page = (await client.get("/api/v1/complaints")).json()
    assert page["items"][0]["responses"] is None


async def test_a_response_for_an_unknown_complaint_is_ignored(intake):
    client, js, ns = intake
    env = make_envelope(WORKER_RESPONDED, WorkerResponded(
        notification_id=uuid.uuid4(), complaint_id=uuid.uuid4(), worker_id="w1", response="done",
        responded_at="2026-10-07T14:50:00Z"))
    await js.publish(ns.subject(env.subject), env.to_bytes(), headers={"Nats-Msg-Id": str(env.event_id)})
    cid = (await client.post("/api/v1/complaints", json=BODY)).json()["id"]
    await asyncio.sleep(0.5)
    got = (await client.get(f"/api/v1/complaints/{cid}")).json()
    assert got["responses"] == [] and got["escalations"] == [] and got["alerts"] == []
    assert (await client.get("/readyz")).json()["consumers"]["dead_lettered"] == 0


async def _status(get, wanted):
    return (await get())["status"] == wanted


async def _with(get, pred):
    c = await get()
    return c if pred(c) else None


async def test_board_labels_follow_the_field_delivered_on_site_done(intake):
    """Between dispatch and done the board says how far the field got: the gateway's delivery report, then
    the worker's answers, which only move forward (a late 확인 after 도착 changes nothing)."""
    from sunmoon.events import NOTIFICATION_DELIVERED
    from sunmoon.events.notifier import NotificationDelivered

    from intake import repository
    from intake.web.views import stage_label

    client, js, ns = intake
    cid = uuid.UUID((await client.post("/api/v1/complaints", json=BODY)).json()["id"])
    pool = client._transport.app.state.runtime.pool
    note = uuid.uuid4()

    async def publish(spec, payload):
        env = make_envelope(spec, payload, correlation_id=cid)
        await js.publish(ns.subject(env.subject), env.to_bytes(), headers={"Nats-Msg-Id": str(env.event_id)})

    async def label_is(expected):
        async def check():
            row = await repository.get(pool, cid)
            return stage_label(row) == expected
        await _until(check)

    await publish(NOTIFICATION_SENT, NotificationSent(
        notification_id=note, complaint_id=cid, worker_id="w-road-1", team="도로 당직", provider="sens",
        message_kind="SMS", sent_at="2026-10-07T14:00:00Z"))
    await label_is("출동 요청")
    await publish(NOTIFICATION_DELIVERED, NotificationDelivered(
        notification_id=note, complaint_id=cid, worker_id="w-road-1", provider="sens",
        delivered_at="2026-10-07T14:00:05Z"))
    await label_is("문자 전달됨")
    from intake.web.views import reason_ko

    history = (await client.get(f"/api/v1/complaints/{cid}")).json()["history"]
    assert [reason_ko(h["reason"]) for h in history if "delivered" in (h["reason"] or "")] == [
        "문자 전달 확인 (w-road-1, sens)"]
    for response, expected in (("accepted", "현장 확인"), ("on_site", "현장 도착"), ("accepted", "현장 도착"),
                               ("done", "현장 조치 완료")):
        await publish(WORKER_RESPONDED, WorkerResponded(
            notification_id=note, complaint_id=cid, worker_id="w-road-1", response=response,
            responded_at="2026-10-07T14:10:00Z"))
        await label_is(expected)
    await client.post(f"/api/v1/complaints/{cid}/resolve", json={"note": "보수 완료"})
    await label_is("처리 완료")
