"""The desk users screen (/desk/admin/users): list, create, change role, reset password, disable, enable.

Intake owns these (``desk_users``). Every change ends the user's sessions (a changed role or password takes
effect at once) and is recorded in ``desk_admin_log``. An administrator cannot change their own role or
disable themselves, and the last active administrator cannot be demoted or disabled, so the desk always
has somebody who can administer it.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from . import admin_gateway as gw
from . import auth
from .admin import FormError, User, admin_post, done, one, render, router
from .auth import NAME_PATTERN, ROLES, DeskUser

PAGE = "/desk/admin/users"


async def _users(pool: Any) -> list[Any]:
    return await pool.fetch(
        "SELECT u.id, u.name, u.role, u.disabled, u.created_at, u.password_changed_at,"
        " (SELECT count(*) FROM desk_sessions s WHERE s.user_id = u.id AND s.expires_at > now()) AS sessions"
        " FROM desk_users u ORDER BY u.disabled, u.name")


async def _page(request: Request, user: DeskUser, status: int = 200, error: str | None = None,
                form: dict[str, str] | None = None) -> HTMLResponse:
    from .views import kst

    return render(request, "admin_users.html", user, status, users=await _users(request.app.state.runtime.pool),
                  roles=ROLES, error=error, form=form or {}, kst=kst, min_length=auth.MIN_PASSWORD_LENGTH)


@router.get("/users", response_class=HTMLResponse)
async def users_page(request: Request, user: User) -> HTMLResponse:
    auth.require_role(user, "admin")
    return await _page(request, user)


async def _target(conn: Any, user_id: int) -> Any:
    row = await conn.fetchrow("SELECT id, name, role, disabled FROM desk_users WHERE id = $1 FOR UPDATE", user_id)
    if row is None:
        raise FormError("그런 사용자가 없습니다.", 404)
    return row


async def _other_admins(conn: Any, user_id: int) -> int:
    return await conn.fetchval("SELECT count(*) FROM desk_users WHERE role = 'admin' AND NOT disabled AND id <> $1",
                               user_id)


async def _change(request: Request, user: DeskUser, user_id: int, action: str, form: dict[str, list[str]]) -> str:
    """Apply one change to a user in a transaction (sessions ended); returns the notice key."""
    pool = request.app.state.runtime.pool
    async with pool.acquire() as conn, conn.transaction():
        target = await _target(conn, user_id)
        if action in ("role", "disable") and target["id"] == user.id:
            raise FormError("자기 자신의 역할을 바꾸거나 사용 중지할 수 없습니다. 다른 관리자에게 부탁해 주세요.", 409)
        if action == "role":
            role = one(form, "role")
            if role not in ROLES:
                raise FormError(f"알 수 없는 역할입니다: {role}")
            if target["role"] == "admin" and role != "admin" and not await _other_admins(conn, user_id):
                raise FormError("마지막 관리자의 역할은 바꿀 수 없습니다.", 409)
            await conn.execute("UPDATE desk_users SET role = $2 WHERE id = $1", user_id, role)
            detail, notice = f"role {target['role']} -> {role}", "role"
        elif action == "password":
            password = (form.get("password") or [""])[0]
            problem = auth.password_problem(password)
            if problem:
                raise FormError(f"비밀번호는 {auth.MIN_PASSWORD_LENGTH}자 이상이어야 하고 앞뒤에 공백이 없어야 합니다.")
            if password != (form.get("password2") or [""])[0]:
                raise FormError("두 비밀번호가 다릅니다.")
            await conn.execute("UPDATE desk_users SET password_hash = $2, password_changed_at = now() WHERE id = $1",
                               user_id, auth.hash_password(password))
            detail, notice = "password reset", "password"
        elif action in ("disable", "enable"):
            if action == "disable" and target["role"] == "admin" and not await _other_admins(conn, user_id):
                raise FormError("마지막 관리자는 사용 중지할 수 없습니다.", 409)
            await conn.execute("UPDATE desk_users SET disabled = $2 WHERE id = $1", user_id, action == "disable")
            detail, notice = action + "d", action + "d"
        else:
            raise FormError("알 수 없는 작업입니다.", 404)
        await conn.execute("DELETE FROM desk_sessions WHERE user_id = $1", user_id)
        await gw.record(conn, user, "intake", f"user.{action}", target["name"], 200, detail, auth.client_ip(request))
    return notice


@router.post("/users")
async def user_create(request: Request, user: User) -> Response:
    form = await admin_post(request, user)
    name, role = one(form, "name"), one(form, "role")
    password = (form.get("password") or [""])[0]
    pool = request.app.state.runtime.pool
    try:
        if not re.match(NAME_PATTERN, name):
            raise FormError("이름은 영문, 숫자, '.', '_', '-'로 2~40자입니다.")
        if role not in ROLES:
            raise FormError("역할을 골라 주세요.")
        if auth.password_problem(password):
            raise FormError(f"비밀번호는 {auth.MIN_PASSWORD_LENGTH}자 이상이어야 하고 앞뒤에 공백이 없어야 합니다.")
        if password != (form.get("password2") or [""])[0]:
            raise FormError("두 비밀번호가 다릅니다.")
        async with pool.acquire() as conn, conn.transaction():
            try:
                await auth.save_user(conn, name, role, password, update=False)
            except LookupError:
                raise FormError(f"이미 있는 이름입니다: {name}", 409) from None
            await gw.record(conn, user, "intake", "user.create", name, 200, f"role {role}", auth.client_ip(request))
    except FormError as exc:
        return await _page(request, user, exc.status, exc.message, {"name": name, "role": role})
    return done(PAGE, "user")


@router.post("/users/{user_id}/{action}")
async def user_change(request: Request, user_id: int, action: str, user: User) -> Response:
    form = await admin_post(request, user)
    try:
        notice = await _change(request, user, user_id, action, form)
    except FormError as exc:
        return await _page(request, user, exc.status, exc.message)
    return done(PAGE, notice)
