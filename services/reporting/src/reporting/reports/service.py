"""Making a report: read the range, lay it out (Excel, PDF) off the event loop, archive and announce it;
and the end-of-shift schedule that does so once after every shift, restarts or not.

The schedule keeps its position in ``report_schedule`` (every shift that ended up to ``last_until`` has
its report) and takes a PostgreSQL advisory lock while it works, so with several replicas one makes the
report; the unique index on automatic reports is the last guard. After downtime it makes the reports
of the shifts that ended meanwhile (up to ``catch_up_days`` back).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg

from sunmoon.events import utcnow
from sunmoon.logging import get_logger

from ..settings import ReportingSettings
from ..shifts import Calendar, Shift
from . import archive, queries
from .archive import NewReport, ReportFile

if TYPE_CHECKING:  # the model imports pandas (~60 MiB): only when a report is made
    from . import model

log = get_logger(__name__)
_SCHEDULE_LOCK = 0x52505254  # "RPRT"


class ReportService:
    def __init__(self, settings: ReportingSettings) -> None:
        self.settings = settings
        self.calendar = Calendar.from_settings(settings)
        self.tz = self.calendar.tz
        self._render = asyncio.Semaphore(1)  # one layout at a time: CPU and memory stay bounded
        self.generated = 0

    # -- one report ----------------------------------------------------------------------------------
    def classify(self, since: datetime, until: datetime) -> tuple[str, Shift | None]:
        shift = self.calendar.matching_shift(since, until)
        if shift is not None:
            return "shift", shift
        return ("month" if self.calendar.is_month(since, until) else "range"), None

    def filename(self, kind: str, since: datetime, until: datetime, shift: Shift | None, ext: str) -> str:
        from .model import TITLES

        title = TITLES[kind].replace(" ", "_")
        a, b = since.astimezone(self.tz), until.astimezone(self.tz)
        if shift is not None:
            stamp = shift.duty_date.isoformat()
        elif kind == "month":
            stamp = f"{a:%Y-%m}"
        else:
            stamp = f"{a:%Y%m%d-%H%M}_{b:%Y%m%d-%H%M}"
        return f"{self.settings.city_name}_{title}_{stamp}.{ext}"

    async def generate(self, pool: asyncpg.Pool, *, since: datetime, until: datetime,
                       formats: Sequence[str] | None = None, automatic: bool = False,
                       parameters: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Make, archive and announce one report; its archive entry, or None if an automatic report
        for this shift was made meanwhile by another replica."""
        started = time.perf_counter()
        formats = [f for f in ("xlsx", "pdf") if f in (formats or self.settings.report_formats)]
        kind, shift = self.classify(since, until)
        report_id, generated_at = uuid.uuid4(), utcnow()
        params = {"formats": formats, "timezone": self.settings.timezone, "city": self.settings.city_name,
                  **({"shift_date": shift.duty_date.isoformat(), "shift_kind": shift.kind} if shift else {}),
                  **({"holiday": shift.holiday} if shift and shift.holiday else {}), **(parameters or {})}
        # one snapshot: complaints, their SMS and the weather as of the same instant
        async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            complaint_rows = await queries.complaints(conn, since, until)
            notification_rows = await queries.notifications(conn, since, until)
            surges = await queries.surges(conn, since, until)
            weather = await queries.observations(conn, since, until)
        async with self._render:
            data, files = await asyncio.to_thread(
                self._lay_out, formats, report_id=report_id, city=self.settings.city_name, kind=kind, since=since,
                until=until, tz=self.tz, generated_at=generated_at, automatic=automatic, shift=shift,
                complaint_rows=complaint_rows, notification_rows=notification_rows, surges=surges,
                weather=weather)
        new = NewReport(report_id, kind, since, until, params, data.total, automatic, generated_at,
                        int((time.perf_counter() - started) * 1000), files)
        async with pool.acquire() as conn, conn.transaction():
            stored = await archive.store(conn, new)
            if automatic:
                await archive.advance_schedule(conn, until)
        if not stored:
            log.info("shift report made elsewhere already", since=since.isoformat(), until=until.isoformat())
            return None
        self.generated += 1
        log.info("report generated", report_id=str(report_id), kind=kind, automatic=automatic,
                 complaints=data.total, formats=formats, duration_ms=new.duration_ms)
        return await archive.get_report(pool, report_id)

    def _lay_out(self, formats: Sequence[str], **kw: Any) -> tuple[model.ReportData, list[ReportFile]]:
        from . import model
        from .pdf import render_pdf
        from .xlsx import render_xlsx

        data = model.build(**kw)
        files = []
        for fmt in formats:
            name = self.filename(data.kind, data.since, data.until, data.shift, fmt)
            content = render_xlsx(data) if fmt == "xlsx" else render_pdf(
                data, list_limit=self.settings.pdf_list_limit, compact_from=self.settings.pdf_compact_from)
            files.append(ReportFile(fmt, name, content))
        return data, files

    @staticmethod
    def warm_up() -> None:
        """Import the layout libraries, read the fonts' metrics and lay out a tiny page once."""
        import scipy.spatial  # noqa: F401 - the repeat-places analytic

        from ..fonts import BOLD, MONO
        from . import model
        from .pdf import render_pdf
        from .pdf_list import _advances
        from .xlsx import render_xlsx

        _advances(str(BOLD))
        _advances(str(MONO))
        now = utcnow()
        data = model.build(report_id=uuid.uuid4(), city="-", kind="range", since=now - timedelta(hours=1),
                           until=now, tz=Calendar().tz, generated_at=now, automatic=False, shift=None,
                           complaint_rows=[], notification_rows=[])
        render_xlsx(data)
        render_pdf(data)

    async def warm(self, runtime: Any, stop: asyncio.Event) -> None:
        """Background job (Runtime): warm up a little after start, when the service has settled."""
        delay = self.settings.warm_up_after_seconds
        if delay is None:
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
            return  # stopping before it was time
        try:
            async with self._render:
                started = time.perf_counter()
                await asyncio.to_thread(self.warm_up)
            log.info("report layout warmed up", seconds=round(time.perf_counter() - started, 2))
        except Exception as exc:  # noqa: BLE001 - the first report will simply be slower
            log.warning("report warm-up failed", error=repr(exc))

    # -- the end-of-shift schedule -------------------------------------------------------------------
    async def run_due(self, pool: asyncpg.Pool, now: datetime | None = None) -> list[dict[str, Any]]:
        """Make the reports of every shift that ended (and waited ``report_delay_seconds``) since the last run."""
        now = now or utcnow()
        made: list[dict[str, Any]] = []
        async with pool.acquire() as lock:
            if not await lock.fetchval("SELECT pg_try_advisory_lock($1)", _SCHEDULE_LOCK):
                return made  # another replica is at it
            try:
                cursor = await archive.schedule_cursor(lock, now)
                horizon = now - timedelta(seconds=self.settings.report_delay_seconds)
                oldest = now - timedelta(days=self.settings.catch_up_days)
                for shift in self.calendar.shifts_ending(cursor, horizon):
                    if shift.until < oldest:
                        log.warning("shift too old for its report, skipped", until=shift.until.isoformat())
                        async with lock.transaction():
                            await archive.advance_schedule(lock, shift.until)
                        continue
                    report = await self.generate(pool, since=shift.since, until=shift.until, automatic=True)
                    if report is not None:
                        made.append(report)
            finally:
                await lock.fetchval("SELECT pg_advisory_unlock($1)", _SCHEDULE_LOCK)
        return made

    async def schedule(self, runtime: Any, stop: asyncio.Event) -> None:
        """Background job (Runtime): look for ended shifts every ``schedule_poll_seconds``."""
        if not self.settings.auto_reports:
            return
        while not stop.is_set():
            try:
                await self.run_due(runtime.pool)
            except Exception as exc:  # noqa: BLE001 - database away, a bug: log, try again next round
                log.error("shift report failed, will retry", error=repr(exc))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.schedule_poll_seconds)
