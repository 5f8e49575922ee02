"""Browser tests of the desk: Playwright drives Debian's Chromium (/usr/bin/chromium; never a downloaded
browser) against intake's real app served by uvicorn in a thread, on the test session's PostgreSQL and NATS.

Screenshots go to $SUNMOON_TEST_ARTIFACTS/desk (when set) or to a pytest temporary folder; the path is printed.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

import asyncpg
import pytest

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from intake.web.auth import save_user
from sunmoon.crypto import FieldCipher, KeyRing

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[4]
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
PASSWORD = "night-shift-2026"

_spec = importlib.util.spec_from_file_location("desk_fakes_b", Path(__file__).parents[1] / "web" / "fakes.py")
fakes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fakes)


def _ensure_chromium() -> str | None:
    """None when Chromium is there (installing Debian's package if needed and possible), else why not."""
    if os.access(CHROMIUM, os.X_OK):
        return None
    script = ROOT / "scripts" / "ensure-chromium.sh"
    try:
        r = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{CHROMIUM} is missing and scripts/ensure-chromium.sh failed: {exc}"
    if r.returncode != 0 or not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing and could not be installed (scripts/ensure-chromium.sh): {r.stderr[-500:]}"
    return None


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    base = os.environ.get("SUNMOON_TEST_ARTIFACTS")
    folder = Path(base) / "desk" if base else tmp_path_factory.mktemp("desk-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
async def browser():
    why = _ensure_chromium()
    if why:
        pytest.skip(why)
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        await b.close()


@pytest.fixture(scope="module")
async def live_desk(servers):
    """(base URL, app, database URL): intake with its desk, users officer (duty_officer) and chief (supervisor)."""
    url = await servers.fresh_database("intake")
    settings = IntakeSettings(database_url=url, nats_url=servers.nats_url, nats_namespace=servers.fresh_namespace())
    app = create_app(settings, FieldCipher(KeyRing.generate("k1")))
    app.state.desk.preview.transport = fakes.fake_classifier()
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
    await page.keyboard.type(name)          # the name field has the focus
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(base + target)


