"""The link page's three buttons — 확인, 도착, 완료 — with a note: recorded once each and announced."""

import re


async def _token(service, n: int = 1) -> str:
    await service.publish(service.dispatch_event())
    await service.wait_sent(n)
    text = await service.pool.fetchval("SELECT text FROM sms_messages ORDER BY id DESC LIMIT 1")
    return re.search(r"/ack/([A-Za-z0-9_-]{22})$", text).group(1)


async def _events(service, kind: str) -> list[dict]:
    return [e["payload"] for s, e in await service.notifier_events() if s == f"notifier.notification.{kind}.v1"]


async def test_three_buttons_with_a_note_produce_the_events_once(service):
    token = await _token(service)
    page = await service.client.get(f"/ack/{token}")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text
    assert '<textarea id="note" name="note" maxlength="500"' in page.text and "<script" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]

    async def tap(response, note=None):
        data = {"response": response, **({"note": note} if note is not None else {})}
        return await service.client.post(f"/ack/{token}", data=data)

    r = await tap("accepted", "10분 안에 도착 예정")
    assert r.status_code == 200 and "확인되었습니다" in r.text and "10분 안에 도착 예정" in r.text
    r = await tap("on_site", "  맨홀 뚜껑 열림 확인, 신고자 010-1234-5678 통화함 ")
    assert r.status_code == 200 and "도착이 기록되었습니다" in r.text
    r = await tap("done")
    assert r.status_code == 200 and "완료가 기록되었습니다" in r.text
    assert "<form" not in r.text  # 완료 spends the link
    for response in ("accepted", "on_site", "done"):
        again = await tap(response, "다른 메모")
        assert again.status_code == 410 and "이미 처리된 링크입니다" in again.text and "다른 메모" not in again.text
        assert "<form" not in again.text and "<button" not in again.text

    async def all_published():
        return len(await _events(service, "responded")) == 3 and await service.count(
            "outbox", "published_at IS NULL") == 0
    await service.eventually(all_published, what="three WorkerResponded published")
    responded = await _events(service, "responded")
    assert [(p["response"], p["note"]) for p in responded] == [
        ("accepted", "10분 안에 도착 예정"),
        ("on_site", "맨홀 뚜껑 열림 확인, 신고자 010-****-5678 통화함"),  # trimmed, the number masked
        ("done", None),
    ]
    notification = await service.pool.fetchrow("SELECT id, complaint_id, worker_id, status FROM notifications")
    assert {(p["notification_id"], p["complaint_id"], p["worker_id"]) for p in responded} == {
        (str(notification["id"]), str(notification["complaint_id"]), "w-water-1")}
    assert len(await _events(service, "acknowledged")) == 1 and notification["status"] == "acknowledged"
    assert await service.count("worker_responses") == 3
    page = await service.client.get(f"/ack/{token}")
    assert page.status_code == 410 and "이미 처리된 링크입니다" in page.text and "<button" not in page.text
    assert "10분 안에 도착 예정" in page.text  # the notes stay visible


async def test_on_site_first_acknowledges_too_and_get_changes_nothing(service):
    token = await _token(service)
    for _ in range(3):
        assert (await service.client.get(f"/ack/{token}")).status_code == 200
    assert await service.count("worker_responses") == 0
    assert await service.count("notifications", "acknowledged_at IS NOT NULL") == 0
    assert await service.count("escalations", "state = 'waiting'") == 1

    r = await service.client.post(f"/ack/{token}", data={"response": "on_site"})
    assert r.status_code == 200 and "도착이 기록되었습니다" in r.text
    assert await service.count("notifications", "acknowledged_at IS NOT NULL") == 1
    assert await service.count("escalations", "state = 'acknowledged'") == 1  # the escalation stops
    assert [r["response"] for r in await service.pool.fetch("SELECT response FROM worker_responses")] == ["on_site"]
    # 확인 afterwards would go backwards: refused, nothing recorded; 확인 is shown disabled
    r = await service.client.post(f"/ack/{token}", data={"response": "accepted"})
    assert r.status_code == 409 and "이미 다음 단계가 기록되었습니다" in r.text
    assert 'value="accepted" class="b-accepted skipped" disabled>' in r.text
    assert 'value="done" class="b-done">완료</button>' in r.text
    await service.eventually(lambda: _count_events(service, "responded", 1), what="one response published")
    assert await service.count("worker_responses") == 1
    assert len(await _events(service, "acknowledged")) == 1


async def _count_events(service, kind, n):
    return len(await _events(service, kind)) == n


async def test_bad_buttons_long_notes_and_dead_links_get_korean_pages(service):
    token = await _token(service)
    r = await service.client.post(f"/ack/{token}", data={"response": "reject"})
    assert r.status_code == 422 and "알 수 없는 버튼" in r.text
    r = await service.client.post(f"/ack/{token}", data={"response": "done", "note": "가" * 501})
    assert r.status_code == 422 and "500자" in r.text
    r = await service.client.post(f"/ack/{token}", content=b"note=" + b"a" * 9000,
                                  headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422 and "500자" in r.text
    assert await service.count("worker_responses") == 0
    r = await service.client.post(f"/ack/{token}", data={"response": "on_site", "note": "가" * 500})
    assert r.status_code == 200
    for response in ("accepted", "on_site", "done"):
        r = await service.client.post("/ack/AAAAAAAAAAAAAAAAAAAAAA", data={"response": response})
        assert r.status_code == 404 and "확인 링크를 찾을 수 없습니다" in r.text
    await service.pool.execute("UPDATE notifications SET ack_expires_at = now() - interval '1 second'")
    r = await service.client.post(f"/ack/{token}", data={"response": "on_site"})
    assert r.status_code == 410 and "확인 기간이 지났습니다" in r.text and "<form" not in r.text
    assert (await service.client.get(f"/ack/{token}")).status_code == 410
    assert await service.count("worker_responses") == 1
