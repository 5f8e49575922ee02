"""The administration screens in a real browser (Debian's Chromium through Playwright): an administrator
publishes a manual version and edits a roster entry by keyboard alone, through intake, against the real
classifier and notifier served by uvicorn on free ports; axe-core finds no serious violations; every admin
page fits a 375-px phone screen. Screenshots: $SUNMOON_TEST_ARTIFACTS/desk/admin-*.png."""

from __future__ import annotations

import asyncpg
import pytest

from classifier.bootstrap import create_app as classifier_app
from classifier.settings import ClassifierSettings
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from intake.web.auth import save_user
from notifier import demo_roster, handlers
from notifier.bootstrap import create_app as notifier_app
from notifier.settings import NotifierSettings
from sunmoon.crypto import FieldCipher, KeyRing
from sunmoon.testing.browser import serious_axe_violations, sideways_scroll

from .conftest import PASSWORD, fakes, sign_in

PAGES = ["/desk/admin", "/desk/admin/manuals", "/desk/admin/manuals/noise", "/desk/admin/roster",
         "/desk/admin/users", "/desk/admin/types"]


@pytest.fixture(scope="module")
async def live_admin(servers):
    """(intake URL, classifier DB URL, notifier DB URL); user boss (admin)."""
    ns = servers.fresh_namespace()
    cls_db, ntf_db, intake_db = [await servers.fresh_database(n) for n in ("classifier", "notifier", "intake")]
    cipher = FieldCipher(KeyRing.generate("n1"))
    cls = classifier_app(ClassifierSettings(database_url=cls_db, nats_url=servers.nats_url, nats_namespace=ns))
    ntf = notifier_app(NotifierSettings(database_url=ntf_db, nats_url=servers.nats_url, nats_namespace=ns,
                                        public_url="http://notifier.test"), cipher=cipher)
    with fakes.LiveServer(cls) as c_live, fakes.LiveServer(ntf) as n_live:
        conn = await asyncpg.connect(ntf_db)
        try:
            async with conn.transaction():
                await handlers.seed_roster(conn, cipher, demo_roster.TEAMS, demo_roster.ENTRIES, demo_roster.SHIFTS)
        finally:
            await conn.close()
        app = create_app(IntakeSettings(database_url=intake_db, nats_url=servers.nats_url, nats_namespace=ns,
                                        classifier_url=c_live.url, notifier_url=n_live.url),
                         FieldCipher(KeyRing.generate("k1")))
        with fakes.LiveServer(app) as live:
            conn = await asyncpg.connect(intake_db)
            try:
                await save_user(conn, "boss", "admin", PASSWORD, update=False)
            finally:
                await conn.close()
            yield live.url, cls_db, ntf_db


async def _tab_to(page, element_id: str, limit: int = 250) -> None:
    for _ in range(limit):
        if await page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} not reached with Tab")


def _watch(page, problems: list[str]) -> None:
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text} ({m.location.get('url')})")
            if m.type in ("error", "warning") and "favicon" not in str(m.location.get("url")) else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)


async def test_admin_edits_a_manual_and_the_roster_by_keyboard(browser, live_admin, artifacts):
    base, cls_db, _ntf_db = live_admin
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    problems: list[str] = []
    try:
        page = await context.new_page()
        _watch(page, problems)
        await sign_in(page, base, "boss", "/desk/admin/manuals/noise")
        k = page.keyboard
        await _tab_to(page, "m-title")
        await k.press("Control+A")
        await k.type("소음 야간 대응 (개정)")
        await _tab_to(page, "m-steps")
        await k.press("Control+End")
        await k.type("\n새벽 공사 소음은 사진을 받아 둔다.")
        await _tab_to(page, "m-note")
        await k.type("사진 확보 단계 추가")
        await k.press("Enter")                                   # Enter in a text field submits the form
        await page.wait_for_url("**done=manual**")
        await page.wait_for_selector("#notice:has-text('새 버전을 게시했습니다')")
        assert "v2" in await page.text_content("#current-title")
        await page.screenshot(path=str(artifacts / "admin-1-manual.png"), full_page=True)

        await page.goto(base + "/desk/admin/roster?worker=w-water-1")
        await _tab_to(page, "worker-phone")
        await k.type("01077778888")
        assert await page.input_value("#worker-phone") == "010-7777-8888"   # formatted as typed
        await k.press("Enter")
        await page.wait_for_selector("#notice:has-text('근무자를 저장했습니다')")
        assert await page.locator("td:has-text('010-****-8888')").count() == 1
        await page.screenshot(path=str(artifacts / "admin-2-roster.png"), full_page=True)
    finally:
        await context.close()
    assert not problems, problems
    conn = await asyncpg.connect(cls_db)
    try:
        row = await conn.fetchrow("SELECT version, edited_by, steps FROM manuals WHERE type = 'noise'"
                                  " ORDER BY version DESC LIMIT 1")
    finally:
        await conn.close()
    assert (row["version"], row["edited_by"], row["steps"][-1]) == (2, "boss", "새벽 공사 소음은 사진을 받아 둔다.")


async def test_admin_pages_are_accessible_and_fit_a_phone(browser, live_admin, artifacts):
    base, _, _ = live_admin
    context = await browser.new_context(bypass_csp=True, locale="ko-KR")   # axe is injected as a script
    found = {}
    try:
        page = await context.new_page()
        await sign_in(page, base, "boss", "/desk/admin")
        for path in PAGES:
            await page.goto(base + path)
            found[path] = await serious_axe_violations(page)
    finally:
        await context.close()
    summary = {k: [(v["id"], v["help"], len(v["nodes"])) for v in vs] for k, vs in found.items() if vs}
    assert not summary, summary

    context = await browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2,
                                        is_mobile=True, has_touch=True, locale="ko-KR")
    try:
        page = await context.new_page()
        await sign_in(page, base, "boss", "/desk/admin")
        wide = {}
        for n, path in enumerate(PAGES, start=3):
            await page.goto(base + path)
            extra = await sideways_scroll(page)
            if extra > 0:
                wide[path] = extra
            await page.screenshot(path=str(artifacts / f"admin-{n}-phone-{path.rsplit('/', 1)[1]}.png"),
                                  full_page=True)
        assert not wide, f"pages scroll sideways on a 375-px phone: {wide}"
    finally:
        await context.close()
