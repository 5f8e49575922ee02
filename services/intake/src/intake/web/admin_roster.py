"""The roster screen (/desk/admin/roster): teams, field workers and shift assignments, owned by the notifier.

Supervisors may read it; administrators edit it. Names and phone numbers come masked from the notifier and
are never shown in clear here: editing a worker, a blank name or phone keeps the stored one, a new one
replaces it (the notifier encrypts it). Removing a team or worker deactivates it (kept for the record); a
shift assignment is deleted.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from sunmoon.events.classifier import COMPLAINT_TYPES

from . import admin_gateway as gw
from . import auth
from .admin import FormError, User, admin_post, done, one, render, router
from .auth import DeskUser

KIND_LABELS = {"day": "평일 주간 (09–18시)", "weekday_night": "평일 야간 (18–다음날 09시)",
               "weekend": "주말 (토·일 09시부터 24시간)", "holiday": "공휴일 (09시부터 24시간)"}
ROLE_LABELS = {"primary": "1순위", "backup": "2순위(예비)", "supervisor": "감독자"}
PAGE = "/desk/admin/roster"


async def _page(request: Request, user: DeskUser, status: int = 200, error: str | None = None,
                form: dict[str, str] | None = None, which: str | None = None) -> HTMLResponse:
    notifier = request.app.state.desk.admin.notifier
    try:
        roster = await notifier.call("GET", "/api/v1/roster")
    except gw.OwnerError as exc:
        return render(request, "admin_roster.html", user, exc.status, teams=[], error=exc.message, edit={},
                      which=None, types=COMPLAINT_TYPES, kinds=KIND_LABELS, roles=ROLE_LABELS, workers=[])
    teams = roster["teams"]
    workers = [w | {"team_id": t["id"], "team_name": t["name"]} for t in teams for w in t["workers"]]
    q = request.query_params
    edit: dict[str, Any] = form or {}
    if form is None:  # "수정" links prefill one form from the roster
        if q.get("team"):
            t = next((t for t in teams if t["id"] == q["team"]), None)
            edit, which = (({**t, "districts": ", ".join(t["districts"] or [])}, "team") if t else ({}, None))
        elif q.get("worker"):
            w = next((w for w in workers if w["id"] == q["worker"]), None)
            edit, which = ((w, "worker") if w else ({}, None))
        elif q.get("shift", "").isdigit():
            s = next((s for t in teams for s in t["shifts"] if s["id"] == int(q["shift"])), None)
            edit, which = (({k: ("" if v is None else v) for k, v in s.items()}, "shift") if s else ({}, None))
    names = {w["id"]: f"{w['name']} ({w['id']})" for w in workers}
    return render(request, "admin_roster.html", user, status, teams=teams, workers=workers, names=names,
                  error=error, edit=edit, which=which, types=COMPLAINT_TYPES, kinds=KIND_LABELS, roles=ROLE_LABELS,
                  can_edit=user.can("admin"))


@router.get("/roster", response_class=HTMLResponse)
async def roster_page(request: Request, user: User) -> HTMLResponse:
    auth.require_role(user, "supervisor", "admin")
    return await _page(request, user)


async def _forward(request: Request, user: DeskUser, form: dict[str, list[str]], which: str, method: str,
                   path: str, body: Any, target: str, detail: str, what: str) -> Response:
    submitted = {k: v if k == "types" else v[0] for k, v in form.items() if k != "csrf_token"}
    try:
        await gw.edit(request, user, "notifier", method, path, body, target=target, detail=detail)
    except gw.OwnerError as exc:
        return await _page(request, user, exc.status, exc.message, submitted, which)
    return done(PAGE, what)


def _id(form: dict[str, list[str]], key: str = "id") -> str:
    value = one(form, key)
    if not value:
        raise FormError("ID를 입력해 주세요 (영문 소문자, 숫자, -, _).")
    return value


@router.post("/roster/teams")
async def team_save(request: Request, user: User) -> Response:
    form = await admin_post(request, user)
    try:
        team_id = _id(form)
    except FormError as exc:
        return await _page(request, user, exc.status, exc.message, {k: v[0] for k, v in form.items()}, "team")
    districts = [d.strip() for d in one(form, "districts").replace("\n", ",").split(",") if d.strip()]
    body = {"name": one(form, "name"), "types": form.get("types", []), "districts": districts or None,
            "fallback": one(form, "fallback") == "on", "active": one(form, "active") == "on"}
    return await _forward(request, user, form, "team", "PUT", f"/api/v1/roster/teams/{team_id}", body, team_id,
                          f"name={body['name']} types={','.join(body['types'])} districts={districts or 'all'} "
                          f"fallback={body['fallback']} active={body['active']}", "team")


@router.post("/roster/teams/{team_id}/remove")
async def team_remove(request: Request, team_id: str, user: User) -> Response:
    form = await admin_post(request, user)
    return await _forward(request, user, form, "", "DELETE", f"/api/v1/roster/teams/{team_id}", None, team_id,
                          "deactivated", "removed")


@router.post("/roster/workers")
async def worker_save(request: Request, user: User) -> Response:
    form = await admin_post(request, user)
    try:
        worker_id = _id(form)
    except FormError as exc:
        return await _page(request, user, exc.status, exc.message, {k: v[0] for k, v in form.items()}, "worker")
    body: dict[str, Any] = {"team_id": one(form, "team_id"), "role": one(form, "role") or "primary",
                            "active": one(form, "active") == "on"}
    for key in ("name", "phone"):  # blank keeps the stored value
        if one(form, key):
            body[key] = one(form, key)
    changed = [k for k in ("name", "phone") if k in body]
    return await _forward(request, user, form, "worker", "PUT", f"/api/v1/roster/workers/{worker_id}", body,
                          worker_id, f"team={body['team_id']} role={body['role']} active={body['active']} "
                          f"new={'/'.join(changed) or 'none'}", "worker")


@router.post("/roster/workers/{worker_id}/remove")
async def worker_remove(request: Request, worker_id: str, user: User) -> Response:
    form = await admin_post(request, user)
    return await _forward(request, user, form, "", "DELETE", f"/api/v1/roster/workers/{worker_id}", None,
                          worker_id, "deactivated", "removed")


@router.post("/roster/shifts")
async def shift_save(request: Request, user: User) -> Response:
    form = await admin_post(request, user)
    shift_id = one(form, "id")
    body = {"team_id": one(form, "team_id"), "kind": one(form, "kind") or None,
            "on_date": one(form, "on_date") or None, "primary_worker_id": one(form, "primary_worker_id"),
            "backup_worker_id": one(form, "backup_worker_id") or None,
            "supervisor_worker_id": one(form, "supervisor_worker_id") or None, "note": one(form, "note") or None}
    method, path = ("PUT", f"/api/v1/roster/shifts/{shift_id}") if shift_id.isdigit() else (
        "POST", "/api/v1/roster/shifts")
    return await _forward(request, user, form, "shift", method, path, body, shift_id or body["team_id"],
                          " ".join(f"{k}={v}" for k, v in body.items() if k != "note"), "shift")


@router.post("/roster/shifts/{shift_id}/remove")
async def shift_remove(request: Request, shift_id: int, user: User) -> Response:
    form = await admin_post(request, user)
    return await _forward(request, user, form, "", "DELETE", f"/api/v1/roster/shifts/{shift_id}", None,
                          str(shift_id), "deleted", "removed")
