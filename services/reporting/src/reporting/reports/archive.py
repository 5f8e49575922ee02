"""The report archive and the end-of-shift schedule: their SQL.

A report and its files are stored in one transaction together with the ReportGenerated event
(outbox), so a report is announced exactly when it is kept.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sunmoon.events import REPORT_GENERATED, make_envelope
from sunmoon.events.reporting import ReportGenerated
from sunmoon.messaging import add_to_outbox

Db = asyncpg.Connection | asyncpg.Pool
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
SHIFT_SCHEDULE = "shift"
_REPORT_COLUMNS = "id, kind, since, until, parameters, formats, complaints, automatic, generated_at, duration_ms"


@dataclass(frozen=True)
class ReportFile:
    format: str
    filename: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


@dataclass(frozen=True)
class NewReport:
    id: uuid.UUID
    kind: str
    since: datetime
    until: datetime
    parameters: dict[str, Any]
    complaints: int
    automatic: bool
    generated_at: datetime
    duration_ms: int
    files: list[ReportFile]


async def store(conn: asyncpg.Connection, r: NewReport) -> bool:
    """Keep the report and its files and outbox ReportGenerated; False when an automatic report
    for this shift exists already (another replica made it). Call inside a transaction."""
    inserted = await conn.fetchval(
        "INSERT INTO reports (id, kind, since, until, parameters, formats, complaints, automatic, generated_at,"
        " duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (since, until) WHERE automatic DO NOTHING RETURNING true",
        r.id, r.kind, r.since, r.until, r.parameters,  # jsonb: the pool's codec encodes it
        [f.format for f in r.files], r.complaints, r.automatic, r.generated_at, r.duration_ms)
    if not inserted:
        return False
    await conn.executemany(
        "INSERT INTO report_files (report_id, format, media_type, filename, size, sha256, content)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [(r.id, f.format, f.media_type, f.filename, len(f.content), f.sha256, f.content) for f in r.files])
    event = ReportGenerated(report_id=r.id, kind=r.kind, since=r.since, until=r.until,
                            formats=[f.format for f in r.files], complaints=r.complaints,
                            sha256={f.format: f.sha256 for f in r.files}, generated_at=r.generated_at,
                            automatic=r.automatic)
    await add_to_outbox(conn, make_envelope(REPORT_GENERATED, event, correlation_id=r.id))
    return True


def _report(row: asyncpg.Record, files: list[asyncpg.Record]) -> dict[str, Any]:
    out = dict(row)
    params = out["parameters"]
    out["parameters"] = json.loads(params) if isinstance(params, str) else (params or {})
    out["files"] = [dict(f) for f in files]
    return out


async def list_reports(db: Db, *, limit: int, offset: int, kind: str | None = None,
                       automatic: bool | None = None) -> tuple[int, list[dict[str, Any]]]:
    where = "($1::text IS NULL OR kind = $1) AND ($2::boolean IS NULL OR automatic = $2)"
    total = await db.fetchval(f"SELECT count(*) FROM reports WHERE {where}", kind, automatic)
    rows = await db.fetch(
        f"SELECT {_REPORT_COLUMNS} FROM reports WHERE {where} ORDER BY generated_at DESC, id LIMIT $3 OFFSET $4",
        kind, automatic, limit, offset)
    files = await db.fetch(
        "SELECT report_id, format, media_type, filename, size, sha256 FROM report_files"
        " WHERE report_id = ANY($1::uuid[]) ORDER BY format DESC", [r["id"] for r in rows])
    by_report: dict[uuid.UUID, list[asyncpg.Record]] = {}
    for f in files:
        by_report.setdefault(f["report_id"], []).append(f)
    return total, [_report(r, by_report.get(r["id"], [])) for r in rows]


async def get_report(db: Db, report_id: uuid.UUID) -> dict[str, Any] | None:
    row = await db.fetchrow(f"SELECT {_REPORT_COLUMNS} FROM reports WHERE id = $1", report_id)
    if row is None:
        return None
    files = await db.fetch("SELECT report_id, format, media_type, filename, size, sha256 FROM report_files"
                           " WHERE report_id = $1 ORDER BY format DESC", report_id)
    return _report(row, files)


async def get_file(db: Db, report_id: uuid.UUID, fmt: str) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT media_type, filename, size, sha256, content FROM report_files WHERE report_id = $1 AND format = $2",
        report_id, fmt)


# -- the schedule --------------------------------------------------------------------------------------
async def schedule_cursor(db: Db, now: datetime) -> datetime:
    """Up to when every shift has its report; a new schedule starts now (no reports for the past)."""
    await db.execute("INSERT INTO report_schedule (name, last_until) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                     SHIFT_SCHEDULE, now)
    return await db.fetchval("SELECT last_until FROM report_schedule WHERE name = $1", SHIFT_SCHEDULE)


async def advance_schedule(conn: asyncpg.Connection, until: datetime) -> None:
    await conn.execute(
        "UPDATE report_schedule SET last_until = GREATEST(last_until, $2), updated_at = now() WHERE name = $1",
        SHIFT_SCHEDULE, until)
