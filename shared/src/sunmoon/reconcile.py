"""``python -m <service> reconcile``: publish a window of this service's outbox events again.

For the morning after a broker lost acknowledged messages (a NATS node killed, a disk restored from
backup): every event this service produced in the window is published again with its original
``Nats-Msg-Id``. JetStream drops copies it still holds (duplicate window) and each consumer's inbox
drops events it already handled, so running it twice, or over a window with nothing missing, changes
nothing. Sent rows are kept ``<SERVICE>_OUTBOX_RETENTION_HOURS`` (72 by default); older ones are gone.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from .settings import ServiceSettings


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n", 1)[1] if __doc__ else None
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--since", type=_when, help="start of the window, ISO 8601 (e.g. 2026-11-30T02:00+09:00)")
    parser.add_argument("--until", type=_when, help="end of the window (default: now)")
    parser.add_argument("--minutes", type=float, help="the last N minutes instead of --since")
    parser.add_argument("--subject-prefix", help="only subjects starting with this, e.g. intake.complaint.received")
    parser.add_argument("--dry-run", action="store_true", help="count the events, publish nothing")


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r} (e.g. 2026-11-30T02:00+09:00)") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def run(settings: ServiceSettings, args: argparse.Namespace) -> int:
    from .db import connect, create_pool
    from .messaging import Namespace
    from .messaging import connect as nats_connect
    from .messaging.outbox import republish_window

    until = args.until or datetime.now(UTC)
    if args.minutes is not None:
        since = until - timedelta(minutes=args.minutes)
    elif args.since is not None:
        since = args.since
    else:
        print("say which window: --since TIME or --minutes N (see --help)", file=sys.stderr)
        return 2
    if since >= until:
        print(f"the window is empty: --since {since.isoformat()} is not before {until.isoformat()}", file=sys.stderr)
        return 2
    like = (args.subject_prefix or "") + "%"
    if args.dry_run:
        conn = await connect(settings.database_url)
        try:
            n = await conn.fetchval("SELECT count(*) FROM outbox WHERE created_at >= $1 AND created_at < $2 "
                                    "AND subject LIKE $3", since, until, like)
            oldest = await conn.fetchval("SELECT min(created_at) FROM outbox")
        finally:
            await conn.close()
        print(f"{n} event(s) in the window; the outbox keeps events since {oldest or 'nothing'}")
        return 0
    pool = await create_pool(settings.database_url, max_size=2)
    nc, js = await nats_connect(settings.nats_url, name=f"{settings.service_name}-reconcile",
                                user=settings.nats_user, password=settings.nats_password)

    def progress(done: int, total: int) -> None:
        print(f"\r{done}/{total} republished", end="", file=sys.stderr, flush=True)

    try:
        n = await republish_window(pool, js, Namespace(settings.nats_namespace), since, until,
                                   subject_prefix=args.subject_prefix, progress=progress)
    finally:
        await nc.drain()
        await pool.close()
    print(f"\n{n} event(s) from {since.isoformat()} to {until.isoformat()} published again; "
          "consumers ignore the ones they already handled")
    return 0
