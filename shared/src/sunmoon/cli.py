"""The command line every service shares: ``python -m <service> [serve|migrate|dead-letters|replay]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .db import connect, migrate
from .logging import configure_logging
from .settings import ServiceSettings


def service_main(
    *,
    prog: str,
    description: str,
    settings_factory: Callable[[], ServiceSettings],
    serve: Callable[[ServiceSettings], None],
    migrations_dir: Path,
    extra: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None],
                           Callable[[ServiceSettings, argparse.Namespace], Any]]] | None = None,
    argv: Sequence[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=description)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("serve", help="run the service (the default): HTTP API, consumers, outbox relay")
    sub.add_parser("migrate", help="create the database if needed and apply pending migrations")
    dl = sub.add_parser("dead-letters", help="list events set aside as undecodable or failing")
    dl.add_argument("--limit", type=int, default=20, help="how many, newest first (default 20)")
    rp = sub.add_parser("replay", help="publish a dead-lettered event again (after a fix)")
    rp.add_argument("id", type=int, help="dead letter id, from `dead-letters`")
    from . import reconcile

    reconcile.add_args(sub.add_parser("reconcile", help="publish this service's outbox events of a time window "
                                      "again (after a broker lost messages); harmless to repeat"))
    for name, (help_text, add_args, _run) in (extra or {}).items():
        add_args(sub.add_parser(name, help=help_text))
    args = parser.parse_args(argv)
    try:
        settings = settings_factory()
    except Exception as exc:  # noqa: BLE001 - pydantic says which variable is wrong
        print(f"{prog}: invalid settings: {exc}\nFix the environment variable named above.", file=sys.stderr)
        return 2
    configure_logging(settings.service_name, settings.log_level, json=settings.log_json)
    command = args.command or "serve"
    if command == "serve":
        serve(settings)
        return 0
    if command == "migrate":
        applied = asyncio.run(migrate(settings.database_url, migrations_dir, label=settings.service_name))
        print(f"{len(applied)} migration(s) applied" + (": " + ", ".join(applied) if applied else ""))
        return 0
    if command == "dead-letters":
        return asyncio.run(_list_dead_letters(settings, args.limit))
    if command == "replay":
        return asyncio.run(_replay(settings, args.id))
    if command == "reconcile":
        return asyncio.run(reconcile.run(settings, args))
    return asyncio.run(_maybe_async((extra or {})[command][2](settings, args))) or 0


async def _maybe_async(value: Any) -> Any:
    if asyncio.iscoroutine(value):
        return await value
    return value


async def _list_dead_letters(settings: ServiceSettings, limit: int) -> int:
    conn = await connect(settings.database_url)
    try:
        rows = await conn.fetch(
            "SELECT id, created_at, consumer, subject, deliveries, error, replayed_at FROM dead_letters"
            " ORDER BY id DESC LIMIT $1", limit)
    finally:
        await conn.close()
    if not rows:
        print("no dead letters")
    for r in rows:
        replayed = f" (replayed {r['replayed_at']:%Y-%m-%d %H:%M})" if r["replayed_at"] else ""
        print(f"#{r['id']} {r['created_at']:%Y-%m-%d %H:%M:%S} {r['consumer']} {r['subject']} "
              f"after {r['deliveries']} deliveries{replayed}\n    {r['error']}")
    return 0


async def _replay(settings: ServiceSettings, dead_letter_id: int) -> int:
    from .messaging import Namespace, connect as nats_connect

    conn = await connect(settings.database_url)
    try:
        row = await conn.fetchrow("SELECT subject, body FROM dead_letters WHERE id = $1", dead_letter_id)
        if row is None:
            print(f"no dead letter #{dead_letter_id}; list them with `dead-letters`", file=sys.stderr)
            return 1
        nc, js = await nats_connect(settings.nats_url, name=f"{settings.service_name}-replay",
                                    user=settings.nats_user, password=settings.nats_password)
        try:
            ns = Namespace(settings.nats_namespace)
            await js.publish(ns.subject(row["subject"]), bytes(row["body"]),
                             headers={"Nats-Msg-Id": f"replay-{settings.service_name}-{dead_letter_id}"})
        finally:
            await nc.close()
        await conn.execute("UPDATE dead_letters SET replayed_at = now() WHERE id = $1", dead_letter_id)
        print(f"dead letter #{dead_letter_id} published again on {row['subject']}")
        return 0
    finally:
        await conn.close()


def run_uvicorn(app: Any, settings: ServiceSettings) -> None:
    import uvicorn

    tls = {"ssl_certfile": settings.tls_cert_file, "ssl_keyfile": settings.tls_key_file} if settings.https else {}
    # "auto" takes uvloop (the event loop every consumer, relay and request runs on) and httptools (the HTTP
    # parser), both dependencies of sunmoon-shared: less CPU per request and per event than the pure-Python
    # asyncio loop and h11 (docs/benchmarks.md). No access log: the services log what happened to a complaint.
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None, loop="auto", http="auto",
                access_log=False, timeout_graceful_shutdown=10, server_header=False, **tls)
