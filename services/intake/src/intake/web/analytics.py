"""The desk's 분석 page: reporting's analytics dashboard, served through intake.

Reporting's ``/dashboard`` needs a bearer token (sunmoon.auth), which a browser cannot send. So the desk
fetches the page and its charts server-side with its own service token, for a signed-in supervisor or
administrator, and the browser keeps talking to intake only. The page is PII-free by construction (reporting's
read model has no names, phones or addresses), so nothing here is an access record. Reporting's own
Content-Security-Policy (its style by hash, no scripts) is passed on unchanged.
"""

from __future__ import annotations

import re

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from sunmoon.auth import bearer
from sunmoon.logging import get_logger
from sunmoon.tls import httpx_verify

from .auth import current_user

log = get_logger(__name__)
router = APIRouter(prefix="/desk", include_in_schema=False)
CHART = re.compile(r"^[a-z_]{1,40}$")
UNAVAILABLE = ("<!doctype html><html lang=\"ko\"><meta charset=\"utf-8\"><title>분석 — 연결 불가</title>"
               "<p>분석 서비스(reporting)에 연결할 수 없습니다. 잠시 후 다시 열어 주세요. 계속되면 시스템 "
               "담당자에게 reporting 서비스 상태(/readyz)를 확인해 달라고 알려 주세요.</p></html>")


async def _get(request: Request, path: str, params: dict) -> httpx.Response:
    s = request.app.state.settings
    base = s.dashboard_url.rstrip("/")
    async with httpx.AsyncClient(timeout=15, verify=httpx_verify(s.tls_ca_file),
                                 headers=bearer(s.service_token.get_secret_value())) as client:
        return await client.get(base + path, params=params)


@router.get("/analytics", response_class=HTMLResponse)
async def analytics_page(request: Request, days: int = Query(30, ge=1, le=3660)) -> Response:
    await current_user(request)  # the policy table (intake/policy.py) has checked the role already
    try:
        resp = await _get(request, "", {"days": days})
    except httpx.HTTPError as exc:
        log.warning("dashboard unavailable", error=f"{type(exc).__name__}: {exc}"[:300])
        return HTMLResponse(UNAVAILABLE, status_code=502)
    if resp.status_code != 200:
        log.warning("dashboard refused the desk", status=resp.status_code)
        return HTMLResponse(UNAVAILABLE, status_code=502)
    html = resp.text.replace('src="/dashboard/charts/', 'src="/desk/analytics/charts/')
    html = re.sub(r'<a href="/api/v1/analytics">[^<]*</a>', "", html)  # reporting's API needs a token
    html = html.replace("</nav>", '<a href="/desk/">접수 화면으로</a></nav>', 1)
    headers = {k: v for k, v in resp.headers.items() if k.lower() == "content-security-policy"}
    headers["Cache-Control"] = "no-store"
    return HTMLResponse(html, headers=headers)


@router.get("/analytics/charts/{chart}.png")
async def analytics_chart(request: Request, chart: str, days: int = Query(30, ge=1, le=3660)) -> Response:
    await current_user(request)
    if not CHART.match(chart):
        return Response("unknown chart", status_code=404, media_type="text/plain")
    try:
        resp = await _get(request, f"/charts/{chart}.png", {"days": days})
    except httpx.HTTPError:
        return Response("reporting unavailable", status_code=502, media_type="text/plain")
    if resp.status_code != 200:
        return Response("chart unavailable", status_code=502 if resp.status_code >= 500 else resp.status_code,
                        media_type="text/plain")
    return Response(resp.content, media_type="image/png", headers={"Cache-Control": "no-store"})
