"""Reporting's HTTP API (FastAPI). OpenAPI docs at /docs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request

from sunmoon.events import utcnow

from . import domain, repository
from .schemas import ComplaintView, Summary, aware

router = APIRouter(prefix="/api/v1", tags=["reports"])


async def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


Pool = Annotated[Any, Depends(_pool)]


@router.get("/summary", response_model=Summary, summary="Complaint counts by status, type and urgency",
            responses={422: {"description": "since not before until, or a range over 366 days"}})
async def summary(
    pool: Pool,
    since: Annotated[datetime | None, Query(description="received_at >= since (ISO 8601; default: until - 24 h)")]
    = None,
    until: Annotated[datetime | None, Query(description="received_at < until (ISO 8601; default: now)")] = None,
) -> Summary:
    """Counts the complaints received in [since, until). Times without an offset are KST.
    Every status, type and urgency appears, with 0 when there is none; complaints the classifier
    has not reached yet count as `unclassified`."""
    try:
        span = domain.report_range(aware(since), aware(until), utcnow())
    except domain.BadRange as exc:
        raise HTTPException(422, str(exc)) from None
    counts = domain.summarize(await repository.summary_groups(pool, span.since, span.until))
    return Summary(since=span.since, until=span.until, **counts)


@router.get("/complaints/{complaint_id}", response_model=ComplaintView, summary="One complaint in the read model",
            responses={404: {"description": "No event about this complaint has arrived"}})
async def get_complaint(complaint_id: uuid.UUID, pool: Pool) -> ComplaintView:
    row = await repository.get(pool, complaint_id)
    if row is None:
        raise HTTPException(404, f"no complaint {complaint_id} in the read model")
    return ComplaintView.from_row(row)


def install(app: FastAPI) -> None:
    app.include_router(router)
