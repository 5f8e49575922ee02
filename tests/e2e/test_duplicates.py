"""Issue 6 end to end: a second complaint at nearly the same place is offered as a duplicate and linked;
the worker is texted once for both, and both follow the one dispatch to "acknowledged".

All five services run as separate processes on real NATS JetStream and PostgreSQL (the ``stack`` fixture).
"""

from __future__ import annotations

import re
import time

import pytest

from .conftest import Stack, eventually

pytestmark = pytest.mark.timeout(240)
ACK_LINK = re.compile(r"https?://[^\s]+/ack/([A-Za-z0-9_\-]+)")
FIRST = {
    "description": "사우동 사거리 맨홀 뚜껑이 열려 있어서 차가 빠질 것 같아요. 위험해요",
    "location": {"address": "경기도 김포시 사우동 258", "lat": 37.6202, "lon": 126.7151},
    "channel": "phone",
}
# about 50 m north of the first, a different caller describing the same hole
SECOND = {
    "description": "사우사거리 근처 도로 맨홀 뚜껑이 없어졌어요. 위험합니다",
    "location": {"address": "경기도 김포시 사우동 260", "lat": 37.62065, "lon": 126.7151},
    "channel": "phone",
}


async def _get(stack: Stack, cid: str) -> dict:
    r = await stack.get("intake", f"/api/v1/complaints/{cid}")
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_duplicate_is_offered_linked_and_texted_once(stack: Stack):
    started = time.monotonic()
    r = await stack.post("intake", "/api/v1/complaints", json=FIRST)
    assert r.status_code == 201, r.text
    first = r.json()["id"]

    async def dispatched_once():
        c = await _get(stack, first)
        return c["status"] == "dispatched" and await stack.count("notifier", "sms_messages") == 1 and c
    c1 = await eventually(dispatched_once, timeout=15.0, what="first complaint classified, dispatched, texted")
    type_ = c1["classification"]["type"]

    # while the officer types the second call: the first is offered as a possible duplicate, ~50 m away
    offered = await stack.get("intake", "/api/v1/complaints/duplicates", params={
        "lat": SECOND["location"]["lat"], "lon": SECOND["location"]["lon"], "type": type_})
    assert offered.status_code == 200, offered.text
    [dup] = offered.json()["items"]
    assert dup["id"] == first and 45 <= dup["distance_m"] <= 60, dup

    r = await stack.post("intake", "/api/v1/complaints", json={**SECOND, "duplicate_of": first})
    assert r.status_code == 201, r.text
    second = r.json()["id"]

    async def both_dispatched():
        a, b = await _get(stack, first), await _get(stack, second)
        return a["status"] == b["status"] == "dispatched" and b["classification"] and (a, b)
    a, b = await eventually(both_dispatched, timeout=15.0, what="the linked complaint follows: dispatched")
    assert b["duplicate_of"] == first and a["linked"] == [second]
    assert b["dispatched_at"] is not None

    # the linked complaint was classified (and seen by the notifier and reporting) but texted nobody
    await eventually(lambda: _linked_everywhere(stack, second), timeout=10.0, what="link reached notifier, reporting")
    assert await stack.count("notifier", "sms_messages") == 1
    assert await stack.count("notifier", "notifications", "complaint_id::text = $1", second) == 0

    # the worker opens the link in the one SMS and taps 확인: both complaints are acknowledged
    [sms] = await stack.query("notifier", "SELECT text FROM sms_messages")
    token = ACK_LINK.search(sms["text"]).group(1)
    page = await stack.get("notifier", f"/ack/{token}")
    assert page.status_code == 200
    tapped = await stack.post("notifier", f"/ack/{token}", data={"response": "accepted"})
    assert tapped.status_code == 200, tapped.text

    async def both_acknowledged():
        return all([(await _get(stack, cid))["status"] == "acknowledged" for cid in (first, second)])
    await eventually(both_acknowledged, timeout=10.0, what="both acknowledged")
    assert await stack.count("notifier", "sms_messages") == 1
    # two calls, counted as two complaints: once reporting's own consumer of "received" has had the second
    # (it may come after the link and the acknowledgement when the machine is busy)
    async def both_in_reporting():
        return (await stack.get("reporting", "/api/v1/summary")).json()["total"] == 2
    await eventually(both_in_reporting, timeout=10.0, what="both calls counted in reporting")
    print(f"two calls, one dispatch, one SMS, both acknowledged in {time.monotonic() - started:.1f} s")


async def _linked_everywhere(stack: Stack, cid: str) -> bool:
    return (await stack.count("notifier", "linked_complaints", "complaint_id::text = $1", cid) == 1
            and await stack.count("reporting", "complaints", "complaint_id::text = $1 AND duplicate_of IS NOT NULL",
                                  cid) == 1)
