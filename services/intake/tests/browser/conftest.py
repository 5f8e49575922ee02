"""Browser tests of the desk: Playwright drives Debian's Chromium (/usr/bin/chromium; never a downloaded
browser) against intake's real app served by uvicorn in a thread, on the test session's PostgreSQL and NATS.

Screenshots go to $SUNMOON_TEST_ARTIFACTS/desk (when set) or to a pytest temporary folder; the path is printed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import asyncpg
import pytest

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from intake.web.auth import save_user
from sunmoon.crypto import FieldCipher, KeyRing
from sunmoon.testing import browser as browser_support
from sunmoon.testing.browser import AXE, CHROMIUM  # noqa: F401 - used by the tests

PASSWORD = "night-shift-2026"

_spec = importlib.util.spec_from_file_location("desk_fakes_b", Path(__file__).parents[1] / "web" / "fakes.py")
fakes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fakes)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    return browser_support.artifacts_dir(tmp_path_factory, "desk")


@pytest.fixture(scope="module")
async def browser():
    async with browser_support.launch() as b:
        yield b


@pytest.fixture(scope="module")
async def live_desk(servers):
    """(base URL, app, database URL): intake with its desk, users officer (duty_officer) and chief (supervisor)."""
    url = await servers.fresh_database("intake")
    settings = IntakeSettings(database_url=url, nats_url=servers.nats_url, nats_namespace=servers.fresh_namespace())
    app = create_app(settings, FieldCipher(KeyRing.generate("k1")))
    app.state.desk.preview.transport = fakes.fake_classifier()
    app.state.desk.admin.classifier.transport = fakes.fake_classifier()  # the type labels (types_cache)
    with fakes.LiveServer(app) as live:
        conn = await asyncpg.connect(url)
        try:
            for name, role in (("officer", "duty_officer"), ("chief", "supervisor")):
                await save_user(conn, name, role, PASSWORD, update=False)
        finally:
            await conn.close()
        yield live.url, app, url


async def sign_in(page, base: str, name: str = "officer", target: str = "/desk/") -> None:
    await page.goto(base + target)
    await page.wait_for_url("**/desk/login**")
    # the name field takes the focus (autofocus) once the page is ready; a busy machine may take a moment, and
    # keys typed before that go nowhere - as for a person, who waits for the cursor
    await page.wait_for_function("document.activeElement && document.activeElement.id === 'name'")
    await page.keyboard.type(name)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(base + target)


