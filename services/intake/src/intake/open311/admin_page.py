"""The Open311 API keys screen (/desk/admin/api-keys): list, issue (the key is shown once), revoke.

Administrators only, with the desk's session and CSRF checks (helpers of ``intake.web.admin``). The same
actions as ``python -m intake api-key``.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..web import auth
from ..web.admin import User, admin_post, done, one, render
from . import keys

PAGE = "/desk/admin/api-keys"
_NAME = re.compile(r"^[A-Za-z0-9._-]{2,60}$")
router = APIRouter(prefix=PAGE, include_in_schema=False)


async def _page(request: Request, user: auth.DeskUser, status: int = 200, error: str | None = None,
                issued: keys.Issued | None = None) -> HTMLResponse:
    from ..web.views import kst

    rows = await keys.list_keys(request.app.state.runtime.pool)
    response = render(request, "admin_api_keys.html", user, status, keys=rows, error=error, issued=issued, kst=kst,
                      revoked=request.query_params.get("done") == "revoked")
    response.headers["Cache-Control"] = "no-store"  # a freshly issued key is on this page once
    return response


@router.get("", response_class=HTMLResponse)
async def api_keys_page(request: Request, user: User) -> HTMLResponse:
    auth.require_role(user, "admin")
    return await _page(request, user)


@router.post("")
async def issue_key(request: Request, user: User) -> Response:
    form = await admin_post(request, user)
    name = one(form, "name")
    try:
        rate = int(one(form, "rate") or keys.DEFAULT_RATE_PER_MINUTE)
        burst = int(one(form, "burst") or keys.DEFAULT_BURST)
    except ValueError:
        return await _page(request, user, 422, "요청 한도는 숫자로 적어 주세요.")
    if not _NAME.match(name):
        return await _page(request, user, 422, "이름은 영문, 숫자, '.', '_', '-'로 2~60자입니다.")
    if not (1 <= rate <= 100_000 and 1 <= burst <= 100_000):
        return await _page(request, user, 422, "요청 한도는 1 이상이어야 합니다.")
    pool = request.app.state.runtime.pool
    async with pool.acquire() as conn, conn.transaction():
        if await conn.fetchval("SELECT 1 FROM open311_api_keys WHERE name = $1", name):
            return await _page(request, user, 409, f"이미 있는 이름입니다: {name}")
        issued = await keys.issue(conn, name, rate_per_minute=rate, burst=burst)
    return await _page(request, user, 201, issued=issued)


@router.post("/{name}/revoke")
async def revoke_key(request: Request, name: str, user: User) -> Response:
    await admin_post(request, user)
    async with request.app.state.runtime.pool.acquire() as conn:
        if not await keys.revoke(conn, name):
            return await _page(request, user, 404, f"사용 중인 키가 없습니다: {name}")
    return done(PAGE, "revoked")
