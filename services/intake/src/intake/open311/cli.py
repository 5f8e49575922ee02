"""``python -m intake api-key issue|revoke|list``: third parties' Open311 API keys."""

from __future__ import annotations

import argparse
from typing import Any

from sunmoon.db import connect

from . import keys

HELP = "Open311 API keys of third parties: issue (the key is shown once), revoke, list"


def add_args(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    issue = sub.add_parser("issue", help="issue a key for a third party; prints the key once (only a hash is kept)")
    issue.add_argument("name", help="who gets it, e.g. gimpo-app or kiosk-sau (letters, digits, . _ -)")
    issue.add_argument("--rate", type=int, default=keys.DEFAULT_RATE_PER_MINUTE,
                       help=f"requests per minute, sustained (default {keys.DEFAULT_RATE_PER_MINUTE})")
    issue.add_argument("--burst", type=int, default=keys.DEFAULT_BURST,
                       help=f"requests allowed at once before the rate applies (default {keys.DEFAULT_BURST})")
    revoke = sub.add_parser("revoke", help="revoke a key at once (its requests get 403)")
    revoke.add_argument("name", help="the name given at issue")
    sub.add_parser("list", help="list keys: name, prefix, limits, last use, revoked")


async def run(settings: Any, args: argparse.Namespace) -> int:
    from sunmoon.db import migrate

    from ..bootstrap import MIGRATIONS

    await migrate(settings.database_url, MIGRATIONS, label=settings.service_name)
    conn = await connect(settings.database_url)
    try:
        return await _run(conn, args)
    finally:
        await conn.close()


async def _run(conn: Any, args: argparse.Namespace) -> int:
    if args.key_command == "issue":
        if args.rate < 1 or args.burst < 1:
            print("api-key: --rate and --burst must be at least 1")
            return 2
        if await conn.fetchval("SELECT 1 FROM open311_api_keys WHERE name = $1", args.name):
            print(f"api-key: a key named {args.name!r} exists already (revoke it or choose another name)")
            return 1
        try:
            issued = await keys.issue(conn, args.name, rate_per_minute=args.rate, burst=args.burst)
        except Exception as exc:  # noqa: BLE001 - the CHECK on the name says what is wrong
            print(f"api-key: cannot issue: {exc}")
            return 2
        print(issued.key)
        print(f"issued key #{issued.id} for {issued.name}: give it to them now, it is not shown again", flush=True)
        return 0
    if args.key_command == "revoke":
        if await keys.revoke(conn, args.name):
            print(f"revoked {args.name}")
            return 0
        print(f"api-key: no active key named {args.name!r}")
        return 1
    rows = await keys.list_keys(conn)
    for r in rows:
        state = f"revoked {r['revoked_at']:%Y-%m-%d %H:%M}" if r["revoked_at"] else "active"
        used = f"{r['last_used_at']:%Y-%m-%d %H:%M}" if r["last_used_at"] else "never"
        print(f"{r['id']:>4}  {r['name']:<24} {r['key_prefix']}…  {r['rate_per_minute']}/min burst {r['burst']}"
              f"  last used {used}  {state}")
    if not rows:
        print("no keys yet: python -m intake api-key issue NAME")
    return 0
