"""The map and the place field in a real browser, with no network beyond the desk itself: dense complaints
clustered, the weather-warning layer and banner, the shipped approximate boundaries drawn with no tiles,
a click on the map filing a complaint at that point, and the keyboard autocomplete of roads."""

from __future__ import annotations

import json
import random
from urllib.parse import urlsplit

import asyncpg
import httpx

from sunmoon.testing.service import auth_headers
from intake.web.warnings import WeatherWarnings
from sunmoon.testing.browser import LocalOnly, axe_summary, serious_axe_violations, sideways_scroll

from .conftest import sign_in

HEAVY_RAIN = {"city": "김포시", "area": "김포", "checked_at": "2026-07-10T12:00:00Z", "simulated": True,
              "items": [{"area": "김포", "kind": "호우", "level": "주의보", "name": "호우주의보",
                         "announced_at": "2026-07-10T11:00:00Z", "effective_at": None,
                         "since": "2026-07-10T11:00:00Z", "station": 109, "source": "fake", "simulated": True}]}
WEATHER = {"known": True, "temperature_c": 22.0, "precipitation_mm": 35.0, "precipitation_type": 1,
           "wind_speed_ms": 5.0, "warnings": ["호우주의보"], "hazards": ["rain"]}


def _weather_service(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=HEAVY_RAIN) if request.url.path == "/api/v1/warnings" else httpx.Response(404)


async def _file(base: str, db_url: str, n_dense: int = 30) -> str:
    """30 complaints around 사우동 (some urgent) and one in 하성면 with weather attached; its id."""
    rnd = random.Random(7)
    async with httpx.AsyncClient(base_url=base, headers=auth_headers()) as client:
        ids = []
        for i in range(n_dense):
            body = {"description": f"사우동 민원 {i}", "channel": "phone",
                    "location": {"address": "경기도 김포시 사우동 1", "lat": 37.6165 + rnd.uniform(-.004, .004),
                                 "lon": 126.7191 + rnd.uniform(-.004, .004)}}
            ids.append((await client.post("/api/v1/complaints", json=body)).json()["id"])
        far = {"description": "하성면 도로 침수", "channel": "phone",
               "location": {"address": "경기도 김포시 하성면 1", "lat": 37.7174, "lon": 126.6333}}
        far_id = (await client.post("/api/v1/complaints", json=far)).json()["id"]
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("UPDATE complaints SET urgency = 'urgent', type = 'water_supply', status = 'classified'"
                           " WHERE id = ANY($1::uuid[])", ids[:5] + [far_id])
        await conn.execute("UPDATE complaints SET weather = $1::jsonb, weather_raised = true WHERE id = $2::uuid",
                           json.dumps(WEATHER), far_id)
    finally:
        await conn.close()
    return far_id


async def test_map_offline_clusters_warnings_boundaries_and_filing_from_a_click(browser, live_desk, artifacts):
    base, app, db_url = live_desk
    app.state.desk.warnings = WeatherWarnings("http://weather.test", 1.0, transport=httpx.MockTransport(_weather_service))
    far_id = await _file(base, db_url)
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    guard = await LocalOnly([urlsplit(base).netloc]).attach(context)
    errors: list[str] = []
    try:
        page = await context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        await sign_in(page, base, "officer", "/desk/map")
        # dense complaints are clustered; the cluster shows the worst urgency inside it
        await page.wait_for_selector(".complaint-cluster")
        counts = [int(t) for t in await page.locator(".complaint-cluster span").all_text_contents()]
        assert sum(counts) >= 25 and await page.locator(".complaint-cluster.u-urgent").count() >= 1
        # the warnings in force: banner and a toggleable layer over the city
        await page.wait_for_selector("#warning-banner:has-text('호우주의보 발효 중')")
        assert await page.locator("path.warning-area").count() == 1
        # no tiles: the shipped (approximate) boundaries and the 14 names
        assert await page.locator(".leaflet-tile").count() == 0
        assert await page.locator(".leaflet-areas-pane path").count() >= 15
        assert await page.locator(".leaflet-tooltip.place-label").count() == 14
        await page.screenshot(path=str(artifacts / "7-map-clusters-warnings.png"), full_page=True)
        # the far complaint's popup has the weather attached to it
        await page.locator(f"path.c-{far_id}").click(force=True)
        await page.wait_for_selector(".leaflet-popup-content:has-text('날씨: 기온 22.0℃ · 비 35.0mm')")
        assert await page.locator(".leaflet-popup-content:has-text('날씨로 긴급도 상향')").count() == 1
        await page.keyboard.press("Escape")
        await page.get_by_label("기상특보").uncheck()
        assert await page.locator("path.warning-area").count() == 0
        await page.get_by_label("기상특보").check()
        # a click on the map (near 구래동's point) -> "여기로 접수" -> the form, prefilled with that point
        label = await page.locator(".leaflet-tooltip.place-label", has_text="구래동").bounding_box()
        await page.mouse.click(label["x"] - 6, label["y"] + label["height"] / 2)
        link = page.locator("a.file-here")
        await link.wait_for()
        chosen = (await page.locator(".pick strong").text_content()).strip()
        await link.click()
        await page.wait_for_url("**/desk/?*")
        assert chosen == "구래동"
        assert (await page.input_value("#place")).startswith(f"{chosen} (지도에서 고른 지점)")
        await page.fill("#text", "지도에서 고른 곳에 맨홀 뚜껑이 없어요")
        await page.click("#submit")
        await page.wait_for_selector("#form-status:has-text('접수되었습니다')")
        cid = (await page.get_attribute("#form-status a", "href")).rsplit("/", 1)[1]
        conn = await asyncpg.connect(db_url)
        try:
            row = await conn.fetchrow("SELECT district, address, lat, lon FROM complaints WHERE id = $1::uuid", cid)
        finally:
            await conn.close()
        assert row["district"] == chosen and row["address"].startswith(f"경기도 김포시 {chosen}")
        assert 37.55 < row["lat"] < 37.80 and 126.50 < row["lon"] < 126.85
        # keyboard autocomplete of a road: type, ArrowDown, Enter; it files the road with its 읍·면·동
        await page.focus("#place")
        await page.keyboard.type("김포한강4")
        await page.wait_for_selector("#place-options [role=option]")
        assert await page.get_attribute("#place", "aria-expanded") == "true"
        await page.keyboard.press("ArrowDown")
        assert await page.get_attribute("#place", "aria-activedescendant") == "place-opt-0"
        await page.keyboard.press("Enter")
        value = await page.input_value("#place")
        assert value.startswith("김포한강4로 (") and await page.get_attribute("#place", "aria-expanded") == "false"
        await page.screenshot(path=str(artifacts / "8-intake-place.png"), full_page=True)
        await page.keyboard.press("Tab")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Tab")
        await page.keyboard.type("한강로 가로등이 꺼졌어요")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("#form-status:has-text('접수되었습니다')")
        cid2 = (await page.get_attribute("#form-status a", "href")).rsplit("/", 1)[1]
        conn = await asyncpg.connect(db_url)
        try:
            row = await conn.fetchrow("SELECT district, address FROM complaints WHERE id = $1::uuid", cid2)
        finally:
            await conn.close()
        assert "김포한강4로" in row["address"] and row["district"] in value
    finally:
        await context.close()
    assert not guard.outside, f"requests left the machine: {guard.outside}"
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in guard.requests if u.startswith("http"))
    assert not errors, errors
    assert not guard.failed, guard.failed


async def test_map_and_place_field_accessible_and_fit_a_phone(browser, live_desk, artifacts):
    base, app, _db = live_desk
    app.state.desk.warnings = WeatherWarnings("http://weather.test", 1.0, transport=httpx.MockTransport(_weather_service))
    context = await browser.new_context(bypass_csp=True, locale="ko-KR")
    found = {}
    try:
        page = await context.new_page()
        await sign_in(page, base, "officer", "/desk/map")
        await page.wait_for_selector("#warning-banner:not([hidden])")
        await page.wait_for_selector(".leaflet-tooltip.place-label")
        found["map"] = await serious_axe_violations(page)
        await page.goto(base + "/desk/")
        await page.focus("#place")
        await page.keyboard.type("사우")
        await page.wait_for_selector("#place-options [role=option]")
        await page.keyboard.press("ArrowDown")
        found["intake-place-open"] = await serious_axe_violations(page)
    finally:
        await context.close()
    assert not axe_summary(found), axe_summary(found)
    phone = await browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2,
                                      is_mobile=True, has_touch=True, locale="ko-KR")
    try:
        page = await phone.new_page()
        await sign_in(page, base, "officer", "/desk/map")
        await page.wait_for_selector(".leaflet-tooltip.place-label")
        await page.wait_for_selector("#warning-banner:not([hidden])")
        assert await sideways_scroll(page) == 0
        await page.screenshot(path=str(artifacts / "9-phone-map.png"), full_page=True)
    finally:
        await phone.close()
