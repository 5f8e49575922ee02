"""What the worker hears of complaints linked as duplicates (real PostgreSQL and NATS, and the pure rules).

Linked before the dispatch: the one dispatch text counts them ("동일 민원 N건 추가"). Linked after: one
short follow-up SMS to the worker holding the job ("동일 위치 민원 1건 추가"), once, never a second
dispatch text.
"""

import uuid
from datetime import datetime, timezone

from sunmoon.events import COMPLAINT_LINKED, make_envelope
from sunmoon.events.intake import ComplaintLinked

from notifier import domain

LINK = domain.ack_link("http://127.0.0.1:8002", domain.MASKED_TOKEN)


# -- the texts ---------------------------------------------------------------------------------
def test_the_dispatch_text_counts_the_linked_complaints():
    facts = dict(type="water_supply", urgency="urgent", district="사우동")
    alone = domain.compose_sms(domain.SmsFacts(**facts), LINK)
    three = domain.compose_sms(domain.SmsFacts(**facts, linked=2), LINK)
    assert "동일 민원" not in alone.text
    assert three.text == alone.text.replace(" / 확인:", " / 동일 민원 2건 추가 / 확인:")
    assert three.size_bytes == alone.size_bytes + domain.euc_kr_bytes(" / 동일 민원 2건 추가")
    assert three.kind == domain.kind_for(three.size_bytes)
    # past 2,000 bytes the place is cut, never the count nor the link
    huge = domain.compose_sms(domain.SmsFacts(**facts, address="사우동 " + "가" * 1200, linked=5), LINK)
    assert huge.size_bytes <= domain.LMS_MAX_BYTES and huge.kind == "LMS"
    assert "동일 민원 5건 추가 / 확인: " in huge.text and huge.text.endswith(LINK)


def test_the_follow_up_is_a_short_notice():
    sms = domain.compose_follow_up("사우동 123-4", 1, LINK)
    assert sms.text == f"[당직] 동일 위치 민원 1건 추가 / 사우동 123-4 / 확인: {LINK}"
    assert (sms.kind, sms.size_bytes) == ("LMS", len(sms.text.encode("euc-kr"))) and sms.size_bytes == 102
    assert domain.compose_follow_up("", 1, "http://a/ack/x").text == "[당직] 동일 위치 민원 1건 추가 / 위치 미상 / 확인: http://a/ack/x"
    assert domain.compose_follow_up("", 1, "http://a/ack/x").kind == "SMS"
    huge = domain.compose_follow_up("통진읍 " + "가" * 1500, 1, LINK)
    assert huge.size_bytes <= domain.LMS_MAX_BYTES and huge.text.endswith("… / 확인: " + LINK)
    assert domain.follow_up_key("c1", "w1") == "c1:w1:linked"


# -- end to end through the consumer ---------------------------------------------------------------
def _link(dup, primary):
    return make_envelope(COMPLAINT_LINKED, ComplaintLinked(
        complaint_id=dup, primary_id=primary, linked_at=datetime.now(timezone.utc), distance_m=40.0),
        correlation_id=dup)


async def _texts(service):
    rows = await service.pool.fetch("SELECT complaint_id, worker_id, idempotency_key, text, message_kind"
                                    " FROM notifications ORDER BY created_at")
    return rows


async def _handled(service, n):
    return service.stats.processed + service.stats.duplicates >= n


async def test_linked_before_the_dispatch_is_counted_in_its_text_and_not_told_again(service):
    primary, dup1, dup2 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await service.publish(service.dispatch_event(primary, linked_complaint_ids=[dup1, dup2]))
    await service.wait_sent(1)
    # the link events arrive after the dispatch was handled: they were counted, so no follow-up
    await service.publish_to(COMPLAINT_LINKED.subject, _link(dup1, primary))
    await service.publish_to(COMPLAINT_LINKED.subject, _link(dup2, primary))
    await service.eventually(lambda: _handled(service, 3), what="three deliveries")
    [row] = await _texts(service)
    assert row["complaint_id"] == primary
    assert " / 동일 민원 2건 추가 / " in row["text"]
    assert await service.count("sms_messages") == 1
    assert "동일 민원 2건 추가" in await service.pool.fetchval("SELECT text FROM sms_messages")


async def test_a_link_heard_before_an_unlisting_dispatch_is_counted_too(service):
    primary, dup = uuid.uuid4(), uuid.uuid4()
    await service.publish_to(COMPLAINT_LINKED.subject, _link(dup, primary))
    await service.eventually(lambda: _handled(service, 1), what="link recorded")
    await service.publish(service.dispatch_event(primary))  # linked after the request was made
    await service.wait_sent(1)
    [row] = await _texts(service)
    assert " / 동일 민원 1건 추가 / " in row["text"]


async def test_linked_after_the_dispatch_tells_the_worker_once(service):
    primary, dup = uuid.uuid4(), uuid.uuid4()
    await service.publish(service.dispatch_event(primary))
    await service.wait_sent(1)
    first = (await _texts(service))[0]
    assert "동일" not in first["text"]

    link = _link(dup, primary)
    await service.publish_to(COMPLAINT_LINKED.subject, link)
    await service.publish_to(COMPLAINT_LINKED.subject, link, msg_id="redelivered")  # same event again
    await service.wait_sent(2)
    await service.publish(service.dispatch_event(dup))  # a dispatch for the duplicate: never a text
    await service.eventually(lambda: _handled(service, 4), what="four deliveries")
    rows = await _texts(service)
    assert len(rows) == 2 and await service.count("sms_messages") == 2
    notice = rows[1]
    assert notice["complaint_id"] == dup and notice["worker_id"] == first["worker_id"]
    assert notice["idempotency_key"] == f"{dup}:{first['worker_id']}:linked"
    assert notice["text"].startswith("[당직] 동일 위치 민원 1건 추가 / 사우동 123-4 / 확인: ")
    sent = await service.pool.fetchval("SELECT text FROM sms_messages ORDER BY id DESC LIMIT 1")
    assert sent.startswith("[당직] 동일 위치 민원 1건 추가") and "/ack/****" not in sent  # a live link
    # the notice has no escalation chain of its own; the primary's chain is untouched
    chains = await service.pool.fetch("SELECT complaint_id, state FROM escalations")
    assert [(c["complaint_id"], c["state"]) for c in chains] == [(primary, "waiting")]


async def test_a_link_to_a_complaint_never_texted_waits_for_its_dispatch(service):
    primary, dup = uuid.uuid4(), uuid.uuid4()
    await service.publish_to(COMPLAINT_LINKED.subject, _link(dup, primary))
    await service.eventually(lambda: _handled(service, 1), what="link recorded")
    assert await service.count("notifications") == 0
    assert await service.pool.fetchval("SELECT announced_at FROM linked_complaints") is None
