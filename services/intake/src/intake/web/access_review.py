"""The supervisor's monthly review of access records (/desk/access-log/review); viewing it is itself recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from .. import access_records, access_review
from . import auth
from .auth import DeskUser, current_user

router = APIRouter(prefix="/desk", include_in_schema=False)
User = Annotated[DeskUser, Depends(current_user)]


def actor_of(request: Request, user: DeskUser) -> access_records.Actor:
    return access_records.Actor(user.name, user.role, user.id, auth.client_ip(request))


@router.get("/access-log/review", response_class=HTMLResponse)
async def review_page(request: Request, user: User, month: str | None = None, check: bool = False) -> HTMLResponse:
    """``check=1`` also walks the whole hash chain (seconds for hundreds of thousands of records)."""
    auth.require_role(user, "supervisor", "admin")
    templates = request.app.state.desk.templates
    month = month or datetime.now(access_review.KST).strftime("%Y-%m")
    try:
        access_review.month_range(month)
    except access_review.BadMonth as exc:
        return templates.TemplateResponse(request, "error.html", {"user": user, "message": str(exc)},
                                          status_code=422)
    pool = request.app.state.runtime.pool
    async with pool.acquire() as conn:
        async with conn.transaction():
            await access_records.append(conn, actor_of(request, user), "report",
                                        reason=f"접속기록 월간 점검 {month} 화면 조회")
        review = await access_review.build(conn, month)
        if check:
            verdict = await access_records.verify(conn)
            review.chain_ok, review.chain_text = verdict.ok, verdict.describe()
    response = templates.TemplateResponse(
        request, "access_review.html",
        {"user": user, "page": "access-log", "dashboard_url": request.app.state.settings.dashboard_url,
         "r": review, "labels": access_review.ACTION_LABELS, "kst": access_review.kst_text})
    response.headers["cache-control"] = "no-store"
    return response
