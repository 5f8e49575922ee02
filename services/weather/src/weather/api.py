"""Weather's HTTP API (FastAPI). OpenAPI docs at /docs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response

from sunmoon.events import utcnow

from . import domain, handlers, repository
from .schemas import ObservationIn, ObservationList, ObservationOut, ObservationRecordedOut, aware

router = APIRouter(prefix="/api/v1", tags=["observations"])
MAX_RANGE = timedelta(days=31)


async def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


Pool = Annotated[Any, Depends(_pool)]
NX = Annotated[int, Query(ge=domain.NX_MIN, le=domain.NX_MAX, description="KMA grid column (1-149)")]
NY = Annotated[int, Query(ge=domain.NY_MIN, le=domain.NY_MAX, description="KMA grid row (1-253)")]


@router.post("/observations", response_model=ObservationRecordedOut, status_code=201,
             summary="Record one observation",
             responses={200: {"description": "Already known: updated, or unchanged"},
                        422: {"description": "Invalid field (the message names it)"}})
async def record_observation(body: ObservationIn, response: Response, pool: Pool) -> ObservationRecordedOut:
    """Stores the observation for its grid cell and announces it as `weather.observation.recorded.v1`
    (through the outbox, in the same transaction). The same cell, time and source again updates
    the row instead of adding one; identical values change nothing and announce nothing."""
    async with pool.acquire() as conn, conn.transaction():
        row, outcome = await handlers.record_observation(conn, body.to_command())
    if outcome != "created":
        response.status_code = 200
    return ObservationRecordedOut(**ObservationOut.from_row(row).model_dump(), outcome=outcome)


@router.get("/observations/latest", response_model=ObservationOut, summary="The latest observation of a grid cell",
            responses={404: {"description": "Nothing recorded for this cell"}})
async def latest_observation(nx: NX, ny: NY, pool: Pool) -> ObservationOut:
    row = await repository.latest(pool, nx, ny)
    if row is None:
        raise HTTPException(404, f"no observation recorded for grid cell ({nx}, {ny})")
    return ObservationOut.from_row(row)


@router.get("/observations", response_model=ObservationList, summary="Observations of a grid cell in a time range",
            responses={422: {"description": "Bad cell or range"}})
async def list_observations(
    nx: NX, ny: NY, pool: Pool,
    since: Annotated[datetime | None, Query(description="observed_at >= since (default: until - 24 h)")] = None,
    until: Annotated[datetime | None, Query(description="observed_at < until (default: now)")] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> ObservationList:
    """Oldest first. Times without an offset are KST. The range may span at most 31 days."""
    until = aware(until) if until else utcnow()
    since = aware(since) if since else until - timedelta(hours=24)
    if since >= until:
        raise HTTPException(422, "since must be before until")
    if until - since > MAX_RANGE:
        raise HTTPException(422, f"the range may span at most {MAX_RANGE.days} days")
    rows = await repository.between(pool, nx, ny, since, until, limit)
    return ObservationList(nx=nx, ny=ny, since=since, until=until, items=[ObservationOut.from_row(r) for r in rows])


def install(app: FastAPI) -> None:
    app.include_router(router)
