"""Reporting's HTTP API for duty reports: make one, list the archive, download a file."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from sunmoon.events import utcnow

from . import domain
from .reports import archive
from .reports.service import ReportService
from .schemas import aware

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


async def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


async def _service(request: Request) -> ReportService:
    return request.app.state.reports


Pool = Annotated[Any, Depends(_pool)]
Service = Annotated[ReportService, Depends(_service)]
Format = Literal["xlsx", "pdf"]


class ReportRequest(BaseModel):
    since: datetime | None = Field(None, description="Start (inclusive; ISO 8601, KST when no offset)")
    until: datetime | None = Field(None, description="End (exclusive)")
    shift_date: date | None = Field(None, description="Instead of since/until: the shift of this duty date "
                                                      "(its evening, or the whole day on a day off, to the next 09:00)")
    formats: list[Format] = Field(default_factory=lambda: ["xlsx", "pdf"], min_length=1)

    model_config = {"json_schema_extra": {"examples": [
        {"shift_date": "2026-07-14"},
        {"since": "2026-07-01T00:00:00+09:00", "until": "2026-08-01T00:00:00+09:00", "formats": ["xlsx"]}]}}


class ReportFileView(BaseModel):
    format: Format
    media_type: str
    filename: str
    size: int = Field(description="Bytes")
    sha256: str
    url: str


class ReportView(BaseModel):
    id: uuid.UUID
    kind: Literal["shift", "range", "month"]
    since: datetime
    until: datetime
    complaints: int = Field(description="Complaints received in [since, until)")
    automatic: bool = Field(description="Made by the end-of-shift schedule")
    generated_at: datetime
    duration_ms: int | None
    parameters: dict[str, Any]
    files: list[ReportFileView]

    @classmethod
    def of(cls, r: dict[str, Any]) -> ReportView:
        files = [ReportFileView(**{k: f[k] for k in ("format", "media_type", "filename", "size", "sha256")},
                                url=f"/api/v1/reports/{r['id']}/{f['format']}") for f in r["files"]]
        return cls(**{k: r[k] for k in ("id", "kind", "since", "until", "complaints", "automatic", "generated_at",
                                        "duration_ms", "parameters")}, files=files)


class ReportList(BaseModel):
    total: int
    items: list[ReportView]


@router.post("", response_model=ReportView, status_code=201, summary="Make a report now (Excel and/or PDF)",
             responses={422: {"description": "A bad range (since not before until, over 366 days)"}})
async def create_report(body: ReportRequest, pool: Pool, reports: Service) -> ReportView:
    """Makes the report for ``shift_date``'s shift, or for [since, until) (default: the last shift that ended),
    stores it in the archive and announces it (``reporting.report.generated.v1``). A range that is exactly a
    shift is a ``shift`` report, exactly a calendar month a ``month`` report, anything else a ``range`` report."""
    if body.shift_date is not None:
        if body.since or body.until:
            raise HTTPException(422, "give either shift_date or since/until, not both")
        shift = reports.calendar.shift_of(body.shift_date)
        since, until = shift.since, shift.until
    elif body.since is None and body.until is None:
        now = utcnow()
        last = reports.calendar.shifts_ending(now - domain.MAX_RANGE, now)
        since, until = last[-1].since, last[-1].until
    else:
        try:
            span = domain.report_range(aware(body.since), aware(body.until), utcnow())
        except domain.BadRange as exc:
            raise HTTPException(422, str(exc)) from None
        since, until = span.since, span.until
    report = await reports.generate(pool, since=since, until=until, formats=body.formats,
                                    parameters={"requested": "api"})
    assert report is not None  # only automatic reports can lose a race
    return ReportView.of(report)


@router.get("", response_model=ReportList, summary="The report archive, newest first")
async def list_reports(
    pool: Pool,
    kind: Annotated[Literal["shift", "range", "month"] | None, Query()] = None,
    automatic: Annotated[bool | None, Query(description="Only end-of-shift (true) or requested (false)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> ReportList:
    total, rows = await archive.list_reports(pool, limit=limit, offset=offset, kind=kind, automatic=automatic)
    return ReportList(total=total, items=[ReportView.of(r) for r in rows])


@router.get("/{report_id}", response_model=ReportView, summary="One archived report",
            responses={404: {"description": "No such report"}})
async def get_report(report_id: uuid.UUID, pool: Pool) -> ReportView:
    r = await archive.get_report(pool, report_id)
    if r is None:
        raise HTTPException(404, f"no report {report_id}")
    return ReportView.of(r)


def content_disposition(filename: str) -> str:
    """attachment with an ASCII fallback and the Korean name in RFC 5987 form (every browser reads it)."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/{report_id}/{fmt}", summary="Download a report file (xlsx or pdf)",
            response_class=Response, responses={
                200: {"content": {archive.MEDIA_TYPES["xlsx"]: {}, archive.MEDIA_TYPES["pdf"]: {}},
                      "description": "The file, with a Korean file name"},
                404: {"description": "No such report, or not made in this format"}})
async def download(report_id: uuid.UUID, fmt: Format, pool: Pool, request: Request) -> Response:
    f = await archive.get_file(pool, report_id, fmt)
    if f is None:
        raise HTTPException(404, f"report {report_id} has no {fmt} file")
    etag = f'"{f["sha256"]}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(bytes(f["content"]), media_type=f["media_type"], headers={
        "Content-Disposition": content_disposition(f["filename"]), "ETag": etag,
        "Cache-Control": "private, max-age=3600"})
