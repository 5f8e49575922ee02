"""The worker's link is single-use: forward only (확인 → 도착 → 완료), each answer once, spent after 완료;
forged tokens are refused without changing anything."""

import asyncio
import re

from notifier import domain, handlers


async def _token(service) -> str:
    await service.publish(service.dispatch_event())
    await service.wait_sent()
    text = await service.pool.fetchval("SELECT text FROM sms_messages ORDER BY id DESC LIMIT 1")
    return re.search(r"/ack/([A-Za-z0-9_-]{22})$", text).group(1)


async def _state(service) -> tuple:
    """Everything a tap could change: responses, acknowledgement, escalation, outbox."""
    return (await service.count("worker_responses"), await service.count("outbox"),
            await service.pool.fetchval("SELECT acknowledged_at FROM notifications"),
            await service.count("escalations", "state = 'waiting'"))


def test_step_order_is_forward_only():
    assert handlers.step_allowed("on_site", {"accepted": 1})
    assert handlers.step_allowed("done", {"accepted": 1})  # 도착 may be skipped
    assert not handlers.step_allowed("accepted", {"on_site": 1})
    assert not handlers.step_allowed("on_site", {"on_site": 1})
    assert not handlers.step_allowed("on_site", {"accepted": 1, "done": 1})


async def test_same_button_twice_records_one_response(service):
    token = await _token(service)

    async def tap():
        return await service.client.post(f"/ack/{token}", data={"response": "accepted"})
    first, second = await asyncio.gather(tap(), tap())  # a double tap: both requests at once
    assert sorted([first.status_code, second.status_code]) == [200, 200]
    assert sorted(["확인되었습니다" in r.text for r in (first, second)]) == [False, True]
    assert any("이미 확인했습니다" in r.text for r in (first, second))
    assert await service.count("worker_responses") == 1
    assert await service.count("outbox", "subject LIKE '%acknowledged%'") == 1


async def test_after_done_the_link_is_spent_and_changes_nothing(service):
    token = await _token(service)
    assert (await service.client.post(f"/ack/{token}", data={"response": "accepted"})).status_code == 200
    r = await service.client.post(f"/ack/{token}", data={"response": "done", "note": "임시 조치 완료"})
    assert r.status_code == 200 and "완료가 기록되었습니다" in r.text and "<form" not in r.text
    before = await _state(service)
    for method, data in (("GET", None), ("POST", {"response": "on_site"}), ("POST", {"response": "done"}),
                         ("POST", {"response": "accepted", "note": "다시"})):
        r = await service.client.request(method, f"/ack/{token}", data=data)
        assert r.status_code == 410, (method, data)
        assert "이미 처리된 링크입니다" in r.text and "<form" not in r.text and "<button" not in r.text
        assert "임시 조치 완료" in r.text and "다시" not in r.text
    assert await _state(service) == before
    assert [x["response"] for x in await service.pool.fetch(
        "SELECT response FROM worker_responses ORDER BY id")] == ["accepted", "done"]
    # even past its expiry, a finished link says it was handled (not "call the duty office")
    await service.pool.execute("UPDATE notifications SET ack_expires_at = now() - interval '1 minute'")
    assert "이미 처리된 링크입니다" in (await service.client.get(f"/ack/{token}")).text


async def test_never_backwards(service):
    token = await _token(service)
    assert (await service.client.post(f"/ack/{token}", data={"response": "on_site"})).status_code == 200
    before = await _state(service)
    r = await service.client.post(f"/ack/{token}", data={"response": "accepted", "note": "늦은 확인"})
    assert r.status_code == 409 and "순서를 거꾸로 할 수 없습니다" in r.text
    assert await _state(service) == before
    page = await service.client.get(f"/ack/{token}")
    assert 'class="b-accepted skipped" disabled' in page.text and 'class="b-done">완료</button>' in page.text


async def test_expired_link_changes_nothing(service):
    token = await _token(service)
    await service.pool.execute("UPDATE notifications SET ack_expires_at = now() - interval '1 second'")
    before = await _state(service)
    for response in ("accepted", "on_site", "done"):
        r = await service.client.post(f"/ack/{token}", data={"response": response})
        assert r.status_code == 410 and "확인 기간이 지났습니다" in r.text and "<form" not in r.text
    assert await _state(service) == before


async def test_forged_tokens_are_refused(service):
    token = await _token(service)
    before = await _state(service)
    near = token[:-1] + ("A" if token[-1] != "A" else "B")  # one character off the real one
    for forged in (domain.new_ack_token(), near, token + "x", token.upper() if token.upper() != token else "x"):
        for method in ("GET", "POST"):
            r = await service.client.request(method, f"/ack/{forged}", data={"response": "done"} if method == "POST"
                                             else None)
            assert r.status_code == 404 and "확인 링크를 찾을 수 없습니다" in r.text, (method, forged)
    assert await _state(service) == before
    # only the hash is stored: the database does not hold the token itself
    stored = await service.pool.fetchval("SELECT ack_token_hash FROM notifications")
    assert stored == domain.token_hash(token) and token.encode() not in bytes(stored)
