"""Reporting's analytics API: GET /api/v1/analytics/{name} as JSON, CSV or Excel."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel

from sunmoon.events import utcnow

from .analytics import export
from .analytics.service import CATALOG, default_range
from .schemas import aware

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class AnalyticInfo(BaseModel):
    name: str
    title: str
    description: str
    default_days: int
    max_days: int
    url: str


@router.get("", response_model=list[AnalyticInfo], summary="The analytics on offer")
async def catalogue() -> list[AnalyticInfo]:
    return [AnalyticInfo(name=a.name, title=a.title, description=a.description, default_days=a.default_days,
                         max_days=a.max_days, url=f"/api/v1/analytics/{a.name}") for a in CATALOG.values()]


@router.get("/{name}", summary="One analytic over [since, until): JSON, or ?format=csv / xlsx to export",
            response_class=Response, responses={
                200: {"content": {MEDIA["json"]: {}, "text/csv": {}, MEDIA["xlsx"]: {}},
                      "description": "JSON: {name, title, since, until, parameters, notes, columns, rows}"},
                404: {"description": "No analytic of that name (GET /api/v1/analytics lists them)"},
                422: {"description": "A bad range"}})
async def analytic(
    request: Request,
    name: Annotated[str, Path(description="patterns, repeat-places, response-times, weather or trends")],
    since: Annotated[datetime | None, Query(description="ISO 8601, KST when no offset; default per analytic")] = None,
    until: Annotated[datetime | None, Query(description="Default: now")] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",  # noqa: A002 - the public name
    radius_m: Annotated[float, Query(ge=5, le=500, description="repeat-places: the radius")] = 50.0,
    min_count: Annotated[int, Query(ge=2, le=100, description="repeat-places: complaints that make a place")] = 3,
) -> Response:
    a = CATALOG.get(name)
    if a is None:
        raise HTTPException(404, f"no analytic {name!r}; there are: {', '.join(CATALOG)}")
    reports = request.app.state.reports
    tz, now = reports.tz, utcnow()
    until = aware(until) or now
    since = aware(since) or default_range(a, until, tz)[0]
    if since >= until:
        raise HTTPException(422, "since must be before until")
    if until - since > timedelta(days=a.max_days):
        raise HTTPException(422, f"{name} covers at most {a.max_days} days")
    started = time.perf_counter()
    df, notes = await a.run(request.app.state.runtime.pool, since, until, tz, radius_m=radius_m,
                            min_count=min_count)
    params: dict[str, Any] = {"radius_m": radius_m, "min_count": min_count} if name == "repeat-places" else {}
    if format == "json":
        meta = {"name": a.name, "title": a.title, "since": since, "until": until, "generated_at": now,
                "duration_ms": int((time.perf_counter() - started) * 1000), "parameters": params, "notes": notes}
        return Response(await asyncio.to_thread(export.to_json, meta, df, tz), media_type=MEDIA["json"])
    city = reports.settings.city_name
    stem = f"{city}_분석_{a.name}_{since.astimezone(tz):%Y%m%d}-{until.astimezone(tz):%Y%m%d}"
    # off the event loop: an Excel sheet of 30,000 rows takes seconds, and the consumers share this loop
    body = await (asyncio.to_thread(export.to_csv, df, tz) if format == "csv"
                  else asyncio.to_thread(export.to_xlsx, df, tz, sheet=a.name, title=a.title))
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in stem)
    disposition = f"attachment; filename=\"{fallback}.{format}\"; filename*=UTF-8''{quote(f'{stem}.{format}')}"
    return Response(body, media_type=MEDIA[format], headers={"Content-Disposition": disposition})
