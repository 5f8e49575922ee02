"""The duty officer's desk in a real browser: sign in, file by keyboard alone, watch the board update
live, the map, the logged reveal, accessibility (axe-core) and a phone-width screen."""

import json
import re

import asyncpg

from .conftest import AXE, PASSWORD, sign_in  # noqa: F401

SERIOUS = ("serious", "critical")


def _watch(page, problems: list[str]) -> None:
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            and "favicon" not in m.text else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))


async def test_sign_in_file_by_keyboard_and_see_it_live_on_the_board(browser, live_desk, artifacts):
    base, _app, db_url = live_desk
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    problems: list[str] = []
    try:
        board = await context.new_page()
        _watch(board, problems)
        await sign_in(board, base, "officer", "/desk/board")
        cookie = next(c for c in await context.cookies() if c["name"] == "sunmoon_desk")
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
        await board.wait_for_selector("#live:has-text('실시간 연결됨')")
        navigations: list[str] = []
        board.on("framenavigated", lambda f: navigations.append(f.url))

        form = await context.new_page()
        _watch(form, problems)
        await form.goto(base + "/desk/")
        k = form.keyboard
        assert await form.evaluate("document.activeElement.id") == "phone"      # autofocus
        await k.type("01098765432")
        assert await form.input_value("#phone") == "010-9876-5432"              # formatted as typed
        await k.press("Tab"); await k.type("홍길동")
        await k.press("Tab"); await k.type("고촌읍")
        await k.press("Tab"); await k.type("신곡리 123-4")
        await k.press("Tab")                                                   # channel: phone (default)
        await k.press("Tab"); await k.type("신곡리 도로에서 수도관이 터져서 물이 넘치고 있어요")
        await form.wait_for_selector("#suggest-type:has-text('상수도 누수·단수')")
        assert await form.text_content("#suggest-urgency") == "긴급"
        assert await form.locator("#manual-steps li").count() == 3
        await form.screenshot(path=str(artifacts / "1-intake-suggestion.png"), full_page=True)
        await k.press("Enter")                                                 # Enter in the text files it
        await form.wait_for_selector("#form-status:has-text('접수되었습니다')")
        assert await form.evaluate("document.activeElement.id") == "phone"      # ready for the next call
        first_id = (await form.get_attribute("#form-status a", "href")).rsplit("/", 1)[1]

        # the second complaint: the officer changes the suggested type with the keyboard, one choice
        await k.type("01055556666")
        await k.press("Tab"); await k.press("Tab"); await k.type("사우동")
        await k.press("Tab"); await k.press("Tab")
        await k.press("Tab"); await k.type("사거리 가로등이 꺼져 있고 맨홀 뚜껑이 흔들려요")
        await form.wait_for_selector("#suggest-type:has-text('가로등·보안등')")
        # Tab past the 접수 button (and the last complaint's link) to the suggested type (a radio group)
        for _ in range(3):
            await k.press("Tab")
            if await form.evaluate("document.activeElement.name") == "type-choice":
                break
        assert await form.evaluate("document.activeElement.name") == "type-choice"
        await k.press("ArrowUp")                                               # -> the last candidate
        await form.wait_for_selector("#manual-title:has-text('도로·보도 파손')")
        for _ in range(3):
            await k.press("Shift+Tab")
            if await form.evaluate("document.activeElement.id") == "submit":
                break
        assert await form.evaluate("document.activeElement.id") == "submit"
        await k.press("Enter")
        await form.wait_for_selector("#form-status:has-text('담당자 지정')")
        second_id = (await form.get_attribute("#form-status a", "href")).rsplit("/", 1)[1]

        # the board shows both without reloading, newest first, the second as the officer typed it
        await board.wait_for_selector(f"tr[data-id='{second_id}'] td:has-text('도로·보도 파손')", timeout=10000)
        await board.wait_for_selector(f"tr[data-id='{first_id}']")
        ids = await board.eval_on_selector_all("#board tbody tr", "rows => rows.map(r => r.dataset.id)")
        assert ids[:2] == [second_id, first_id] and navigations == []
        await board.screenshot(path=str(artifacts / "2-board.png"), full_page=True)

        # filters
        await board.select_option("#f-type", "road_damage")
        assert await board.locator("#board tbody tr").count() == 1
        await board.select_option("#f-type", "")

        # stored as filed: phone encrypted, place from the gazetteer, the type the officer chose
        conn = await asyncpg.connect(db_url)
        try:
            row = await conn.fetchrow("SELECT * FROM complaints WHERE id = $1::uuid", second_id)
        finally:
            await conn.close()
        assert row["address"] == "경기도 김포시 사우동" and row["district"] == "사우동"
        assert row["type"] == "road_damage" and row["corrected_at"] is not None and b"5555" not in row["complainant_phone_enc"]

        # an overdue complaint turns red at once
        conn = await asyncpg.connect(db_url)
        try:
            await conn.execute("UPDATE complaints SET received_at = now() - interval '3 hours', updated_at = now()"
                               " WHERE id = $1::uuid", first_id)
        finally:
            await conn.close()
        await board.wait_for_selector(f"tr.overdue[data-id='{first_id}']", timeout=10000)
        await board.check("#f-overdue")
        assert await board.locator("#board tbody tr").count() == 1
        await board.uncheck("#f-overdue")

        # the map: markers coloured by urgency, and with no tiles configured, the 읍·면·동 labels
        m = await context.new_page()
        _watch(m, problems)
        await m.goto(base + "/desk/map")
        await m.wait_for_selector(".complaint-marker")
        assert await m.locator(".complaint-marker").count() >= 2
        assert await m.locator(".leaflet-tooltip.place-label").count() == 14
        assert await m.locator(".leaflet-tile").count() == 0
        await m.screenshot(path=str(artifacts / "3-map.png"), full_page=True)

        # detail: masked, then revealed with a reason, which is logged
        await board.click(f"tr[data-id='{second_id}'] a")
        await board.wait_for_url(f"**/desk/complaints/{second_id}")
        assert await board.text_content("#pii-phone") == "010-****-6666"
        await board.fill("#reveal-reason", "민원인 회신 전화")
        await board.press("#reveal-reason", "Enter")
        await board.wait_for_selector("#pii-phone:has-text('010-5555-6666')")
        await board.screenshot(path=str(artifacts / "4-detail.png"), full_page=True)
        conn = await asyncpg.connect(db_url)
        try:
            assert await conn.fetchval("SELECT user_name FROM pii_access_log WHERE complaint_id = $1::uuid",
                                       second_id) == "officer"
        finally:
            await conn.close()
        # sign out
        await board.click("text=로그아웃")
        await board.wait_for_url("**/desk/login?out=1")
        await board.goto(base + "/desk/board")
        await board.wait_for_url("**/desk/login**")
    finally:
        await context.close()
    csp = [p for p in problems if "Content Security Policy" in p or "page error" in p]
    assert not csp, csp


async def _axe(page) -> list[dict]:
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))")
    return [v for v in json.loads(result)["violations"] if v["impact"] in SERIOUS]


async def test_no_serious_accessibility_violations(browser, live_desk, artifacts):
    base, _app, _db = live_desk
    context = await browser.new_context(bypass_csp=True, locale="ko-KR")   # axe is injected as a script
    try:
        page = await context.new_page()
        await page.goto(base + "/desk/login")
        found = {"login": await _axe(page)}
        await sign_in(page, base, "chief", "/desk/")
        await page.fill("#text", "수도관이 터져서 물이 넘쳐요")
        await page.wait_for_selector("#suggest-type:has-text('상수도')")
        found["intake"] = await _axe(page)
        for name, ready in (("board", "#live:has-text('실시간')"), ("map", ".leaflet-tooltip.place-label"),
                            ("access-log", "table")):
            await page.goto(f"{base}/desk/{name}")
            await page.wait_for_selector(ready)
            found[name] = await _axe(page)
        await page.goto(base + "/desk/board")
        link = page.locator("#board tbody tr a").first
        if await link.count():
            await link.click()
            await page.wait_for_url(re.compile(r".*/desk/complaints/.*"))
            found["detail"] = await _axe(page)
    finally:
        await context.close()
    summary = {k: [(v["id"], v["impact"], v["help"], len(v["nodes"])) for v in vs] for k, vs in found.items() if vs}
    assert not summary, summary


async def test_phone_width(browser, live_desk, artifacts):
    base, _app, _db = live_desk
    context = await browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2,
                                        is_mobile=True, has_touch=True, locale="ko-KR")
    try:
        page = await context.new_page()
        await sign_in(page, base, "officer", "/desk/")
        for path, shot in (("/desk/", "5-phone-intake.png"), ("/desk/board", "6-phone-board.png")):
            await page.goto(base + path)
            await page.wait_for_selector("#submit" if path == "/desk/" else "#live:has-text('실시간')")
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} scrolls sideways on a phone: {width}px"
            await page.screenshot(path=str(artifacts / shot), full_page=True)
        await page.goto(base + "/desk/")
        box = await page.locator("#submit").bounding_box()
        assert box["width"] > 300   # the form takes the screen's width
    finally:
        await context.close()


async def test_phone_numbers_are_formatted_as_typed(browser, live_desk):
    base, _app, _db = live_desk
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(base + "/desk/login")   # desk.js is on every page
        cases = {"010": "010", "0101234": "010-123-4", "01012345678": "010-1234-5678",
                 "010-1234-56789": "010-1234-5678", "0212345678": "02-1234-5678", "021234567": "02-123-4567",
                 "0319802114": "031-980-2114", "15881234": "1588-1234", "abc": ""}
        got = await page.evaluate("cases => Object.fromEntries(Object.keys(cases).map(k => [k, Desk.formatPhone(k)]))",
                                  cases)
        assert got == cases
    finally:
        await context.close()
