"""The desk's complaint types come from the classifier (labels, active flag), cached, with the static
labels when the classifier is down; inactive types leave the picker but keep their names on old complaints."""

import json
import re
import time

import httpx
import pytest

from intake.web import types_cache

from .conftest import PASSWORD, fakes

BODY = {"description": "밤새 공사장 소음이 심해요", "channel": "phone",
        "location": {"address": "경기도 김포시 사우동 10", "lat": 37.6165, "lon": 126.7191}}


@pytest.fixture(autouse=True)
def _clean_fake():
    fakes.TYPE_CHANGES.clear()
    fakes.TYPE_CALLS.clear()
    yield
    fakes.TYPE_CHANGES.clear()


def _picker(html: str) -> dict[str, str]:
    select = re.search(r'<select id="other-type">(.*?)</select>', html, re.S).group(1)
    return dict(re.findall(r'<option value="([a-z_]+)">([^<]+)</option>', select))


def _labels(html: str) -> dict[str, str]:
    return json.loads(re.search(r'<script type="application/json" id="type-labels">(.*?)</script>', html, re.S)[1])


async def test_picker_and_board_follow_the_classifiers_types(desk):
    client, app = desk
    await fakes.sign_in(client, "officer", PASSWORD)
    headers = {"x-csrf-token": fakes.page_csrf((await client.get("/desk/")).text)}
    fakes.TYPE_CALLS.clear()
    # a noise complaint filed while the type was still active
    cid = (await client.post("/api/v1/complaints", json=BODY, headers=headers)).json()["id"]
    r = await client.post(f"/api/v1/complaints/{cid}/classification", json={"type": "noise", "urgency": "low"},
                          headers=headers)
    assert r.status_code == 200, r.text

    fakes.TYPE_CHANGES.update({"noise": {"label": "소음·진동", "active": False},
                               "road_damage": {"label": "도로 파손(포트홀)"}})
    app.state.desk.types.invalidate()  # what an administrator's edit through the desk does
    html = (await client.get("/desk/")).text
    picker = _picker(html)
    assert "noise" not in picker and len(picker) == 14
    assert picker["road_damage"] == "도로 파손(포트홀)"
    assert _labels(html)["noise"] == "소음·진동"  # labels of every type, for what the classifier suggests
    board = (await client.get("/desk/board")).text
    assert '<option value="noise">소음·진동 (사용 안 함)</option>' in board  # old complaints can be filtered
    item = next(i for i in (await client.get("/desk/api/board")).json()["items"] if i["id"] == cid)
    assert item["type"] == "noise" and item["type_label"] == "소음·진동"
    assert "소음·진동" in (await client.get(f"/desk/complaints/{cid}")).text
    assert [i["type_label"] for i in (await client.get("/desk/api/map")).json()["items"]] == ["소음·진동"]
    assert len(fakes.TYPE_CALLS) == 1  # one question for all of that: cached


async def test_static_labels_when_the_classifier_is_down(desk):
    client, app = desk
    await fakes.sign_in(client, "officer", PASSWORD)
    fakes.TYPE_CHANGES["noise"] = {"label": "소음·진동", "active": False}
    app.state.desk.types.invalidate()
    assert "noise" not in _picker((await client.get("/desk/")).text)  # known from the classifier

    def down(request):
        raise httpx.ConnectError("connection refused")
    app.state.desk.admin.classifier.transport = httpx.MockTransport(down)
    app.state.desk.types.invalidate()
    started = time.monotonic()
    html = (await client.get("/desk/"))
    assert html.status_code == 200 and time.monotonic() - started < 3
    picker = _picker(html.text)
    assert len(picker) == 15 and picker["noise"] == "소음"  # the shared static labels, every type offered

    async def slow(request):
        import asyncio
        await asyncio.sleep(5)
    app.state.desk.admin.classifier.transport = httpx.MockTransport(slow)
    app.state.desk.types.timeout = 0.2
    app.state.desk.types.invalidate()
    started = time.monotonic()
    assert len(_picker((await client.get("/desk/")).text)) == 15 and time.monotonic() - started < 2


async def test_a_refusal_or_a_bad_answer_falls_back_and_a_known_answer_is_kept(desk):
    _client, app = desk
    cache = app.state.desk.types
    fakes.TYPE_CHANGES["snow_ice"] = {"active": False}
    first = await cache.current()
    assert first.from_classifier and "snow_ice" not in first.picker() and first.label("snow_ice")
    app.state.desk.admin.classifier.transport = httpx.MockTransport(lambda r: httpx.Response(500, text="boom"))
    cache._cached = (0.0, first)  # expired: asks again, fails, keeps the last answer
    assert await cache.current() is first
    assert cache.now() is first
    app.state.desk.admin.classifier.transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"x": 1}))
    cache.invalidate()
    assert (await cache.current()) is types_cache.STATIC and cache.now() is types_cache.STATIC


def test_parse_keeps_other_active_and_fills_missing_types():
    catalog = types_cache.parse({"types": [{"code": "other", "label": "기타", "active": False},
                                           {"code": "noise", "label": " 소음 ", "active": False},
                                           {"code": "karaoke", "label": "노래방"}]})
    assert "other" in catalog.active and "noise" not in catalog.active and catalog.labels["noise"] == "소음"
    assert len(catalog.labels) == 15 and "karaoke" not in catalog.labels
    assert catalog.label(None) == "" and catalog.label("streetlight") == "가로등·보안등"
    with pytest.raises(ValueError):
        types_cache.parse({"types": []})
