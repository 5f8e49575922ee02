"""The desk's JSON endpoints and its live feed (server-sent events fed from intake's own database).

The feed polls ``complaints.updated_at`` once a second (every status change, classification and correction
sets it), sends the rows that changed, and each board merges them by id: no reloading, no broker needed
in the browser. Polling rather than LISTEN/NOTIFY keeps intake's handlers (owned elsewhere) untouched.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse

from sunmoon.crypto import DecryptionError
from sunmoon.events.classifier import COMPLAINT_TYPES
from sunmoon.logging import get_logger

from .. import access_records
from .. import repository as complaints
from . import auth
from . import repository as desk_repo
from .auth import DeskUser, current_user
from .rules import OverdueLimits, night_start
from .views import board_item

log = get_logger(__name__)
router = APIRouter(prefix="/desk", include_in_schema=False)
User = Annotated[DeskUser, Depends(current_user)]
POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
RECHECK_SESSION_SECONDS = 30.0
STREAM_MAX_SECONDS = 600.0  # the browser's EventSource reconnects by itself


def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


def _limits(request: Request) -> OverdueLimits:
    return OverdueLimits.from_settings(request.app.state.settings)


@router.post("/api/preview")
async def preview(request: Request, user: User, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    auth.require_csrf(request, user)
    text = body.get("text")
    if not isinstance(text, str):
        raise HTTPException(422, "text is required")
    return await request.app.state.desk.preview.classify(text)


@router.get("/api/manuals/{type_}")
async def manual(request: Request, type_: str, user: User) -> dict[str, Any]:
    if type_ not in COMPLAINT_TYPES:
        raise HTTPException(404, "unknown type")
    found = await request.app.state.desk.preview.manual(type_)
    return {"known": found is not None, "manual": found}


@router.get("/api/board")
async def board(request: Request, user: User) -> dict[str, Any]:
    pool = _pool(request)
    now = await desk_repo.now(pool)
    since = night_start(now)
    rows = await desk_repo.tonight(pool, since)
    limits = _limits(request)
    labels = await request.app.state.desk.types.current()
    return {"since": since.isoformat(), "now": now.isoformat(), "overdue_minutes": limits.as_dict(),
            "items": [board_item(r, now, limits, labels) for r in rows]}


@router.post("/api/complaints/{complaint_id}/reveal")
async def reveal(request: Request, complaint_id: uuid.UUID, user: User,
                 body: Annotated[dict[str, Any], Body()]) -> JSONResponse:
    """Show a complaint's caller name and phone in clear; who, when, from where, what and why are
    appended to the access records' hash chain (``intake.access_records``) in the same transaction, first."""
    auth.require_csrf(request, user)
    reason = body.get("reason")
    if not isinstance(reason, str) or len(reason.strip()) < 2 or len(reason) > 300:
        raise HTTPException(422, "열람 사유를 2자 이상 적어 주세요.")
    pool = _pool(request)
    cipher = request.app.state.cipher
    async with pool.acquire() as conn, conn.transaction():
        row = await complaints.get(conn, complaint_id)
        if row is None:
            raise HTTPException(404, "no such complaint")
        fields = [c for c in ("complainant_name", "complainant_phone") if row[f"{c}_enc"] is not None]
        if not fields:
            raise HTTPException(404, "this complaint holds no personal data")
        await access_records.append(conn, access_records.Actor(user.name, user.role, user.id, auth.client_ip(request)),
                                    "reveal", complaint_id=complaint_id, fields=fields, reason=reason.strip())
    out: dict[str, str | None] = {}
    for column in ("complainant_name", "complainant_phone"):
        blob = row[f"{column}_enc"]
        try:
            out[column.removeprefix("complainant_")] = None if blob is None else cipher.decrypt(
                blob, table="complaints", column=column, row_id=complaint_id).reveal()
        except DecryptionError:
            out[column.removeprefix("complainant_")] = "[복호화 실패]"
    log.info("personal data revealed", complaint_id=str(complaint_id), user=user.name, fields=fields)
    return JSONResponse(out, headers={"cache-control": "no-store"})


@router.get("/events")
async def events(request: Request, user: User) -> StreamingResponse:
    pool = _pool(request)
    limits = _limits(request)
    settings = request.app.state.settings
    token = request.cookies.get(auth.SESSION_COOKIE)
    stopping: asyncio.Event = request.app.state.runtime.stop_event  # set when intake's lifespan ends
    # ...but uvicorn ends the lifespan only after open responses finish: on SIGTERM or Ctrl-C it flags its
    # Server (the installed signal handler is that Server's bound ``handle_exit``) and waits for connections
    # up to its graceful time-out. The stream watches that flag too, so an open board never delays a stop.
    import signal

    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)

    def exiting() -> bool:
        return stopping.is_set() or bool(getattr(server, "should_exit", False))

    async def stream() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        started = last_beat = last_check = loop.time()
        watermark: datetime = await desk_repo.now(pool)
        sent: dict[str, str] = {}
        yield "retry: 2000\n\n"
        while not exiting() and loop.time() - started < STREAM_MAX_SECONDS:
            if await request.is_disconnected():
                return
            if loop.time() - last_check > RECHECK_SESSION_SECONDS:
                last_check = loop.time()
                if await auth.load_session(pool, token, idle_minutes=settings.session_idle_minutes) is None:
                    yield "event: signed-out\ndata: {}\n\n"
                    return
            rows = await desk_repo.changed_since(pool, watermark)
            now = await desk_repo.now(pool)
            fresh = [r for r in rows if sent.get(str(r["id"])) != r["updated_at"].isoformat()]
            if fresh:
                for r in fresh:
                    sent[str(r["id"])] = r["updated_at"].isoformat()
                watermark = max(r["updated_at"] for r in rows)
                items = [board_item(r, now, limits, request.app.state.desk.types.now()) for r in fresh]
                yield f"event: complaints\ndata: {json.dumps({'items': items}, ensure_ascii=False)}\n\n"
            elif loop.time() - last_beat > HEARTBEAT_SECONDS:
                last_beat = loop.time()
                yield ": keep-alive\n\n"
            if len(sent) > 5000:
                sent.clear()
            try:
                await asyncio.wait_for(stopping.wait(), timeout=POLL_SECONDS)
            except TimeoutError:
                pass

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"cache-control": "no-store", "x-accel-buffering": "no"})


# The side panel (on-call worker, weather, duplicates) and the dispatch controls live in desk_api.py.
from .desk_api import router as _desk_api  # noqa: E402

router.include_router(_desk_api)
