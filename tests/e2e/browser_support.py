"""Helpers of the end-to-end desk tests: desk users made with the real command, sign-in over plain HTTP."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx

from devstack.stack import run_command

PASSWORD = "night-shift-2026"


async def create_desk_user(env: dict[str, str], folder: Path, name: str, role: str = "duty_officer") -> str:
    """``python -m intake create-user`` (the command an operator runs); returns the password."""
    folder.mkdir(parents=True, exist_ok=True)
    pw_file = folder / f"{name}.password"
    pw_file.write_text(PASSWORD + "\n", encoding="utf-8")
    await asyncio.to_thread(run_command, "intake", ["create-user", "--role", role, "--password-file",
                                                    str(pw_file), name], env)
    return PASSWORD


def _cookie(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        m = re.match(rf"{re.escape(name)}=([^;]*)", header)
        if m:
            return m.group(1)
    raise AssertionError(f"no {name} cookie in {response.status_code} {response.headers}")


async def desk_session(client: httpx.AsyncClient, base: str, name: str, password: str = PASSWORD) -> str:
    """Sign in through the real form (double-submit CSRF); returns the ``Cookie`` header of the session.

    The desk's cookies are ``Secure``: browsers keep them on http://127.0.0.1, Python's cookie jar does not,
    so the header is carried by hand."""
    form = await client.get(base + "/desk/login")
    csrf = _cookie(form, "sunmoon_desk_login")
    r = await client.post(base + "/desk/login", content=f"name={name}&password={password}&csrf_token={csrf}",
                          headers={"content-type": "application/x-www-form-urlencoded",
                                   "cookie": f"sunmoon_desk_login={csrf}"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    return f"sunmoon_desk={_cookie(r, 'sunmoon_desk')}"


async def sign_in(page, base: str, name: str, target: str = "/desk/", password: str = PASSWORD) -> None:
    """Sign in by keyboard (the name field has the focus), landing on ``target``."""
    await page.goto(base + target)
    await page.wait_for_url("**/desk/login**")
    # the name field takes the focus (autofocus) once the page is ready; a busy machine may take a moment, and
    # keys typed before that go nowhere - as for a person, who waits for the cursor
    await page.wait_for_function("document.activeElement && document.activeElement.id === 'name'")
    await page.keyboard.type(name)
    await page.keyboard.press("Tab")
    await page.keyboard.type(password)
    await page.keyboard.press("Enter")
    await page.wait_for_url(base + target)


async def tab_to(page, check: str, *, back: bool = False, limit: int = 8) -> None:
    """Press Tab (Shift+Tab with ``back``) until the JavaScript expression ``check`` about
    ``document.activeElement`` (bound as ``a``) holds."""
    expr = f"(() => {{ const a = document.activeElement; return !!({check}); }})()"
    for _ in range(limit):
        if await page.evaluate(expr):
            return
        await page.keyboard.press("Shift+Tab" if back else "Tab")
    assert await page.evaluate(expr), f"the keyboard never reached {check}"


def watch(page, problems: list[str]) -> None:
    """Collect the page's script errors and console errors (failed requests show there too)."""
    page.on("pageerror", lambda e: problems.append(f"{page.url}: page error: {e}"))
    page.on("console", lambda m: problems.append(f"{page.url}: console {m.type}: {m.text}")
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: problems.append(f"{page.url}: HTTP {r.status} {r.request.method} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
