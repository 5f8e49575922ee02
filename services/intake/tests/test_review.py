"""The officer and the model: unsure classifications wait for the officer; the officer's choice is announced."""

import asyncio
import uuid

from sunmoon.events import COMPLAINT_CLASSIFIED, decode, make_envelope
from sunmoon.events.classifier import Candidate, ComplaintClassified
from sunmoon.messaging import Namespace, connect

from .test_api import BODY, intake  # noqa: F401 - the fixture


async def _intake_events(js, ns: Namespace) -> list[tuple[str, object]]:
    info = await js.stream_info(ns.stream("INTAKE"))
    out = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1) if info.state.messages else ():
        msg = await js.get_msg(ns.stream("INTAKE"), seq)
        subject = ns.strip(msg.subject)
        out.append((subject, decode(subject, msg.data)[1]))
    return out


async def _wait_for(check, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.05)


def _classified(cid, *, type_, urgency, confidence, needs_review):
    return make_envelope(COMPLAINT_CLASSIFIED, ComplaintClassified(
        complaint_id=cid, type=type_, urgency=urgency, department="건설과", confidence=confidence,
        model_version="base-test", needs_review=needs_review,
        candidates=[Candidate(type=type_, probability=confidence), Candidate(type="streetlight", probability=0.3),
                    Candidate(type="other", probability=0.1)]), correlation_id=cid)


async def test_an_unsure_classification_waits_for_the_officer_who_then_dispatches_it(intake, servers, namespace):
    client, app, _ = intake
    cid = uuid.UUID((await client.post("/api/v1/complaints", json={
        **BODY, "description": "지하주차장 입구가 너무 어두워서 무서워요"})).json()["id"])
    ns = Namespace(namespace)
    nc, js = await connect(servers.nats_url, name="test")
    try:
        env = _classified(cid, type_="illegal_parking", urgency="low", confidence=0.38, needs_review=True)
        await js.publish(ns.subject(env.subject), env.to_bytes(), headers={"Nats-Msg-Id": str(env.event_id)})

        async def got():
            return (await client.get(f"/api/v1/complaints/{cid}")).json()
        body = await _wait_for(lambda: _status(got, "classified"))
        assert body
        c = (await got())["classification"]
        assert (c["type"], c["suggested_type"], c["needs_review"], c["corrected"]) == (
            "illegal_parking", "illegal_parking", True, False)
        assert [x["type"] for x in c["candidates"]] == ["illegal_parking", "streetlight", "other"]
        review = (await client.get("/api/v1/complaints", params={"needs_review": "true"})).json()
        assert [x["id"] for x in review["items"]] == [str(cid)]
        await asyncio.sleep(0.5)
        assert not [s for s, _ in await _intake_events(js, ns) if s.endswith("dispatch_requested.v1")]

        r = await client.post(f"/api/v1/complaints/{cid}/classification",
                              json={"type": "streetlight", "urgency": "normal", "note": "조명 고장"})
        assert r.status_code == 200, r.text
        c = r.json()["classification"]
        assert (c["type"], c["urgency"], c["suggested_type"], c["needs_review"], c["corrected"]) == (
            "streetlight", "normal", "illegal_parking", False, True)

        async def published():
            events = await _intake_events(js, ns)
            return [e for e in events if e[0].endswith(("reclassified.v1", "dispatch_requested.v1"))]
        events = await _wait_for(lambda: _count(published, 2))
        kinds = {s.split(".")[2]: p for s, p in events}
        assert kinds["reclassified"].type == "streetlight" and kinds["reclassified"].previous_type == "illegal_parking"
        assert kinds["reclassified"].description == "지하주차장 입구가 너무 어두워서 무서워요"
        assert kinds["reclassified"].model_version == "base-test"
        assert kinds["dispatch_requested"].type == "streetlight" and kinds["dispatch_requested"].requested_by == "officer"

        # the classification redelivered late does not undo the officer's choice
        again = _classified(cid, type_="illegal_parking", urgency="low", confidence=0.38, needs_review=True)
        await js.publish(ns.subject(again.subject), again.to_bytes(), headers={"Nats-Msg-Id": "late"})
        await asyncio.sleep(0.5)
        assert (await got())["classification"]["type"] == "streetlight"
    finally:
        await nc.close()


async def test_an_unsure_but_urgent_complaint_is_dispatched_at_once(intake, servers, namespace):
    client, app, _ = intake
    cid = uuid.UUID((await client.post("/api/v1/complaints", json=BODY)).json()["id"])
    ns = Namespace(namespace)
    nc, js = await connect(servers.nats_url, name="test")
    try:
        env = _classified(cid, type_="road_damage", urgency="urgent", confidence=0.4, needs_review=True)
        await js.publish(ns.subject(env.subject), env.to_bytes())

        async def requested():
            return [p for s, p in await _intake_events(js, ns) if s.endswith("dispatch_requested.v1")]
        assert await _wait_for(requested)
    finally:
        await nc.close()


async def test_bad_corrections_are_refused_clearly(intake):
    client, app, _ = intake
    cid = (await client.post("/api/v1/complaints", json=BODY)).json()["id"]
    r = await client.post(f"/api/v1/complaints/{cid}/classification", json={"type": "lamp"})
    assert r.status_code == 422 and "unknown type 'lamp'; one of: road_damage" in r.json()["detail"]
    r = await client.post(f"/api/v1/complaints/{cid}/classification", json={"type": "streetlight", "urgency": "asap"})
    assert r.status_code == 422
    r = await client.post(f"/api/v1/complaints/{uuid.uuid4()}/classification", json={"type": "streetlight"})
    assert r.status_code == 404
    await client.post(f"/api/v1/complaints/{cid}/resolve")
    r = await client.post(f"/api/v1/complaints/{cid}/classification", json={"type": "streetlight"})
    assert r.status_code == 409 and "resolved" in r.json()["detail"]


async def _status(got, wanted):
    return (await got())["status"] == wanted


async def _count(fn, n):
    items = await fn()
    return items if len(items) >= n else None
