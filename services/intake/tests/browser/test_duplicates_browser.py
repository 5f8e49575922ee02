"""Issue 6 in a real browser: while the officer types a second call at nearly the same place, the side panel
offers the open complaint nearby as a duplicate (with the on-call worker and the weather), and the officer
links it with the keyboard alone; the new complaint is filed linked to the first (one dispatch for both)."""

import uuid

import asyncpg
import httpx

from sunmoon.testing.service import auth_headers
from intake.web.desk_api import Peer

from .conftest import sign_in

SAUDONG = (37.61653888888889, 126.71913333333333)  # the 읍·면·동's point the form files
ON_CALL = {"team_name": "도로 당직", "kind_label": "평일 야간", "fallback": False,
           "texted_first": {"role": "primary", "id": "w-road-1", "name": "김*준"}, "then": []}
CONDITIONS = {"stale": False, "simulated": False, "warnings": [{"name": "대설주의보"}],
              "observation": {"observed_at": "2026-11-30T13:00:00Z", "temperature_c": -3.5, "precipitation_mm": 1.5,
                              "precipitation_type_label": "눈", "wind_speed_ms": 4.2}}


def _peers() -> dict[str, Peer]:
    async def notifier(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=ON_CALL)

    async def weather(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=CONDITIONS)

    return {"notifier": Peer("notifier", "http://notifier.test", 1.5, httpx.MockTransport(notifier)),
            "weather": Peer("weather", "http://weather.test", 1.5, httpx.MockTransport(weather))}


async def test_a_duplicate_is_offered_and_linked_by_keyboard(browser, live_desk, artifacts):
    base, app, db_url = live_desk
    app.state.desk_peers = _peers()
    async with httpx.AsyncClient(base_url=base, verify=False, headers=auth_headers()) as client:
        r = await client.post("/api/v1/complaints", json={
            "description": "사우동 사거리 맨홀 뚜껑이 열려 있어요", "channel": "phone",
            "location": {"address": "경기도 김포시 사우동 258", "lat": SAUDONG[0] + 0.00036, "lon": SAUDONG[1]}})
        assert r.status_code == 201, r.text
        primary = r.json()["id"]
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("UPDATE complaints SET type = 'road_damage', urgency = 'urgent', status = 'classified'"
                           " WHERE id = $1", uuid.UUID(primary))
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        await sign_in(page, base)
        k = page.keyboard
        await k.type("01044445555")
        await k.press("Tab"); await k.type("이영희")
        await k.press("Tab"); await k.type("사우동")
        await k.press("Tab"); await k.type("260")
        await k.press("Tab")
        await k.press("Tab"); await k.type("사우동 사거리 도로 맨홀 뚜껑이 없어졌어요")
        await page.wait_for_selector("#suggest-type:has-text('도로·보도 파손')")
        button = page.locator(f"#duplicates button.link-duplicate[data-id='{primary}']")
        await button.wait_for(timeout=10000)
        text = await page.text_content("#duplicates")
        assert "40m" in text and "도로·보도 파손" in text
        await page.wait_for_selector("#oncall:has-text('김*준')")
        assert "도로 당직" in await page.text_content("#oncall")
        assert "대설주의보" in await page.text_content("#weather")
        await page.screenshot(path=str(artifacts / "duplicate-offered.png"), full_page=True)
        for _ in range(40):  # Tab on until the button has the focus
            await k.press("Tab")
            if await page.evaluate("document.activeElement.classList.contains('link-duplicate')"):
                break
        assert await page.evaluate("document.activeElement.dataset.id") == primary
        await k.press("Enter")
        await page.wait_for_selector("#form-status:has-text('중복 민원으로 연결됨')")
        second = (await page.get_attribute("#form-status a", "href")).rsplit("/", 1)[1]
        row = await conn.fetchrow("SELECT duplicate_of, description FROM complaints WHERE id = $1", uuid.UUID(second))
        assert str(row["duplicate_of"]) == primary and "맨홀" in row["description"]
        await page.goto(f"{base}/desk/complaints/{primary}")
        await page.wait_for_selector(f"#linked-list a[href='/desk/complaints/{second}']")
        await page.screenshot(path=str(artifacts / "duplicate-linked.png"), full_page=True)
        assert not problems, problems
        await context.close()
    finally:
        await conn.close()
