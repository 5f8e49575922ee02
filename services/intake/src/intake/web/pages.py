"""The desk's HTML pages: sign-in and sign-out, the intake form, the board, the map, a complaint, the access log."""

from __future__ import annotations

import secrets
import uuid
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sunmoon.crypto import DecryptionError, mask_name, mask_phone
from sunmoon.events.classifier import URGENCY_LABELS

from .. import repository as complaints
from . import auth, gazetteer
from . import repository as desk_repo
from .auth import DeskUser, current_user
from .rules import OverdueLimits
from .views import CHANNEL_LABELS, STATUS_LABELS, kst, reason_ko

router = APIRouter(prefix="/desk", include_in_schema=False)
User = Annotated[DeskUser, Depends(current_user)]


def _render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    templates = request.app.state.desk.templates
    return templates.TemplateResponse(
        request, template, {"user": None, "dashboard_url": request.app.state.settings.dashboard_url, **context},
        status_code=status_code)


def _cookie_kwargs(request: Request) -> dict[str, Any]:
    return {"httponly": True, "samesite": "strict", "secure": request.app.state.settings.cookie_secure, "path": "/"}


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/desk/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/desk/"


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None, out: bool = False) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = _render(request, "login.html", csrf=token, next=_safe_next(next),
                       notice="로그아웃되었습니다." if out else None)
    response.set_cookie(auth.LOGIN_CSRF_COOKIE, token, max_age=3600, **_cookie_kwargs(request))
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    name, password = form.get("name", "").strip(), form.get("password", "")
    next_url = _safe_next(form.get("next"))
    settings, pool = request.app.state.settings, request.app.state.runtime.pool

    def again(message: str, status_code: int) -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        response = _render(request, "login.html", status_code, csrf=token, next=next_url, error=message, name=name)
        response.set_cookie(auth.LOGIN_CSRF_COOKIE, token, max_age=3600, **_cookie_kwargs(request))
        return response

    if not auth.same_token(request.cookies.get(auth.LOGIN_CSRF_COOKIE), form.get("csrf_token")):
        return again("보안 확인이 만료되었습니다. 다시 로그인해 주세요.", 403)
    if not name or not password:
        return again("이름과 비밀번호를 입력해 주세요.", 400)
    ip = auth.client_ip(request)
    if await auth.throttled(pool, name, ip, max_failures=settings.login_max_failures,
                            window_minutes=settings.login_window_minutes):
        return again(f"로그인 실패가 너무 많습니다. {settings.login_window_minutes}분 후에 다시 시도해 주세요.", 429)
    if await auth.locked(pool, name, lock_failures=settings.login_lock_failures):
        auth.log.warning("desk sign-in refused: account locked", user=name[:100], client_ip=ip)
        return again("로그인 실패가 반복되어 계정이 잠겼습니다. 관리자에게 비밀번호 재설정을 요청해 주세요.", 423)
    found = await auth.authenticate(pool, name, password, ip)
    if found is None:
        return again("이름 또는 비밀번호가 맞지 않습니다.", 401)
    token = await auth.start_session(pool, found[0], max_hours=settings.session_max_hours)
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(auth.SESSION_COOKIE, token, max_age=settings.session_max_hours * 3600,
                        **_cookie_kwargs(request))
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, user: User) -> Response:
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    auth.require_csrf(request, user, form.get("csrf_token"))
    await auth.end_session(request.app.state.runtime.pool, request.cookies.get(auth.SESSION_COOKIE))
    response = RedirectResponse("/desk/login?out=1", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/", secure=request.app.state.settings.cookie_secure,
                           httponly=True, samesite="strict")
    return response


@router.get("", include_in_schema=False)
async def desk_root() -> Response:
    return RedirectResponse("/desk/", status_code=307)


@router.get("/", response_class=HTMLResponse)
async def intake_form(request: Request, user: User) -> HTMLResponse:
    catalog = await request.app.state.desk.types.current()
    return _render(request, "intake.html", user=user, page="intake", places=gazetteer.places(),
                   place_data=[p.as_json() for p in gazetteer.places()],
                   types=catalog.picker(), type_labels=catalog.labels, urgencies=URGENCY_LABELS)


@router.get("/board", response_class=HTMLResponse)
async def board(request: Request, user: User) -> HTMLResponse:
    limits = OverdueLimits.from_settings(request.app.state.settings)
    catalog = await request.app.state.desk.types.current()  # every type: a filter finds old complaints too
    types = {c: label if c in catalog.active else f"{label} (사용 안 함)" for c, label in catalog.labels.items()}
    return _render(request, "board.html", user=user, page="board", types=types, urgencies=URGENCY_LABELS,
                   statuses=STATUS_LABELS, limits=limits)


@router.get("/map", response_class=HTMLResponse)
async def map_page(request: Request, user: User) -> HTMLResponse:
    s = request.app.state.settings
    return _render(request, "map.html", user=user, page="map", tile_url=s.map_tile_url,
                   tile_attribution=s.map_tile_attribution, urgencies=URGENCY_LABELS)


@router.get("/complaints/{complaint_id}", response_class=HTMLResponse)
async def complaint_page(request: Request, complaint_id: uuid.UUID, user: User) -> HTMLResponse:
    pool = request.app.state.runtime.pool
    row = await complaints.get(pool, complaint_id)
    if row is None:
        raise HTTPException(404, "no such complaint")
    history = await complaints.history(pool, complaint_id)
    cipher = request.app.state.cipher
    masked = {col: _masked(cipher, row, col, fn) for col, fn in
              (("complainant_name", mask_name), ("complainant_phone", mask_phone))}
    return _render(request, "complaint.html", user=user, page="board", c=row, history=history, masked=masked,
                   accesses=await desk_repo.access_log(pool, complaint_id, limit=20), kst=kst, reason_ko=reason_ko,
                   types=(await request.app.state.desk.types.current()).labels, urgencies=URGENCY_LABELS,
                   statuses=STATUS_LABELS, channels=CHANNEL_LABELS,
                   has_pii=row["complainant_name_enc"] is not None or row["complainant_phone_enc"] is not None)


@router.get("/access-log", response_class=HTMLResponse)
async def access_log_page(request: Request, user: User) -> HTMLResponse:
    auth.require_role(user, "supervisor", "admin")
    rows = await desk_repo.access_log(request.app.state.runtime.pool)
    return _render(request, "access_log.html", user=user, page="access-log", rows=rows, kst=kst)


def _masked(cipher: Any, row: Any, column: str, mask: Any) -> str | None:
    blob = row[f"{column}_enc"]
    if blob is None:
        return None
    try:
        return mask(cipher.decrypt(blob, table="complaints", column=column, row_id=row["id"]).reveal())
    except DecryptionError:
        return "[복호화 실패]"


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/desk/login?next={quote(target, safe='')}", status_code=303)
