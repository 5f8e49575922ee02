"""One security policy per response: the desk's own CSP on /desk (never beside the shared middleware's),
the shared one elsewhere, HSTS over HTTPS, no header twice; and the administration menu's links."""

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from intake.web.auth import save_user
from intake.web.security import SecurityHeaders as DeskHeaders
from intake.web.security import content_security_policy
from sunmoon.http import JSON_CSP, PAGE_CSP
from sunmoon.http import SecurityHeaders as SharedHeaders

from .conftest import PASSWORD, fakes

ONCE = ("content-security-policy", "strict-transport-security", "x-frame-options", "x-content-type-options",
        "referrer-policy")


def _check_once(r: httpx.Response) -> None:
    for name in ONCE:
        assert len(r.headers.get_list(name)) == 1, (r.url.path, name, r.headers.get_list(name))


async def test_desk_pages_carry_one_policy_and_hsts(desk):
    client, app = desk
    async with app.state.runtime.pool.acquire() as conn:
        await save_user(conn, "boss", "admin", PASSWORD, update=False)
    desk_csp = content_security_policy(app.state.settings.map_tile_url)
    r = await client.get("/desk/login")
    _check_once(r)
    assert r.headers["content-security-policy"] == desk_csp and "connect-src 'self'" in desk_csp
    assert r.headers["strict-transport-security"] == "max-age=31536000"
    await fakes.sign_in(client, "boss", PASSWORD)
    for path in ("/desk/", "/desk/board", "/desk/map", "/desk/api/board", "/desk/static/intake.js", "/desk/admin",
                 "/desk/admin/api-keys", "/desk/access-log", "/desk/nothing-here"):
        r = await client.get(path)
        _check_once(r)
        assert r.headers["content-security-policy"] == desk_csp, path
    # outside the desk: the shared rules (JSON policy for the API, none on /docs)
    _check_once(await client.get("/healthz"))
    r = await client.get("/openapi.json")
    assert r.headers.get_list("content-security-policy") == [JSON_CSP.decode()]
    assert r.headers["strict-transport-security"]
    assert "content-security-policy" not in (await client.get("/docs")).headers


async def test_plain_http_has_no_hsts(desk):
    _client, app = desk
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk.test") as plain:
        r = await plain.get("/desk/login")
    assert "strict-transport-security" not in r.headers and len(r.headers.get_list("content-security-policy")) == 1


def _app(order: str) -> FastAPI:
    app = FastAPI()

    @app.get("/desk/page", response_class=HTMLResponse)
    async def page() -> str:
        return "<p>x</p>"

    @app.get("/desk/own", response_class=HTMLResponse)
    async def own() -> HTMLResponse:
        return HTMLResponse("<p>x</p>", headers={"Content-Security-Policy": "default-src 'none'"})

    @app.get("/desk/api/x")
    async def data() -> dict:
        return {"a": 1}

    @app.get("/other", response_class=HTMLResponse)
    async def other() -> str:
        return "<p>x</p>"

    layers = [(DeskHeaders, {"tile_url": "https://{s}.tile.example.org/{z}/{x}/{y}.png"}), (SharedHeaders, {})]
    for cls, kw in (layers if order == "desk-inner" else layers[::-1]):
        app.add_middleware(cls, **kw)
    return app


@pytest.mark.parametrize("order", ["desk-inner", "desk-outer"])
async def test_either_middleware_order_gives_one_policy(order):
    desk_csp = content_security_policy("https://{s}.tile.example.org/{z}/{x}/{y}.png")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(order)), base_url="https://t") as c:
        for path in ("/desk/page", "/desk/api/x"):
            r = await c.get(path)
            _check_once(r)
            assert r.headers["content-security-policy"] == desk_csp and "https://*.tile.example.org" in desk_csp
        r = await c.get("/desk/own")  # a route's own policy is kept, still only one
        assert r.headers.get_list("content-security-policy") == ["default-src 'none'"]
        r = await c.get("/other")
        _check_once(r)
        assert r.headers["content-security-policy"] == PAGE_CSP


async def test_admin_menu_links_the_api_keys_page(desk):
    client, app = desk
    async with app.state.runtime.pool.acquire() as conn:
        await save_user(conn, "boss", "admin", PASSWORD, update=False)
    await fakes.sign_in(client, "chief", PASSWORD)  # a supervisor reads the roster only: no link
    assert "/desk/admin/api-keys" not in (await client.get("/desk/admin")).text
    client.cookies.clear()
    await fakes.sign_in(client, "boss", PASSWORD)
    index = (await client.get("/desk/admin")).text
    assert '<a href="/desk/admin/api-keys" >API 키</a>' in index and "Open311" in index
    keys = (await client.get("/desk/admin/api-keys")).text
    assert '<a href="/desk/admin/api-keys" aria-current="page">API 키</a>' in keys
