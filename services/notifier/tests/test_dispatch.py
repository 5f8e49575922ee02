"""dispatch_requested -> exactly one SMS and one NotificationSent (real PostgreSQL and NATS)."""

import uuid

from notifier import domain

PUBLIC_URL = "http://notifier.test"


async def test_dispatch_request_texts_the_on_call_worker_once(service):
    env = service.dispatch_event()
    complaint_id = env.payload["complaint_id"]
    await service.publish(env)
    await service.wait_sent()

    sms = await service.pool.fetchrow("SELECT * FROM sms_messages")
    assert sms["text"].startswith(
        f"[당직] 긴급 하수·배수·침수 / 사우동 123-4 / 신고 010-****-5678 / 확인: {PUBLIC_URL}/ack/")
    assert sms["kind"] == "LMS" and sms["bytes"] == len(sms["text"].encode("euc-kr"))
    assert sms["idempotency_key"] == f"{complaint_id}:w-water-1:primary"
    assert sms["sender"] == "0319800000"
    phone = service.cipher.decrypt(sms["recipient_phone_enc"], table="sms_messages", column="recipient_phone",
                                   row_id=sms["idempotency_key"])
    assert phone.reveal() == "010-0103-1629"

    events = await service.notifier_events()
    assert len(events) == 1
    subject, envelope = events[0]
    assert subject == "notifier.notification.sent.v1"
    assert envelope["correlation_id"] == str(complaint_id)
    p = envelope["payload"]
    assert (p["complaint_id"], p["worker_id"], p["team"], p["role"], p["provider"], p["message_kind"]) == (
        str(complaint_id), "w-water-1", "상하수도 당직", "primary", "console", "LMS")

    r = await service.client.get("/api/v1/notifications", params={"complaint_id": str(complaint_id)})
    assert r.status_code == 200
    [item] = r.json()["items"]
    assert item["status"] == "sent" and item["worker_name"] == "정*진" and item["team_name"] == "상하수도 당직"
    assert item["text"].endswith(f"/ack/{domain.MASKED_TOKEN}")  # the live token is never shown to staff
    assert item["id"] == p["notification_id"]

    r = await service.client.get("/api/v1/sms")
    [m] = r.json()["items"]
    assert m["recipient"] == "010-****-1629" and m["text"] == sms["text"]


async def test_same_event_twice_and_a_repeated_request_send_one_sms(service):
    env = service.dispatch_event()
    await service.publish(env, msg_id="first")
    await service.publish(env, msg_id="second")  # JetStream cannot dedupe: the inbox must
    again = service.dispatch_event(env.payload["complaint_id"])  # a new request for the same complaint
    await service.publish(again)
    await service.eventually(lambda: _done(service, 3), what="three deliveries handled")
    await service.wait_sent()
    assert service.stats.duplicates == 1
    assert await service.count("notifications") == 1
    assert await service.count("sms_messages") == 1
    assert len(await service.notifier_events()) == 1


async def _done(service, n):
    return service.stats.processed + service.stats.duplicates >= n


async def test_malformed_messages_are_dead_lettered_and_the_next_one_is_processed(service):
    await service.publish(body=b"{not json")
    bad_payload = service.dispatch_event().model_copy(update={"payload": {"complaint_id": "nope", "urgency": "soon"}})
    await service.publish(bad_payload)
    good = service.dispatch_event(type="road_damage", urgency="normal", address=None, district="하성면",
                          callback_masked=None)
    await service.publish(good)
    await service.wait_sent()
    rows = await service.pool.fetch("SELECT consumer, error FROM dead_letters ORDER BY id")
    assert [r["consumer"] for r in rows] == ["notifier-complaint-dispatch_requested"] * 2
    assert "not JSON" in rows[0]["error"] and "bad payload" in rows[1]["error"]
    text = await service.pool.fetchval("SELECT text FROM sms_messages")
    assert text.startswith("[당직] 보통 도로·보도 파손 / 하성면 / 확인: ")
    assert await service.pool.fetchval("SELECT worker_id FROM notifications") == "w-north-1"


async def test_type_nobody_covers_goes_to_the_duty_supervisor(service):
    await service.publish(service.dispatch_event(type="other", urgency="low"))
    await service.wait_sent()
    [(_, envelope)] = await service.notifier_events()
    assert (envelope["payload"]["worker_id"], envelope["payload"]["role"], envelope["payload"]["team"]) == (
        "w-duty-1", "supervisor", "당직 총괄")


async def test_empty_roster_dead_letters_the_request(service):
    await service.pool.execute("UPDATE workers SET active = false")
    env = service.dispatch_event()
    await service.publish(env)
    await service.eventually(lambda: service.count("dead_letters"), what="dead letter")
    error = await service.pool.fetchval("SELECT error FROM dead_letters")
    assert "nobody active on the roster" in error
    assert await service.count("notifications") == 0
    # the inbox row was rolled back with the refusal: a replay after fixing the roster is processed
    assert await service.count("inbox") == 0


async def test_roster_api_masks_names_and_numbers(service):
    r = await service.client.get("/api/v1/roster")
    assert r.status_code == 200
    teams = {t["id"]: t for t in r.json()["teams"]}
    assert len(teams) == 9 and teams["duty"]["fallback"] is True
    assert teams["road-north"]["districts"] == ["통진읍", "월곶면", "하성면", "대곶면", "양촌읍"]
    assert teams["road"]["districts"] is None
    w = teams["water"]["workers"][0]
    assert (w["id"], w["name"], w["phone"], w["role"]) == ("w-water-1", "정*진", "010-****-1629", "primary")
    assert "정우진" not in r.text and "0103-1629" not in r.text


async def test_bad_query_parameters_get_a_clear_422(service):
    r = await service.client.get("/api/v1/notifications", params={"complaint_id": "not-a-uuid"})
    assert r.status_code == 422 and "complaint_id" in r.text
    r = await service.client.get("/api/v1/sms", params={"limit": 0})
    assert r.status_code == 422
    assert (await service.client.get("/readyz")).json()["status"] == "ok"
    r = await service.client.get("/api/v1/notifications", params={"complaint_id": str(uuid.uuid4())})
    assert r.json()["items"] == []
