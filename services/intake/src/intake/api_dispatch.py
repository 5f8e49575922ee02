"""HTTP routes for duplicates, linking and the officer's dispatch controls (rules in dispatch.py).

Mounted before ``api.py``'s routes, so ``/complaints/duplicates`` is not read as a complaint id.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Query

from sunmoon.events import utcnow
from sunmoon.events.classifier import COMPLAINT_TYPES

from . import dispatch, dispatch_handlers, domain, handlers, repository
from .api import NOT_FOUND, Cipher, Pool, get_complaint
from .schemas import ComplaintOut, DispatchIn, DuplicateOut, DuplicatesOut, HoldIn, LinkIn

router = APIRouter(prefix="/api/v1", tags=["dispatch"])
REFUSED = {409: {"description": "Not possible in the complaint's state (the message says why, in Korean)"}}
WithinM = Annotated[float, Query(gt=0, le=5000, description="Radius in metres")]
Hours = Annotated[int, Query(ge=1, le=168, description="Received within the last hours")]


async def find_duplicates(pool: Any, *, lat: float, lon: float, type_: str, within_m: float = 300,
                          hours: int = 24, exclude: uuid.UUID | None = None) -> DuplicatesOut:
    """Open complaints of the type near the point, nearest first (also used by the desk's form)."""
    if type_ not in COMPLAINT_TYPES:
        raise HTTPException(422, f"unknown type {type_!r}; one of: {', '.join(COMPLAINT_TYPES)}")
    rows = await repository.duplicates(pool, lat=lat, lon=lon, type_=type_, since=utcnow() - timedelta(hours=hours),
                                       within_m=within_m, box=dispatch.bounding_box(lat, lon, within_m),
                                       exclude=exclude)
    items = [DuplicateOut(
        id=r["id"], distance_m=round(r["distance_m"], 1), status=r["status"], type=r["type"] or r["suggested_type"],
        type_label=COMPLAINT_TYPES.get(r["type"] or r["suggested_type"] or ""), urgency=r["urgency"],
        received_at=r["received_at"], district=r["district"], address=r["address"],
        summary=domain.summary_of(r["description"], 60), duplicate_of=r["duplicate_of"],
    ) for r in rows]
    return DuplicatesOut(items=items, within_m=within_m, hours=hours)


@router.get("/complaints/duplicates", response_model=DuplicatesOut,
            responses={422: {"description": "Bad point or unknown type"}},
            summary="Possible duplicates: open complaints of this type near a point, nearest first")
async def duplicates_near(
    pool: Pool,
    lat: Annotated[float, Query(ge=33.0, le=39.0, description="WGS84 latitude")],
    lon: Annotated[float, Query(ge=124.0, le=132.0, description="WGS84 longitude")],
    type: Annotated[str, Query(description="Complaint type code (a complaint's type, or its suggested type)")],
    within_m: WithinM = 300, hours: Hours = 24,
) -> DuplicatesOut:
    """What the desk's form shows while the officer types: not resolved, same type (or suggested type),
    received in the last ``hours``, within ``within_m`` metres (haversine), with the distance."""
    return await find_duplicates(pool, lat=lat, lon=lon, type_=type, within_m=within_m, hours=hours)


@router.get("/complaints/{complaint_id}/duplicates", response_model=DuplicatesOut,
            responses={**NOT_FOUND, 409: {"description": "The complaint has no place or no type yet"}},
            summary="Possible duplicates of a filed complaint")
async def duplicates_of(complaint_id: uuid.UUID, pool: Pool, within_m: WithinM = 300,
                        hours: Hours = 24) -> DuplicatesOut:
    row = await repository.get(pool, complaint_id)
    if row is None:
        raise HTTPException(404, f"no complaint {complaint_id}")
    type_ = row["type"] or row["suggested_type"]
    if row["lat"] is None or type_ is None:
        raise HTTPException(409, "위치(좌표)나 유형이 없어 중복을 찾을 수 없습니다. (no point or no type yet)")
    found = await find_duplicates(pool, lat=row["lat"], lon=row["lon"], type_=type_, within_m=within_m,
                                  hours=hours, exclude=complaint_id)
    found.items = [d for d in found.items if d.duplicate_of != complaint_id]  # its own duplicates are linked
    return found


@router.post("/complaints/{complaint_id}/link", response_model=ComplaintOut,
             responses={**NOT_FOUND, **REFUSED}, summary="Link a complaint to another as its duplicate")
async def link_complaint(complaint_id: uuid.UUID, body: LinkIn, pool: Pool, cipher: Cipher) -> ComplaintOut:
    """Only while the complaint has not been dispatched itself. It then shares the primary's dispatch
    (nobody is texted for it) and follows its status; a chain links to the root primary.
    Announces ``intake.complaint.linked.v1``."""
    try:
        async with pool.acquire() as conn, conn.transaction():
            await dispatch_handlers.link(conn, complaint_id, body.primary_id, "officer")
    except handlers.NotFound as exc:
        raise HTTPException(404, f"no complaint {exc.args[0]}") from None
    except dispatch.Refused as exc:
        raise HTTPException(409, str(exc)) from None
    return await get_complaint(complaint_id, pool, cipher)


@router.post("/complaints/{complaint_id}/hold", response_model=ComplaintOut,
             responses={**NOT_FOUND, **REFUSED}, summary="Hold: do not dispatch automatically")
async def hold_complaint(complaint_id: uuid.UUID, body: HoldIn, pool: Pool, cipher: Cipher) -> ComplaintOut:
    """A held complaint is classified as usual but not dispatched — not even an urgent one — until an
    officer dispatches it. Refused (409) once the dispatch was requested (an urgent complaint is
    requested as soon as it is classified, so hold it before that)."""
    try:
        async with pool.acquire() as conn, conn.transaction():
            await dispatch_handlers.hold(conn, complaint_id, body.reason)
    except handlers.NotFound:
        raise HTTPException(404, f"no complaint {complaint_id}") from None
    except dispatch.Refused as exc:
        raise HTTPException(409, str(exc)) from None
    return await get_complaint(complaint_id, pool, cipher)


@router.post("/complaints/{complaint_id}/dispatch", response_model=ComplaintOut,
             responses={**NOT_FOUND, **REFUSED, 422: {"description": "Bad worker id"}},
             summary="Dispatch now, or re-dispatch to another worker")
async def dispatch_complaint(complaint_id: uuid.UUID, pool: Pool, cipher: Cipher,
                             body: DispatchIn | None = None) -> ComplaintOut:
    """Not dispatched yet (held, unsure, waiting): dispatch now, to ``worker_id`` or the roster's choice.
    Dispatched already: re-dispatch to ``worker_id`` (required, someone else) — a new SMS; the earlier
    notification's escalation stops. Announces ``intake.complaint.dispatch_requested.v1`` with
    ``attempt``, ``worker_id``, ``redispatch_of`` and the linked complaints."""
    body = body or DispatchIn()
    try:
        async with pool.acquire() as conn, conn.transaction():
            await dispatch_handlers.officer_dispatch(conn, cipher, complaint_id, body.worker_id, body.note)
    except handlers.NotFound:
        raise HTTPException(404, f"no complaint {complaint_id}") from None
    except dispatch.Refused as exc:
        raise HTTPException(409, str(exc)) from None
    return await get_complaint(complaint_id, pool, cipher)


def install(app: FastAPI) -> None:
    app.include_router(router)
