"""Browser-test helpers shared by the desk's tests (services/intake/tests/browser) and the full-stack
tests (tests/e2e): Debian's Chromium through Playwright, never a downloaded browser.

- :func:`ensure_chromium` / :func:`launch`: find ``/usr/bin/chromium`` (installing Debian's package with
  ``scripts/ensure-chromium.sh`` when missing and possible), else skip the test saying why.
- :func:`artifacts_dir`: where screenshots go (``$SUNMOON_TEST_ARTIFACTS/<sub>`` or a pytest temp folder).
- :func:`serious_axe_violations`: axe-core's serious and critical violations on a page.
- :func:`sideways_scroll`: how far a page scrolls sideways (0 when it fits the viewport).
- :class:`LocalOnly`: route every request of a browser context, abort any that would leave the machine,
  and record what was asked and what failed.

Playwright is imported lazily: this module is importable where Playwright is not installed.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[4]   # the repository (shared/src/sunmoon/testing/browser.py)
ENSURE_SCRIPT = ROOT / "scripts" / "ensure-chromium.sh"
AXE = ROOT / "services" / "intake" / "tests" / "browser" / "vendor" / "axe.min.js"   # vendored, see VENDORED.md
SERIOUS = ("serious", "critical")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu"]


def ensure_chromium() -> str | None:
    """None when Chromium is there (installing Debian's package if needed and possible), else why not."""
    if os.access(CHROMIUM, os.X_OK):
        return None
    try:
        r = subprocess.run(["bash", str(ENSURE_SCRIPT)], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{CHROMIUM} is missing and scripts/ensure-chromium.sh failed: {exc}"
    if r.returncode != 0 or not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing and could not be installed (scripts/ensure-chromium.sh): {r.stderr[-500:]}"
    return None


@contextlib.asynccontextmanager
async def launch() -> AsyncIterator[Any]:
    """A Playwright ``Browser`` on Debian's Chromium; skips the test when Chromium or Playwright is missing."""
    why = ensure_chromium()
    if why:
        pytest.skip(why)
    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:  # pragma: no cover - playwright is a dev dependency
        pytest.skip(f"playwright is not installed: {exc}")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def artifacts_dir(tmp_path_factory: Any, sub: str = "desk") -> Path:
    base = os.environ.get("SUNMOON_TEST_ARTIFACTS")
    folder = Path(base) / sub if base else tmp_path_factory.mktemp(f"{sub}-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


async def serious_axe_violations(page: Any, axe: Path = AXE) -> list[dict[str, Any]]:
    """Run axe-core on the page (the context needs ``bypass_csp=True``: axe is injected as a script)."""
    await page.add_script_tag(path=str(axe))
    result = await page.evaluate("async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))")
    return [v for v in json.loads(result)["violations"] if v["impact"] in SERIOUS]


def axe_summary(found: dict[str, list[dict[str, Any]]]) -> dict[str, list[tuple[str, str, str, int]]]:
    return {k: [(v["id"], v["impact"], v["help"], len(v["nodes"])) for v in vs] for k, vs in found.items() if vs}


async def sideways_scroll(page: Any) -> int:
    """Pixels the page is wider than its viewport (0: no horizontal scroll)."""
    return int(await page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body ? document.body.scrollWidth : 0)"
        " - document.documentElement.clientWidth"))


class LocalOnly:
    """Every request of a context must go to one of ``hosts`` (``127.0.0.1:PORT``); anything else is
    aborted (as if the machine had no network) and recorded in ``outside``; failed requests and HTTP
    errors are recorded in ``failed``."""

    def __init__(self, hosts: Iterable[str]) -> None:
        self.hosts = set(hosts)
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.failed: list[str] = []

    async def attach(self, context: Any) -> LocalOnly:
        await context.route("**/*", self._route)
        context.on("requestfailed", self._on_failed)
        context.on("response", self._on_response)
        return self

    def _local(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return True
        return parts.scheme in ("http", "https", "ws", "wss") and parts.netloc in self.hosts

    async def _route(self, route: Any) -> None:
        url = route.request.url
        self.requests.append(url)
        if self._local(url):
            await route.continue_()
        else:
            self.outside.append(url)
            await route.abort("internetdisconnected")

    def _on_failed(self, request: Any) -> None:
        # a request the page itself dropped by navigating away (a live EventSource, a late fetch) is
        # "aborted": not a failure; a request this class aborted is already in ``outside``
        if request.failure == "net::ERR_ABORTED" or request.url in self.outside:
            return
        self.failed.append(f"{request.method} {request.url}: {request.failure}")

    def _on_response(self, response: Any) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.request.method} {response.url}: HTTP {response.status}")
