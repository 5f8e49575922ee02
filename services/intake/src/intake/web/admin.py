"""The administration screens (/desk/admin): index, handling manuals and complaint types.

Manuals and types belong to the classifier, the roster to the notifier (``admin_roster``), desk users to
intake (``admin_users``). Pages read through intake's gateway (``admin_gateway``); forms post here with the
session's CSRF token and intake forwards the change to the owner, which validates and stores it. On success
the browser is redirected (303) back to the page with a notice; on a refusal the page is shown again with
the owner's reason in Korean and its status (409, 422, 404; 502 when the owner cannot be reached).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sunmoon.events.classifier import URGENCY_LABELS

from . import admin_gateway as gw
from . import auth
from .auth import DeskUser, current_user
from .pages import _render

router = APIRouter(prefix="/desk/admin", include_in_schema=False)
User = Annotated[DeskUser, Depends(current_user)]
NOTICES = {"manual": "새 버전을 게시했습니다.", "type": "민원 유형 설정을 저장했습니다.", "team": "팀을 저장했습니다.",
           "worker": "근무자를 저장했습니다.", "shift": "근무 배정을 저장했습니다.", "removed": "삭제(비활성화)했습니다.",
           "user": "사용자를 저장했습니다.", "password": "비밀번호를 재설정했습니다. 그 사용자의 로그인은 모두 끝났습니다.",
           "role": "역할을 바꿨습니다. 그 사용자의 로그인은 모두 끝났습니다.", "disabled": "사용자를 사용 중지했습니다.",
           "enabled": "사용자를 다시 사용하게 했습니다."}
MANUAL_LISTS = ("steps", "phone_checks", "tell_citizen")


class FormError(Exception):
    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message, self.status = message, status


async def form_of(request: Request) -> dict[str, list[str]]:
    return parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)


def one(form: dict[str, list[str]], key: str) -> str:
    return (form.get(key) or [""])[0].strip()


async def admin_post(request: Request, user: DeskUser) -> dict[str, list[str]]:
    """An administrator's form post: role first, then the CSRF token."""
    auth.require_role(user, "admin")
    form = await form_of(request)
    auth.require_csrf(request, user, one(form, "csrf_token"))
    return form


def render(request: Request, template: str, user: DeskUser, status: int = 200, **context: Any) -> HTMLResponse:
    notice = NOTICES.get(request.query_params.get("done", ""))
    section = {"admin_manual.html": "manuals"}.get(template, template.removeprefix("admin_").removesuffix(".html"))
    return _render(request, template, status, user=user, page="admin", section=section, notice=notice, **context)


def done(url: str, what: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"{url}{'&' if '?' in url else '?'}done={what}{'#' + anchor if anchor else ''}",
                            status_code=303)


async def types_of(request: Request) -> list[dict[str, Any]]:
    return (await request.app.state.desk.admin.classifier.call("GET", "/api/v1/types"))["types"]


@router.get("", response_class=HTMLResponse)
async def index(request: Request, user: User) -> HTMLResponse:
    auth.require_role(user, "supervisor", "admin")
    log_rows = await gw.recent(request.app.state.runtime.pool) if user.can("admin") else []
    return render(request, "admin.html", user, log_rows=log_rows)


# -- manuals ----------------------------------------------------------------------------------------
@router.get("/manuals", response_class=HTMLResponse)
async def manuals(request: Request, user: User) -> HTMLResponse:
    auth.require_role(user, "admin")
    try:
        return render(request, "admin_manuals.html", user, types=await types_of(request))
    except gw.OwnerError as exc:
        return render(request, "admin_manuals.html", user, exc.status, types=[], error=exc.message)


def _manual_form(manual: dict[str, Any]) -> dict[str, str]:
    values = {k: manual.get(k) or "" for k in ("title", "department", "after_hours_team")}
    values.update({k: "\n".join(manual.get(k) or []) for k in MANUAL_LISTS})
    values["agencies"] = "\n".join(f"{a['name']} | {a['phone']} | {a['when']}" for a in manual.get("agencies") or [])
    values["note"] = ""
    values["base_version"] = str(manual.get("version") or "")
    return values


def manual_body(form: dict[str, list[str]], editor: str) -> dict[str, Any]:
    """The classifier's ``ManualIn`` from the edit form (lists one line each; agencies 'name | phone | when')."""
    body: dict[str, Any] = {k: one(form, k) for k in ("title", "department", "after_hours_team")}
    for key in MANUAL_LISTS:
        body[key] = [line.strip() for line in one(form, key).splitlines() if line.strip()]
    agencies = []
    for n, line in enumerate((x for x in one(form, "agencies").splitlines() if x.strip()), start=1):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3:
            raise FormError(f"외부 기관 {n}번째 줄: '이름 | 전화번호 | 언제 연락하는지' 형식으로 적어 주세요.")
        agencies.append({"name": parts[0], "phone": parts[1], "when": parts[2]})
    body["agencies"] = agencies
    body["note"] = one(form, "note") or None
    body["edited_by"] = editor
    base = one(form, "base_version")
    body["base_version"] = int(base) if base.isdigit() else None
    return body


async def _manual_page(request: Request, user: DeskUser, type_: str, status: int = 200,
                       form: dict[str, str] | None = None, error: str | None = None) -> HTMLResponse:
    classifier = request.app.state.desk.admin.classifier
    try:
        versions = await classifier.call("GET", f"/api/v1/manuals/{type_}/versions")
    except gw.OwnerError as exc:
        return render(request, "admin_manual.html", user, exc.status if status == 200 else status, type=type_,
                      versions=[], form=form or {}, error=error or exc.message, type_label=type_)
    newest = versions["versions"][0] if versions["versions"] else {}
    return render(request, "admin_manual.html", user, status, type=type_, type_label=versions["type_label"],
                  versions=versions["versions"], current=newest, form=form or _manual_form(newest), error=error)


@router.get("/manuals/{type_}", response_class=HTMLResponse)
async def manual_page(request: Request, type_: str, user: User) -> HTMLResponse:
    auth.require_role(user, "admin")
    return await _manual_page(request, user, type_)


@router.post("/manuals/{type_}")
async def manual_publish(request: Request, type_: str, user: User) -> Response:
    form = await admin_post(request, user)
    submitted = {k: one(form, k) for k in ("title", "department", "after_hours_team", "note", "base_version",
                                           "agencies", *MANUAL_LISTS)}
    try:
        body = manual_body(form, user.name)
        out = await gw.edit(request, user, "classifier", "PUT", f"/api/v1/manuals/{type_}", body,
                            target=type_, detail=f"base_version={body['base_version']}")
    except (FormError, gw.OwnerError) as exc:
        return await _manual_page(request, user, type_, exc.status, submitted, exc.message)
    return done(f"/desk/admin/manuals/{type_}?v={out['version']}", "manual")


# -- complaint types ----------------------------------------------------------------------------------
def sms_routes(roster: dict[str, Any] | None) -> dict[str, str]:
    """Per type, who is texted (the notifier's active teams covering it), for the types page."""
    if roster is None:
        return {}
    routes: dict[str, list[str]] = {}
    fallback = [t["name"] for t in roster["teams"] if t["active"] and t["fallback"]]
    for t in roster["teams"]:
        if t["active"] and any(w["active"] for w in t["workers"]):
            for code in t["types"]:
                routes.setdefault(code, []).append(t["name"])
    return {"*": ", ".join(fallback), **{k: ", ".join(v) for k, v in routes.items()}}


async def _types_page(request: Request, user: DeskUser, status: int = 200, error: str | None = None,
                      failed: str | None = None) -> HTMLResponse:
    try:
        types = await types_of(request)
    except gw.OwnerError as exc:
        return render(request, "admin_types.html", user, exc.status, types=[], routes={}, error=exc.message,
                      urgencies=URGENCY_LABELS)
    try:
        routes = sms_routes(await request.app.state.desk.admin.notifier.call("GET", "/api/v1/roster"))
    except gw.OwnerError:
        routes = {}  # the SMS column says "알 수 없음"; the types themselves are still editable
    return render(request, "admin_types.html", user, status, types=types, routes=routes, error=error,
                  failed=failed, urgencies=URGENCY_LABELS)


@router.get("/types", response_class=HTMLResponse)
async def types_page(request: Request, user: User) -> HTMLResponse:
    auth.require_role(user, "admin")
    return await _types_page(request, user)


@router.post("/types/{code}")
async def type_save(request: Request, code: str, user: User) -> Response:
    form = await admin_post(request, user)
    body = {"label": one(form, "label"), "department": one(form, "department"),
            "default_urgency": one(form, "default_urgency"), "active": one(form, "active") == "on",
            "edited_by": user.name}
    try:
        await gw.edit(request, user, "classifier", "PUT", f"/api/v1/types/{code}", body, target=code,
                      detail=f"label={body['label']} department={body['department']} "
                             f"default_urgency={body['default_urgency']} active={body['active']}")
    except gw.OwnerError as exc:
        return await _types_page(request, user, exc.status, exc.message, failed=code)
    request.app.state.desk.types.invalidate()  # the picker and the board show the change at once
    return done("/desk/admin/types", "type", anchor=f"type-{code}")
