"""received -> exactly one classification and one classified event (real PostgreSQL and NATS JetStream)."""

from __future__ import annotations

import uuid

from sunmoon.events import decode

DURABLE = "classifier-complaint-received"


async def test_received_complaint_is_stored_and_announced_once(service):
    env = service.received_event()
    complaint_id = env.payload["complaint_id"]
    await service.publish(env)
    [(subject, envelope)] = await service.wait_published(1)

    assert subject == "classifier.complaint.classified.v1"
    assert envelope["producer"] == "classifier"
    assert envelope["correlation_id"] == str(complaint_id)
    p = envelope["payload"]
    assert (p["complaint_id"], p["type"], p["urgency"], p["department"], p["model_version"], p["manual_id"]) == (
        str(complaint_id), "water_supply", "urgent", "상하수도과", p["model_version"], "manual-water_supply-v1")
    assert p["model_version"].startswith("base-")
    assert p["confidence"] >= 0.8 and p["needs_review"] is False
    assert p["candidates"][0] == {"type": "water_supply", "probability": p["confidence"]}
    assert "수도관" in p["matched_terms"] and "터져" in p["matched_terms"]

    row = await service.pool.fetchrow("SELECT * FROM classifications")
    assert row["complaint_id"] == uuid.UUID(str(complaint_id))
    assert (row["type"], row["urgency"], row["manual_id"]) == ("water_supply", "urgent", "manual-water_supply-v1")
    assert row["received_event_id"] == env.event_id
    assert str(row["classified_event_id"]) == envelope["event_id"]
    assert row["scores"]["water_supply"] > row["scores"].get("sewer_drainage", 0)
    assert row["needs_review"] is False and row["candidates"][0]["type"] == "water_supply"
    assert row["draft_worker_sms"].startswith("[긴급]상수도 누수·단수")  # template drafts, made at once
    assert "접수되었습니다" in row["draft_citizen_reply"] and "119" in row["draft_citizen_reply"]
    assert await service.count("outbox") == 1
    assert await service.count("inbox", "consumer = $1", DURABLE) == 1

    # what was published decodes with the shared registry, as intake and reporting read it
    info = await service.js.stream_info(service.ns.stream("CLASSIFIER"))
    raw = await service.js.get_msg(service.ns.stream("CLASSIFIER"), info.state.last_seq)
    _, payload = decode("classifier.complaint.classified.v1", raw.data)
    assert payload.manual_id == "manual-water_supply-v1"

    r = await service.client.get(f"/api/v1/classifications/{complaint_id}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["type"], body["label"], body["urgency_label"], body["manual_id"]) == (
        "water_supply", "상수도 누수·단수", "긴급", "manual-water_supply-v1")
    assert body["classified_event_id"] == envelope["event_id"]


async def test_redelivery_and_a_second_received_event_change_nothing(service):
    env = service.received_event()
    await service.publish(env, msg_id="first")
    await service.publish(env, msg_id="second")  # JetStream keeps both: the inbox must drop the copy
    again = service.received_event(env.payload["complaint_id"], description="가로등이 꺼졌어요")
    await service.publish(again)  # same complaint, new event id: the classifications table must hold
    await service.handled(3)
    await service.wait_published(1)

    assert service.stats.duplicates == 1
    assert service.stats.processed == 2
    assert await service.count("classifications") == 1
    assert await service.pool.fetchval("SELECT type FROM classifications") == "water_supply"
    assert await service.count("outbox") == 1
    assert len(await service.classified_events()) == 1


async def test_malformed_messages_are_dead_lettered_and_the_next_one_is_processed(service):
    await service.publish(body=b"{not json")
    bad = service.received_event().model_copy(update={"payload": {"complaint_id": "nope", "channel": "fax"}})
    await service.publish(bad)
    good = service.received_event(description="골목 가로등이 꺼져 있어요")
    await service.publish(good)
    [(_, envelope)] = await service.wait_published(1)

    assert envelope["payload"]["type"] == "streetlight"
    assert envelope["payload"]["manual_id"] == "manual-streetlight-v1"
    rows = await service.pool.fetch("SELECT consumer, subject, error FROM dead_letters ORDER BY id")
    assert [r["consumer"] for r in rows] == [DURABLE, DURABLE]
    assert {r["subject"] for r in rows} == {"intake.complaint.received.v1"}
    assert "not JSON" in rows[0]["error"] and "bad payload" in rows[1]["error"]
    assert service.stats.dead_lettered == 2
    assert await service.count("classifications") == 1
    ready = (await service.client.get("/readyz")).json()
    assert ready["consumers"]["dead_lettered"] == 2 and ready["consumers"]["processed"] == 1


async def test_a_text_the_model_cannot_read_is_other_for_review(service):
    env = service.received_event(description="Hello, is anybody there? 🙏")
    await service.publish(env)
    [(_, envelope)] = await service.wait_published(1)
    p = envelope["payload"]
    assert (p["type"], p["department"], p["manual_id"]) == ("other", "당직실", "manual-other-v1")
    assert p["needs_review"] is True and len(p["candidates"]) == 3
    assert p["matched_terms"] == []


async def test_several_complaints_are_each_classified(service):
    texts = {
        "주차장이 너무 어두워요": ("streetlight", "low"),
        "술 취한 사람이 도로에 누워 있어요": ("public_order", "urgent"),
        "골목에 쓰레기 무단투기가 심해요": ("waste", "normal"),
    }
    envs = {text: service.received_event(description=text) for text in texts}
    for env in envs.values():
        await service.publish(env)
    events = await service.wait_published(len(texts))
    by_complaint = {e["payload"]["complaint_id"]: e["payload"] for _, e in events}
    for text, (type_, urgency) in texts.items():
        p = by_complaint[str(envs[text].payload["complaint_id"])]
        assert (p["type"], p["urgency"], p["manual_id"]) == (type_, urgency, f"manual-{type_}-v1"), text
