"""Benchmark of the messaging layer every service stands on.

Measures, on this machine, with real PostgreSQL and NATS JetStream:
  1. outbox write: events written to the outbox, one transaction each (what an HTTP request pays);
  2. relay: outbox rows published to JetStream with Nats-Msg-Id and marked sent;
  3. consume: events through a durable pull consumer with the inbox and a one-row effect, ack after commit.
Results are appended to docs/benchmarks.md with the machine and date.

    uv run python benchmarks/messaging.py --events 2000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import asyncpg

from sunmoon.db import create_pool, migrate
from sunmoon.events import COMPLAINT_RECEIVED, make_envelope
from sunmoon.events.intake import ComplaintReceived
from sunmoon.messaging import Namespace, OutboxRelay, Subscription, add_to_outbox, connect, ensure_streams
from sunmoon.messaging.consumer import ConsumerStats, run_consumer
from sunmoon.testing import provide_servers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import publish_result  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def progress(label: str, done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    rate = done / max(time.perf_counter() - started, 1e-9)
    sys.stderr.write(f"\r{label:<14} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} ({rate:,.0f}/s)")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


async def run(n: int) -> dict[str, float]:
    servers = provide_servers()
    try:
        dsn = await servers.fresh_database("bench")
        await migrate(dsn, ROOT / "benchmarks", label="bench")
        admin = await asyncpg.connect(dsn)
        await admin.execute("CREATE TABLE effects (complaint_id uuid PRIMARY KEY)")
        await admin.close()
        pool = await create_pool(dsn, max_size=4)
        nc, js = await connect(servers.nats_url, name="bench")
        ns = Namespace(servers.fresh_namespace())
        await ensure_streams(js, ns, only=["INTAKE"])
        results: dict[str, float] = {}

        t0 = time.perf_counter()
        for i in range(n):
            env = make_envelope(COMPLAINT_RECEIVED, ComplaintReceived(
                complaint_id=uuid.uuid4(), description="사우동 맨홀 뚜껑이 열려 있어요", channel="phone",
                received_at=datetime.now(timezone.utc)))
            async with pool.acquire() as conn, conn.transaction():
                await add_to_outbox(conn, env)
            if i % 100 == 99 or i == n - 1:
                progress("outbox write", i + 1, n, t0)
        results["outbox write (tx/s)"] = n / (time.perf_counter() - t0)

        relay = OutboxRelay(pool, js, ns, dsn=dsn, batch=200)
        t0 = time.perf_counter()
        while relay.published < n:
            await relay.publish_pending()
            progress("relay", relay.published, n, t0)
        results["relay publish (events/s)"] = n / (time.perf_counter() - t0)

        async def effect(conn, _env, payload):
            await conn.execute("INSERT INTO effects VALUES ($1)", payload.complaint_id)

        stop, stats = asyncio.Event(), ConsumerStats()
        sub = Subscription(COMPLAINT_RECEIVED.subject, "bench-complaint-received", effect, batch=100)
        t0 = time.perf_counter()
        task = asyncio.create_task(run_consumer(js, pool, ns, sub, stop, stats))
        while stats.processed < n:
            await asyncio.sleep(0.2)
            progress("consume", stats.processed, n, t0)
        results["consume with inbox (events/s)"] = n / (time.perf_counter() - t0)
        stop.set()
        await task
        await nc.close()
        await pool.close()
        return results
    finally:
        servers.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000, help="events per stage (default 2000)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not append to docs/benchmarks.md")
    args = parser.parse_args()
    results = asyncio.run(run(args.events))
    servers = "DATABASE_URL/NATS_URL" if os.environ.get("DATABASE_URL") else "embedded servers"
    publish_result("Messaging layer", f"Servers: {servers}. Events per stage: {args.events}.", ["stage", "rate"],
                   [(k, f"{v:,.0f}") for k, v in results.items()], write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
