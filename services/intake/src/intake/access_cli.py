"""``python -m intake access-log verify|review`` and ``python -m intake purge-personal-data``."""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from . import access_records, access_review

ACCESS_HELP = "access records of personal data (접속기록): verify the hash chain, or the monthly review report"
PURGE_HELP = "purge complainants' personal data past INTAKE_PII_RETENTION_DAYS (and access records past theirs)"


def cli_actor() -> access_records.Actor:
    """Who ran the command: the operating-system user, from this host."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        user = "unknown"
    return access_records.Actor(f"cli:{user}", "system", None, f"host:{socket.gethostname()}")


def add_access_args(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Access records: every view, reveal, export, report and purge of personal data, in an "
                          "append-only hash chain (access_records).")
    sub = parser.add_subparsers(dest="access_command", metavar="ACTION", required=True)
    sub.add_parser("verify", help="walk the chain: OK with count and range, or the first broken record (exit 1)",
                   description="Recompute every record's hash from the anchor (or the start) to the head. Prints "
                               "OK with the count, the id and time range and the head hash; or the first broken "
                               "record: hash mismatch at #N (content changed), gap after #N (records removed), "
                               "prev_hash mismatch (a record replaced), and exits 1.")
    review = sub.add_parser("review", help="the monthly review report for the supervisor (recorded as a report)",
                            description="Accesses per person and per action and the unusual ones (bulk, many, "
                                        "weak reason, not handled) for one month (KST), with the chain check. "
                                        "Without --out a text summary is printed.")
    review.add_argument("--month", help="YYYY-MM (default: the previous month)")
    review.add_argument("--out", type=Path, metavar="FILE.html",
                        help="write the report as a self-contained HTML file (printable; a bar chart in SVG)")


def add_purge_args(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Irreversibly remove complainants' personal data from complaints resolved (or, never resolved, received) "
        "more than INTAKE_PII_RETENTION_DAYS days ago: name, phone and its blind index, exact address (the "
        "읍·면·동 stays, the point is rounded to ~100 m), Open311 contact data, and names or phone numbers in free "
        "text. One pii_purge_log row and one access record per batch. Then prunes access records older than "
        "INTAKE_ACCESS_RECORD_RETENTION_DAYS (at least 730). Intake runs the same once a day by itself.")
    parser.add_argument("--dry-run", action="store_true", help="only count the complaints that are due")
    parser.add_argument("--batch", type=int, default=200, help="complaints per transaction (default 200)")


async def _connect(settings: Any) -> Any:
    from sunmoon.db import create_pool, migrate

    from .bootstrap import MIGRATIONS

    await migrate(settings.database_url, MIGRATIONS, label=settings.service_name)
    return await create_pool(settings.database_url, min_size=1, max_size=2)


async def run_access(settings: Any, args: argparse.Namespace) -> int:
    pool = await _connect(settings)
    try:
        async with pool.acquire() as conn:
            if args.access_command == "verify":
                verdict = await access_records.verify(conn)
                print(verdict.describe())
                return 0 if verdict.ok else 1
            return await _review(conn, args)
    finally:
        await pool.close()


async def _review(conn: Any, args: argparse.Namespace) -> int:
    month = args.month or access_review.previous_month(datetime.now(access_review.KST))
    try:
        access_review.month_range(month)
    except access_review.BadMonth as exc:
        print(f"intake access-log review: {exc}", file=sys.stderr)
        return 2
    if args.out is not None and args.out.suffix.lower() not in (".html", ".htm"):
        print(f"intake access-log review: --out must end in .html (got {args.out.name}); print it to PDF from a "
              "browser if a PDF is needed", file=sys.stderr)
        return 2
    async with conn.transaction():
        await access_records.append(conn, cli_actor(), "report", reason=f"접속기록 월간 점검 {month} 보고서 작성"
                                    + (f" ({args.out.name})" if args.out else ""))
    review = await access_review.build(conn, month)
    verdict = await access_records.verify(conn)
    review.chain_ok, review.chain_text = verdict.ok, verdict.describe()
    if args.out is not None:
        args.out.write_text(access_review.render_html(review), encoding="utf-8")
        print(f"wrote {args.out} ({review.total} records, {len(review.findings)} findings)")
    else:
        print(f"access records {month}: {review.total} "
              + " ".join(f"{a}={n}" for a, n in sorted(review.by_action.items())))
        for p in review.people:
            print(f"  {p['name']:<20} {p['role']:<13} reveal={p['reveal']} view={p['view']} total={p['total']}")
        for f in review.findings:
            print(f"  ! {access_review.kst_text(f.at)} {f.kind}: {f.actor} — {f.detail}")
        print(f"chain: {verdict.describe()}")
    return 0 if verdict.ok else 1


async def run_purge(settings: Any, args: argparse.Namespace) -> int:
    from sunmoon.crypto import FieldCipher, load_keyring

    from . import retention

    if args.batch < 1:
        print("intake purge-personal-data: --batch must be at least 1", file=sys.stderr)
        return 2
    cipher = FieldCipher(load_keyring(allow_dev_keys=settings.allow_dev_keys))
    pool = await _connect(settings)
    try:
        days = settings.pii_retention_days
        if args.dry_run:
            due = await retention.count_due(pool, days)
            print(f"dry run: {due} complaint(s) past {days} days would be purged; nothing changed")
            return 0
        actor = cli_actor()
        result = await retention.purge(pool, cipher, days, batch=args.batch, actor=actor, progress=print)
        async with pool.acquire() as conn, conn.transaction():
            pruned = await access_records.prune(conn, settings.access_record_retention_days, who=actor.name)
        print(f"purged personal data of {result.purged} complaint(s) in {result.batches} batch(es)"
              + (f" (pii_purge_log #{result.log_ids[0]}..#{result.log_ids[-1]})" if result.log_ids else "")
              + f"; {pruned} access record(s) older than {settings.access_record_retention_days} days pruned")
        return 0
    finally:
        await pool.close()
