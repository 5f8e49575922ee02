"""The desk in Debian's Chromium against the five real services (separate processes, real PostgreSQL and
NATS JetStream): an officer files a complaint by keyboard alone, the REAL classifier suggests its type,
the board shows it dispatched, and when the field worker opens the SMS link on a phone and taps 확인 the
board shows it acknowledged, all without reloading. Then every page with no network at all (every request
must stay on this machine), axe-core and a 375-px phone screen for the pages the desk's own browser tests
do not cover (services/intake/tests/browser covers the form, board, map, detail and access log on a desktop).

Screenshots: $SUNMOON_TEST_ARTIFACTS/desk/ (else a pytest temporary folder, printed with -s).
"""

from __future__ import annotations

import asyncio
import re
import time
from urllib.parse import urlsplit

import pytest

from sunmoon.testing.browser import (LocalOnly, artifacts_dir, axe_summary, launch, serious_axe_violations,
                                    sideways_scroll)

from .browser_support import create_desk_user, sign_in, tab_to, watch
from .conftest import Stack, eventually, start_stack

pytestmark = pytest.mark.timeout(300)
PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "ko-KR"}
ACK_LINK = re.compile(r"https?://[^\s]+/ack/[A-Za-z0-9_\-]+")
DESCRIPTION = "신곡리 도로에서 수도관이 터져서 물이 넘치고 있어요"


@pytest.fixture(scope="module")
async def desk_stack(servers, tmp_path_factory):
    """One stack for the module, with the demo roster and the desk users officer and root (admin)."""
    tmp = tmp_path_factory.mktemp("desk-stack")
    stack = await start_stack(servers, tmp)
    try:
        env = stack.services["intake"].env
        await asyncio.gather(create_desk_user(env, tmp / "users", "officer", "duty_officer"),
                             create_desk_user(env, tmp / "users", "root", "admin"))
        yield stack
    finally:
        stack.stop()
        await stack._http.aclose()


@pytest.fixture(scope="module")
async def browser():
    async with launch() as b:
        yield b


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return artifacts_dir(tmp_path_factory, "desk")


async def _sms_link(stack: Stack, complaint_id: str) -> str:
    async def link():
        r = await stack.get("notifier", "/api/v1/sms")
        for sms in r.json()["items"]:
            if sms["idempotency_key"].startswith(complaint_id):
                m = ACK_LINK.search(sms["text"])
                return m.group(0) if m else None
        return None

    return await eventually(link, timeout=20, what=f"an SMS with a link for {complaint_id}")


async def _city_shown(page, problems: list[str]) -> None:
    """The map shows Gimpo with no tiles: the names of its 14 읍·면·동."""
    try:
        await page.wait_for_selector(".leaflet-tooltip.place-label", timeout=15000)
    except Exception as exc:
        raise AssertionError(f"the map shows no 읍·면·동 names; page problems: {problems}") from exc


async def test_file_by_keyboard_dispatched_then_acknowledged_live(desk_stack, browser, shots):
    base = desk_stack.url("intake")
    started = time.monotonic()
    desk = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    phone = await browser.new_context(**PHONE)   # the field worker's phone: another browser, another user
    problems: list[str] = []
    try:
        board = await desk.new_page()
        watch(board, problems)
        await sign_in(board, base, "officer", "/desk/board")
        await board.wait_for_selector("#live:has-text('실시간 연결됨')")
        await board.evaluate("window.__noReload = 1")   # gone if the board ever reloads

        # the intake form in a second tab, keyboard only: Tab, typing, Space and Enter; no mouse
        form = await desk.new_page()
        watch(form, problems)
        await form.goto(base + "/desk/")
        k = form.keyboard
        assert await form.evaluate("document.activeElement.id") == "phone"
        await k.type("01098765432")
        await k.press("Tab"); await k.type("홍길동")
        await k.press("Tab"); await k.type("고촌읍")
        await k.press("Tab"); await k.type("신곡리 123-4")
        await k.press("Tab")                                             # 접수 경로: 전화 (the default)
        await k.press("Tab"); await k.type(DESCRIPTION)
        # the suggestion comes from the real classifier process, through intake
        await form.wait_for_selector("#suggest-type:has-text('상수도 누수·단수')", timeout=15000)
        assert await form.text_content("#suggest-urgency") == "긴급"
        await form.wait_for_selector("#manual-steps li")
        # accept the suggestion: Tab to the type choice (its suggested radio is checked) and press Space
        await tab_to(form, "a.name === 'type-choice'")
        assert await form.evaluate("document.activeElement.checked && document.activeElement.value") == "water_supply"
        await k.press("Space")
        assert await form.evaluate("document.querySelector('input[name=type-choice]:checked').value") == "water_supply"
        await form.screenshot(path=str(shots / "fullstack-1-form.png"), full_page=True)
        await tab_to(form, "a.id === 'submit'", back=True)
        await k.press("Enter")
        await form.wait_for_selector("#form-status:has-text('접수되었습니다')")
        complaint_id = (await form.get_attribute("#form-status a", "href")).rsplit("/", 1)[1]
        filed = time.monotonic()

        # classified and texted by the real services; the open board turns 출동 by itself
        row = f"#board tr[data-id='{complaint_id}']"
        await board.wait_for_selector(f"{row} .status.s-dispatched:has-text('출동')", timeout=20000)
        dispatched = time.monotonic()
        assert await board.text_content(f"{row} td:nth-child(4)") == "상수도 누수·단수"
        assert await board.evaluate("window.__noReload") == 1
        await board.screenshot(path=str(shots / "fullstack-2-board-dispatched.png"), full_page=True)

        # the field worker opens the link in the SMS on a phone and taps 확인
        link = await _sms_link(desk_stack, complaint_id)
        assert urlsplit(link).netloc == urlsplit(desk_stack.url("notifier")).netloc
        worker = await phone.new_page()
        await worker.goto(link)
        await worker.wait_for_selector("button[value=accepted]")
        assert await worker.locator("dd", has_text="고촌읍").count() >= 1
        await worker.screenshot(path=str(shots / "fullstack-3-worker-ack.png"), full_page=True)
        await worker.tap("button[value=accepted]")
        await worker.wait_for_selector("h1:has-text('확인되었습니다')")
        await worker.screenshot(path=str(shots / "fullstack-4-worker-acknowledged.png"), full_page=True)

        # ...and the board, still the same page, shows 확인
        await board.wait_for_selector(f"{row} .status.s-acknowledged:has-text('확인')", timeout=20000)
        acknowledged = time.monotonic()
        assert await board.evaluate("window.__noReload") == 1
        await board.screenshot(path=str(shots / "fullstack-5-board-acknowledged.png"), full_page=True)

        # the map and the complaint's page show the same story
        await form.goto(base + "/desk/map")
        await _city_shown(form, problems)
        await form.screenshot(path=str(shots / "fullstack-6-map.png"), full_page=True)
        await form.goto(f"{base}/desk/complaints/{complaint_id}")
        await form.wait_for_selector("text=현장 확인")
        assert await form.locator("text=상수도 누수·단수").count() >= 1
        await form.screenshot(path=str(shots / "fullstack-7-detail.png"), full_page=True)
    finally:
        await phone.close()
        await desk.close()
    print(f"\nfiled {filed - started:.1f} s after start; dispatched on the board {dispatched - filed:.2f} s "
          f"after filing; acknowledged on the board {acknowledged - dispatched:.2f} s after dispatch")
    assert not problems, problems


def _page_key(path: str) -> str:
    """One page per kind: /desk/complaints/<id> and /desk/admin/manuals/<type> are each one kind."""
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "*", path)
    parts = path.rstrip("/").split("/")
    return "/".join(parts[:4] + ["*"] if len(parts) > 4 else parts) or "/"


async def _each_desk_page(page, base: str, start: list[str], check) -> list[str]:
    """Visit every page of the desk reachable by links (the menu, then three levels), one per kind, and
    ``await check(path)`` on each."""
    seen: dict[str, str] = {}
    queue = list(start)
    for _depth in range(4):
        nxt: list[str] = []
        for path in queue:
            key = _page_key(path)
            if key in seen:
                continue
            seen[key] = path
            await page.goto(base + path)
            await check(path)
            hrefs = await page.eval_on_selector_all(
                "a[href^='/desk/']", "as => as.map(a => a.getAttribute('href').split('#')[0].split('?')[0])")
            nxt += [h for h in hrefs if not re.search(r"/(static|api|logout|login|events)\b", h)]
        queue = nxt
    return list(seen.values())


async def _ready(page, problems: list[str]) -> None:
    await page.wait_for_load_state("load")
    if await page.locator("#map").count():
        await _city_shown(page, problems)
    if await page.locator("#live").count():
        await page.wait_for_selector("#live:has-text('실시간')")
    await page.wait_for_timeout(300)   # the scripts' first fetches


async def test_every_page_works_offline_accessible_and_at_phone_width(desk_stack, browser, shots):
    """No request leaves the machine (anything else is aborted as by a missing network), nothing fails,
    the map shows the city from what intake serves; axe-core and 375 px for the pages not covered by
    services/intake/tests/browser (which checks the form, board, map, detail and access log on a desktop)."""
    base, notifier, reporting = (desk_stack.url(n) for n in ("intake", "notifier", "reporting"))
    r = await desk_stack.post("intake", "/api/v1/complaints", json={
        "description": "사우동 사거리 가로등이 꺼져 있어요", "channel": "phone",
        "location": {"address": "경기도 김포시 사우동", "lat": 37.6196, "lon": 126.7152},
        "complainant": {"name": "김민지", "phone": "010-3333-4444"}})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    link = await _sms_link(desk_stack, cid)

    axe_done = {"/desk", "/desk/board", "/desk/map", "/desk/access-log", "/desk/complaints/*", "/desk/login"}
    width_done = {"/desk", "/desk/board"}
    found: dict[str, list] = {}
    wide: dict[str, int] = {}
    errors: list[str] = []
    context = await browser.new_context(bypass_csp=True, **PHONE)   # bypass_csp: axe is injected as a script
    guard = await LocalOnly([urlsplit(u).netloc for u in (base, notifier, reporting)]).attach(context)
    try:
        page = await context.new_page()
        watch(page, errors)
        await page.goto(base + "/desk/login")
        wide["/desk/login"] = await sideways_scroll(page)
        await sign_in(page, base, "root", "/desk/")

        async def check(path: str) -> None:
            await _ready(page, errors)
            key = _page_key(path)
            if key not in width_done:
                wide[key] = await sideways_scroll(page)
            if key not in axe_done:
                found[key] = await serious_axe_violations(page)
            if key == "/desk/map":
                labels = page.locator(".leaflet-tooltip.place-label")
                assert await labels.count() == 14
                box = await page.locator("#map").bounding_box()
                for i in range(14):
                    label = labels.nth(i)
                    b = await label.bounding_box()
                    assert await label.is_visible() and b["x"] >= box["x"] - 5, await label.text_content()
                assert await page.locator(".leaflet-tile").count() == 0
                await page.screenshot(path=str(shots / "fullstack-8-phone-map-offline.png"), full_page=True)
            if key == "/desk/admin":
                await page.screenshot(path=str(shots / "fullstack-9-phone-admin.png"), full_page=True)

        pages = await _each_desk_page(page, base, ["/desk/", f"/desk/complaints/{cid}"], check)
        assert {"/desk/", "/desk/board", "/desk/map", "/desk/access-log"} <= set(pages), pages

        # the field worker's page (and the page after a tap) and the analytics dashboard
        await page.goto(link)
        await page.wait_for_selector("button[value=accepted]")
        wide["ack"], found["ack"] = await sideways_scroll(page), await serious_axe_violations(page)
        await page.tap("button[value=on_site]")
        await page.wait_for_selector("h1:has-text('도착')")
        wide["ack-done"], found["ack-done"] = await sideways_scroll(page), await serious_axe_violations(page)
        await page.goto(base + "/desk/analytics")  # reporting's dashboard, through the desk (needs no token)
        await page.wait_for_load_state("load")
        assert await page.locator("h1").count() == 1
        assert await page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
        wide["dashboard"], found["dashboard"] = await sideways_scroll(page), await serious_axe_violations(page)
        await page.screenshot(path=str(shots / "fullstack-10-phone-dashboard.png"), full_page=True)
    finally:
        await context.close()
    print(f"\noffline: {len(guard.requests)} requests, all local; pages {sorted(pages)}")
    assert guard.requests and not guard.outside, guard.outside
    assert not guard.failed, guard.failed
    assert not errors, errors
    assert not axe_summary(found), axe_summary(found)
    assert not {k: w for k, w in wide.items() if w > 0}, f"pages that scroll sideways at 375 px: {wide}"
