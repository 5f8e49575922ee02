"""The acknowledgement link: GET shows, POST confirms once and announces it (the three buttons: test_ack_buttons)."""

import re

from notifier import domain


async def _token(service) -> str:
    await service.publish(service.dispatch_event())
    await service.wait_sent()
    text = await service.pool.fetchval("SELECT text FROM sms_messages")  # what the worker's phone got
    return re.search(r"/ack/([A-Za-z0-9_-]{22})$", text).group(1)


async def test_ack_link_flow(service):
    token = await _token(service)
    assert await service.pool.fetchval("SELECT ack_token_hash FROM notifications") == domain.token_hash(token)

    page = await service.client.get(f"/ack/{token}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<form method="post">' in page.text
    for value, label in (("accepted", "확인"), ("on_site", "도착"), ("done", "완료")):
        assert f'name="response" value="{value}" class="b-{value}">{label}</button>' in page.text
    assert "긴급 · 하수·배수·침수" in page.text and "사우동 123-4" in page.text and "요청 시각" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert await service.count("notifications", "acknowledged_at IS NOT NULL") == 0  # a GET changes nothing

    done = await service.client.post(f"/ack/{token}")
    assert done.status_code == 200 and "확인되었습니다" in done.text

    async def acknowledged():
        return [e for s, e in await service.notifier_events() if s == "notifier.notification.acknowledged.v1"]
    [event] = await service.eventually(acknowledged, what="NotificationAcknowledged in the stream")
    row = await service.pool.fetchrow("SELECT id, complaint_id, status FROM notifications")
    assert row["status"] == "acknowledged"
    assert event["payload"]["notification_id"] == str(row["id"])
    assert event["payload"]["worker_id"] == "w-water-1"
    assert event["correlation_id"] == str(row["complaint_id"])

    again = await service.client.post(f"/ack/{token}")
    assert again.status_code == 200 and "이미 확인" in again.text
    after = await service.client.get(f"/ack/{token}")
    assert after.status_code == 200 and "이미 확인된 민원입니다" in after.text
    assert 'value="accepted" class="b-accepted done" disabled>확인 ✓' in after.text  # 도착/완료 still open
    assert 'value="on_site" class="b-on_site">도착</button>' in after.text
    await service.eventually(lambda: _outbox_drained(service), what="outbox published")
    assert len(await acknowledged()) == 1
    assert await service.count("outbox") == 3  # sent, acknowledged, responded (accepted)


async def _outbox_drained(service):
    return await service.count("outbox", "published_at IS NULL") == 0


async def test_unknown_and_malformed_tokens_get_a_korean_404(service):
    for token in (domain.new_ack_token(), "short", "a" * 22 + "b", "%2e%2e"):
        for method in ("GET", "POST"):
            r = await service.client.request(method, f"/ack/{token}")
            assert r.status_code == 404, (method, token)
            assert "확인 링크를 찾을 수 없습니다" in r.text


async def test_expired_link_cannot_be_used(service):
    token = await _token(service)
    await service.pool.execute("UPDATE notifications SET ack_expires_at = now() - interval '1 minute'")
    r = await service.client.get(f"/ack/{token}")
    assert r.status_code == 410 and "24시간" in r.text and "<form" not in r.text
    r = await service.client.post(f"/ack/{token}")
    assert r.status_code == 410
    assert await service.count("notifications", "acknowledged_at IS NOT NULL") == 0


async def test_link_is_valid_for_24_hours(service):
    await _token(service)
    hours = await service.pool.fetchval(
        "SELECT extract(epoch FROM ack_expires_at - sent_at) / 3600 FROM notifications")
    assert float(hours) == 24.0
