"""python -m reporting — the read model, its summaries, duty reports and analytics."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from sunmoon.cli import run_uvicorn, service_main

from .bootstrap import MIGRATIONS, create_app
from .settings import ReportingSettings


def _report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shift-date", type=date.fromisoformat, metavar="YYYY-MM-DD",
                   help="the shift of this duty date (default: the last shift that ended)")
    p.add_argument("--since", type=datetime.fromisoformat, help="start (ISO 8601; KST without an offset)")
    p.add_argument("--until", type=datetime.fromisoformat, help="end, exclusive")
    p.add_argument("--formats", default="xlsx,pdf", help="xlsx, pdf or both (default xlsx,pdf)")
    p.add_argument("--out", type=Path, help="also write the files into this folder")


async def _report(settings: ReportingSettings, args: argparse.Namespace) -> int:
    """Make a report now, archive it (and announce it through the outbox, for the running service's relay)."""
    from sunmoon.db import create_pool, migrate
    from sunmoon.events import utcnow

    from . import domain
    from .reports import archive
    from .reports.service import ReportService
    from .schemas import aware

    reports = ReportService(settings)
    if args.shift_date:
        shift = reports.calendar.shift_of(args.shift_date)
        since, until = shift.since, shift.until
    elif args.since or args.until:
        try:
            span = domain.report_range(aware(args.since), aware(args.until), utcnow())
        except domain.BadRange as exc:
            print(f"reporting: {exc}", file=sys.stderr)
            return 2
        since, until = span.since, span.until
    else:
        now = utcnow()
        shift = reports.calendar.shifts_ending(now - domain.MAX_RANGE, now)[-1]
        since, until = shift.since, shift.until
    await migrate(settings.database_url, MIGRATIONS, label=settings.service_name)
    pool = await create_pool(settings.database_url, max_size=2)
    try:
        report = await reports.generate(pool, since=since, until=until, formats=args.formats.split(","),
                                        parameters={"requested": "cli"})
        print(f"report {report['id']} ({report['kind']}, {report['complaints']} complaints, "
              f"{report['duration_ms']} ms)")
        for f in report["files"]:
            line = f"  {f['format']}: {f['filename']} ({f['size']:,} bytes, sha256 {f['sha256'][:16]}…)"
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                row = await archive.get_file(pool, report["id"], f["format"])
                (args.out / f["filename"]).write_bytes(bytes(row["content"]))
                line += f" -> {args.out / f['filename']}"
            print(line)
    finally:
        await pool.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    return service_main(
        prog="reporting",
        description="Sun to Moon reporting: a PII-free read model of every event, summaries, the duty report "
                    "(당직일지, Excel and PDF) at the end of every shift, analytics and the analytics feed "
                    "(settings: REPORTING_* variables; see services/reporting/README.md).",
        settings_factory=ReportingSettings,
        serve=lambda s: run_uvicorn(create_app(s), s),
        migrations_dir=MIGRATIONS,
        extra={"report": ("make a duty report now and keep it in the archive (optionally write the files)",
                          _report_args, _report)},
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
