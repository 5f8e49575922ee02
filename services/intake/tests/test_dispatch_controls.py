"""Duplicates, linking, hold and (re-)dispatch on real PostgreSQL and NATS, through intake's HTTP API."""

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

from sunmoon.events import COMPLAINT_CLASSIFIED, NOTIFICATION_ACKNOWLEDGED, NOTIFICATION_SENT, make_envelope
from sunmoon.events.classifier import Candidate, ComplaintClassified
from sunmoon.events.notifier import NotificationAcknowledged, NotificationSent
from sunmoon.messaging import Namespace, connect

from .test_api import intake  # noqa: F401 - the fixture
from .test_review import _intake_events, _wait_for

SAUDONG = (37.6202, 126.7151)


def _north(metres: float) -> tuple[float, float]:
    return SAUDONG[0] + metres / 111_195.0, SAUDONG[1]


def _body(lat: float, lon: float, text: str = "사우동 사거리 맨홀 뚜껑이 열려 있어요", **extra):
    return {"description": text, "location": {"address": "경기도 김포시 사우동 123-4", "lat": lat, "lon": lon},
            "channel": "phone", **extra}


async def _classify(js, ns, cid, type_="road_damage", urgency="normal", needs_review=False):
    env = make_envelope(COMPLAINT_CLASSIFIED, ComplaintClassified(
        complaint_id=cid, type=type_, urgency=urgency, department="건설과", confidence=0.9 if not needs_review else 0.4,
        model_version="t", needs_review=needs_review, candidates=[Candidate(type=type_, probability=0.9)]),
        correlation_id=cid)
    await js.publish(ns.subject(env.subject), env.to_bytes(), headers={"Nats-Msg-Id": str(env.event_id)})


async def _publish(js, ns, spec, payload, cid):
    env = make_envelope(spec, payload, correlation_id=cid)
    await js.publish(ns.subject(env.subject), env.to_bytes(), headers={"Nats-Msg-Id": str(env.event_id)})


async def _file(client, lat, lon, **extra) -> uuid.UUID:
    r = await client.post("/api/v1/complaints", json=_body(lat, lon, **extra))
    assert r.status_code == 201, r.text
    return uuid.UUID(r.json()["id"])


async def _get(client, cid):
    return (await client.get(f"/api/v1/complaints/{cid}")).json()


async def _dispatches(js, ns):
    return [p for s, p in await _intake_events(js, ns) if s.endswith("dispatch_requested.v1")]


async def test_duplicates_filter_by_distance_type_time_and_open(intake, servers, namespace):
    client, app, _ = intake
    ns = Namespace(namespace)
    nc, js = await connect(servers.nats_url, name="test")
    try:
        near = await _file(client, *_north(50))
        far = await _file(client, *_north(450))
        other_type = await _file(client, *_north(20), text="가로등이 꺼졌어요")
        old = await _file(client, *_north(10),
                          received_at=(datetime.now(timezone.utc) - timedelta(hours=25)).isoformat())
        resolved = await _file(client, *_north(30))
        for cid in (near, far, old, resolved):
            await _classify(js, ns, cid)
        await _classify(js, ns, other_type, type_="streetlight")
        await _wait_for(lambda: _all_classified(client, [near, far, other_type, old, resolved]))
        assert (await client.post(f"/api/v1/complaints/{resolved}/resolve", json={})).status_code == 200

        r = await client.get("/api/v1/complaints/duplicates",
                             params={"lat": SAUDONG[0], "lon": SAUDONG[1], "type": "road_damage"})
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [uuid.UUID(i["id"]) for i in items] == [near]
        assert 45 < items[0]["distance_m"] < 55 and items[0]["type_label"]
        wider = (await client.get("/api/v1/complaints/duplicates", params={
            "lat": SAUDONG[0], "lon": SAUDONG[1], "type": "road_damage", "within_m": 500, "hours": 48})).json()
        assert [uuid.UUID(i["id"]) for i in wider["items"]] == [old, near, far]  # nearest first
        lights = (await client.get("/api/v1/complaints/duplicates", params={
            "lat": SAUDONG[0], "lon": SAUDONG[1], "type": "streetlight"})).json()
        assert [uuid.UUID(i["id"]) for i in lights["items"]] == [other_type]
        by_id = (await client.get(f"/api/v1/complaints/{far}/duplicates", params={"within_m": 450})).json()
        assert [uuid.UUID(i["id"]) for i in by_id["items"]] == [near]
        for params, status in (({"lat": 10, "lon": 126.7, "type": "road_damage"}, 422),
                               ({"lat": 37.6, "lon": 126.7, "type": "nope"}, 422),
                               ({"lat": 37.6, "lon": 126.7, "type": "road_damage", "within_m": 0}, 422),
                               ({"lat": 37.6, "type": "road_damage"}, 422)):
            assert (await client.get("/api/v1/complaints/duplicates", params=params)).status_code == status, params
        assert (await client.get(f"/api/v1/complaints/{uuid.uuid4()}/duplicates")).status_code == 404
    finally:
        await nc.close()


async def _all_classified(client, ids):
    return await _all_status(client, ids, "classified")


async def test_a_linked_complaint_is_never_dispatched_and_follows_its_primary(intake, servers, namespace):
    client, app, _ = intake
    ns = Namespace(namespace)
    nc, js = await connect(servers.nats_url, name="test")
    try:
        primary = await _file(client, *SAUDONG)
        await _classify(js, ns, primary, urgency="urgent")
        sent = await _wait_for(lambda: _dispatches(js, ns))
        assert len(sent) == 1 and sent[0].attempt == 1 and sent[0].linked_complaint_ids == []
        dup = await _file(client, *_north(50), duplicate_of=str(primary))
        twice = await _file(client, *_north(60))
        r = await client.post(f"/api/v1/complaints/{twice}/link", json={"primary_id": str(dup)})  # a chain
        assert r.status_code == 200, r.text
        assert r.json()["duplicate_of"] == str(primary)  # linked to the root
        await _classify(js, ns, dup, urgency="urgent")
        await _classify(js, ns, twice, urgency="urgent")
        await _wait_for(lambda: _all_classified(client, [dup, twice]))
        await asyncio.sleep(0.3)
        assert len(await _dispatches(js, ns)) == 1  # nobody is texted for the linked ones
        linked = [p for s, p in await _intake_events(js, ns) if s.endswith("linked.v1")]
        assert {(p.complaint_id, p.primary_id) for p in linked} == {(dup, primary), (twice, primary)}
        assert 45 < next(p.distance_m for p in linked if p.complaint_id == dup) < 55
        got = await _get(client, primary)
        assert set(got["linked"]) == {str(dup), str(twice)}

        nid = uuid.uuid4()
        now = datetime.now(timezone.utc)
        await _publish(js, ns, NOTIFICATION_SENT, NotificationSent(
            notification_id=nid, complaint_id=primary, worker_id="w1", team="도로", role="primary",
            provider="console", provider_message_id="m", message_kind="SMS", sent_at=now), primary)
        assert await _wait_for(lambda: _all_status(client, [primary, dup, twice], "dispatched"))
        await _publish(js, ns, NOTIFICATION_ACKNOWLEDGED, NotificationAcknowledged(
            notification_id=nid, complaint_id=primary, worker_id="w1", acknowledged_at=now), primary)
        assert await _wait_for(lambda: _all_status(client, [primary, dup, twice], "acknowledged"))
        # a late duplicate linked after the primary was acknowledged catches up at once
        late = await _file(client, *_north(10))
        r = await client.post(f"/api/v1/complaints/{late}/link", json={"primary_id": str(primary)})
        assert r.json()["status"] == "acknowledged" and r.json()["dispatched_at"]
        assert (await client.post(f"/api/v1/complaints/{primary}/resolve", json={})).status_code == 200
        assert await _all_status(client, [primary, dup, twice, late], "resolved")
        assert (await client.get("/api/v1/complaints/duplicates", params={
            "lat": SAUDONG[0], "lon": SAUDONG[1], "type": "road_damage"})).json()["items"] == []
    finally:
        await nc.close()


async def _all_status(client, ids, status):
    for c in ids:
        if (await _get(client, c))["status"] != status:
            return False
    return True


async def test_link_refusals(intake, servers, namespace):
    client, app, _ = intake
    ns = Namespace(namespace)
    nc, js = await connect(servers.nats_url, name="test")
    try:
        a = await _file(client, *SAUDONG)
        b = await _file(client, *_north(40))
        await _classify(js, ns, b)
        assert await _wait_for(lambda: _dispatches(js, ns))
        r = await client.post(f"/api/v1/complaints/{b}/link", json={"primary_id": str(a)})
        assert r.status_code == 409 and "이미 출동 요청된" in r.json()["detail"]
        assert (await client.post(f"/api/v1/complaints/{a}/link", json={"primary_id": str(a)})).status_code == 409
        assert (await client.post(f"/api/v1/complaints/{a}/link",
                                  json={"primary_id": str(uuid.uuid4())})).status_code == 404
        assert (await client.post(f"/api/v1/complaints/{uuid.uuid4()}/link",
                                  json={"primary_id": str(a)})).status_code == 404
        assert (await client.post(f"/api/v1/complaints/{a}/link", json={"primary_id": "x"})).status_code == 422
        r = await client.post("/api/v1/complaints", json=_body(*SAUDONG, duplicate_of=str(uuid.uuid4())))
        assert r.status_code == 422 and "duplicate_of" in r.json()["detail"]
        assert (await client.get("/api/v1/complaints", params={"limit": 200})).json()["total"] == 2  # nothing filed
        await client.post(f"/api/v1/complaints/{b}/resolve", json={})
        r = await client.post("/api/v1/complaints", json=_body(*SAUDONG, duplicate_of=str(b)))
        assert r.status_code == 409 and "처리 완료" in r.json()["detail"]
    finally:
        await nc.close()


async def test_hold_then_dispatch_then_redispatch(intake, servers, namespace):
    client, app, _ = intake
    ns = Namespace(namespace)
    nc, js = await connect(servers.nats_url, name="test")
    try:
        cid = await _file(client, *SAUDONG)
        r = await client.post(f"/api/v1/complaints/{cid}/dispatch", json={})
        assert r.status_code == 409 and "분류되지" in r.json()["detail"]
        r = await client.post(f"/api/v1/complaints/{cid}/hold", json={"reason": "민원인 재확인 중"})
        assert r.status_code == 200 and r.json()["held"] and r.json()["hold_reason"] == "민원인 재확인 중"
        await _classify(js, ns, cid, urgency="urgent")  # urgent, but held before classification finished
        await _wait_for(lambda: _all_classified(client, [cid]))
        await asyncio.sleep(0.3)
        assert await _dispatches(js, ns) == []
        assert (await client.post(f"/api/v1/complaints/{cid}/hold", json={"reason": " "})).status_code == 422

        r = await client.post(f"/api/v1/complaints/{cid}/dispatch", json={"note": "확인 완료"})
        assert r.status_code == 200, r.text
        assert not r.json()["held"] and r.json()["dispatch_attempt"] == 1
        first = (await _wait_for(lambda: _dispatches(js, ns)))[0]
        assert (first.attempt, first.worker_id, first.redispatch_of, first.requested_by) == (1, None, None, "officer")
        r = await client.post(f"/api/v1/complaints/{cid}/hold", json={"reason": "늦은 보류"})
        assert r.status_code == 409 and "이미 출동 요청" in r.json()["detail"]
        r = await client.post(f"/api/v1/complaints/{cid}/dispatch", json={})
        assert r.status_code == 409 and "근무자를 선택" in r.json()["detail"]
        assert (await client.post(f"/api/v1/complaints/{cid}/dispatch",
                                  json={"worker_id": "bad id!"})).status_code == 422

        r = await client.post(f"/api/v1/complaints/{cid}/dispatch", json={"worker_id": "road-lee", "note": "부재"})
        assert r.status_code == 200 and r.json()["dispatch_attempt"] == 2
        both = await _wait_for(lambda: _count(lambda: _dispatches(js, ns), 2))
        second = both[1]
        assert (second.attempt, second.worker_id, second.requested_by) == (2, "road-lee", "officer")
        assert second.redispatch_of is not None and second.redispatch_of != second.complaint_id
        r = await client.post(f"/api/v1/complaints/{cid}/dispatch", json={"worker_id": "road-lee"})
        assert r.status_code == 409 and "같은 사람" in r.json()["detail"]
        assert (await client.post(f"/api/v1/complaints/{uuid.uuid4()}/dispatch", json={})).status_code == 404
        assert (await client.post(f"/api/v1/complaints/{uuid.uuid4()}/hold",
                                  json={"reason": "사유"})).status_code == 404
        await client.post(f"/api/v1/complaints/{cid}/resolve", json={})
        assert (await client.post(f"/api/v1/complaints/{cid}/dispatch",
                                  json={"worker_id": "road-kim"})).status_code == 409
        dup = await _file(client, *SAUDONG)
        other = await _file(client, *_north(5))
        await client.post(f"/api/v1/complaints/{dup}/link", json={"primary_id": str(other)})
        r = await client.post(f"/api/v1/complaints/{dup}/dispatch", json={})
        assert r.status_code == 409 and "대표 민원" in r.json()["detail"]
    finally:
        await nc.close()


async def _count(fn, n):
    got = await fn()
    return got if len(got) >= n else None
