"""Load benchmark: the whole system end to end, against the ceilings of the machine it runs on.

In one run, on the same machine, with its own NATS (sync_interval: always) and PostgreSQL:
  ceilings  1. PostgreSQL single-row INSERT + commit rate (asyncpg, --concurrency connections);
            2. JetStream publish-with-ack rate (--concurrency publishes in flight);
            3. the simplest thing a city could run instead: one FastAPI endpoint that inserts the complaint
               into one PostgreSQL table (uvicorn, one process), driven like the real system;
            2b. the same publish rate on a NATS with its default sync (every two minutes), and the system's
               end-to-end rate on it (step 4 again): what syncing every write costs (--no-sync-cost to skip);
  system    4. as fast as possible: complaints filed over HTTP for --seconds, end-to-end throughput =
               complaints that reached an SMS recorded by the notifier, per second, with one replica and
               with --replicas replicas of classifier and notifier;
            5. at a fixed --rate (50/s by default): latency from the HTTP request to the SMS recorded and to the
               row in reporting (p50, p95, p99), and each service's resident memory.
Results are printed and appended to docs/benchmarks.md (--no-write to skip).

    uv run python benchmarks/load.py            # about 5 minutes
    uv run python benchmarks/load.py --help
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import asyncpg

from devstack.fleet import Fleet
from devstack.workload import Complaints, drained, drive, percentile
from sunmoon.localservers import free_port, port_open
from sunmoon.messaging import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import publish_result  # noqa: E402

SIMPLEST = Path(__file__).resolve().parent / "simplest_endpoint.py"


def say(msg: str) -> None:
    print(f"[load] {msg}", flush=True)


async def pg_ceiling(dsn: str, seconds: float, concurrency: int) -> float:
    conn = await asyncpg.connect(dsn)
    await conn.execute("CREATE TABLE IF NOT EXISTS ceiling (id uuid PRIMARY KEY, body text, at timestamptz "
                       "DEFAULT now())")
    await conn.close()
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    count = 0
    end = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal count
        async with pool.acquire() as c:
            while time.perf_counter() < end:
                await c.execute("INSERT INTO ceiling (id, body) VALUES ($1, $2)", uuid.uuid4(), "x" * 300)
                count += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    rate = count / (time.perf_counter() - start)
    await pool.close()
    return rate


async def js_ceiling_default_sync(home: Path, seconds: float, concurrency: int) -> float:
    """The publish ceiling on a NATS of its own with NATS's default sync (never shipped by this project)."""
    from sunmoon.localservers import NatsServer

    server = NatsServer(home / "nats-default-sync", sync_always=False).start()
    try:
        return await js_ceiling(server.url, seconds, concurrency)
    finally:
        server.stop()


async def js_ceiling(nats_url: str, seconds: float, concurrency: int) -> float:
    from nats.js.api import StorageType, StreamConfig

    nc, js = await connect(nats_url, name="ceiling")
    await js.add_stream(StreamConfig(name="CEILING", subjects=["ceiling.>"], storage=StorageType.FILE))
    count = 0
    end = time.perf_counter() + seconds
    body = b"x" * 600

    async def worker() -> None:
        nonlocal count
        while time.perf_counter() < end:
            await js.publish("ceiling.test", body, headers={"Nats-Msg-Id": uuid.uuid4().hex})
            count += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    rate = count / (time.perf_counter() - start)
    await js.delete_stream("CEILING")
    await nc.close()
    return rate


async def simplest_ceiling(dsn: str, seconds: float, concurrency: int) -> float:
    port = free_port()
    env = dict(os.environ, SIMPLEST_DSN=dsn)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "simplest_endpoint:app", "--port", str(port),
                             "--log-level", "warning", "--no-access-log"], cwd=SIMPLEST.parent, env=env)
    try:
        for _ in range(100):
            if port_open("127.0.0.1", port):
                break
            await asyncio.sleep(0.1)
        result = await drive(f"http://127.0.0.1:{port}", rate=0, duration=seconds, concurrency=concurrency)
        return result.rate
    finally:
        proc.terminate()
        proc.wait()


class MemorySampler:
    def __init__(self, fleet: Fleet) -> None:
        self.fleet, self.peak, self._stop = fleet, {}, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            for name, mib in self.fleet.rss_mib().items():
                self.peak[name] = max(self.peak.get(name, 0.0), mib)

    def __enter__(self) -> MemorySampler:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self.thread.join()


async def system_run(fleet: Fleet, *, rate: float, seconds: float, concurrency: int, seed: int):
    load = await drive(fleet.url("intake"), rate=rate, duration=seconds, concurrency=concurrency,
                       complaints=Complaints(seed), progress=lambda m: say(m), headers=fleet.headers)
    audit = await drained(fleet.databases, load.accepted, timeout=300, progress=say)
    return load, audit


async def max_run(fleet: Fleet, args: argparse.Namespace, *, seed: int):
    """Start ``fleet``, file complaints as fast as possible for ``--seconds``, audit, stop it."""
    fleet.start(progress=say)
    try:
        return await system_run(fleet, rate=0, seconds=args.seconds, concurrency=args.concurrency, seed=seed)
    finally:
        fleet.stop()


def e2e_rate(load, audit) -> float:
    """Complaints that reached an SMS, per second, from the first request to the last SMS recorded."""
    if not audit.sms_latency_ms:
        return 0.0
    return len(audit.sms_latency_ms) / max(audit.last_sms_at - load.started, 1e-9)


async def main_async(args: argparse.Namespace, home: Path) -> list[tuple]:
    rows: list[tuple] = []
    fleet = Fleet(home / "one")
    fleet.start(progress=say)
    try:
        dsn = fleet.databases["reporting"].rsplit("/", 1)[0] + "/postgres"
        say("ceiling: PostgreSQL single-row insert + commit ...")
        pg = await pg_ceiling(dsn, args.ceiling_seconds, args.concurrency)
        say("ceiling: JetStream publish with ack ...")
        js = await js_ceiling(fleet.nats_url, args.ceiling_seconds, args.concurrency)
        js_lazy = 0.0
        if args.sync_cost:
            say("ceiling: JetStream publish with ack, NATS's default sync (every 2 min) ...")
            js_lazy = await js_ceiling_default_sync(home, args.ceiling_seconds, args.concurrency)
        say("ceiling: the simplest endpoint (FastAPI + one INSERT) ...")
        simplest = await simplest_ceiling(dsn, args.ceiling_seconds, args.concurrency)
        rows += [("PostgreSQL INSERT + commit (asyncpg)", f"{pg:,.0f}/s", ""),
                 ("JetStream publish with ack (sync_interval: always, as shipped)", f"{js:,.0f}/s", "")]
        if js_lazy:
            rows.append(("JetStream publish with ack, NATS default sync (every 2 min)", f"{js_lazy:,.0f}/s",
                         f"syncing every write costs {1 - js / js_lazy:.0%} of the publish rate"))
        rows += [
                 ("simplest endpoint: FastAPI + one INSERT", f"{simplest:,.0f}/s", "100%")]
        say(f"system at {args.rate:.0f}/s for {args.seconds:.0f} s (latency, memory) ...")
        with MemorySampler(fleet) as mem:
            load, audit = await system_run(fleet, rate=args.rate, seconds=args.seconds,
                                           concurrency=args.concurrency, seed=1)
        lat = audit.sms_latency_ms
        rows.append((f"at {args.rate:.0f}/s: request → SMS recorded, p50 / p95 / p99",
                     f"{percentile(lat, 50):.0f} / {percentile(lat, 95):.0f} / {percentile(lat, 99):.0f} ms",
                     f"{len(lat)} SMS, lost {len(audit.lost)}"))
        rl = audit.reporting_latency_ms
        rows.append((f"at {args.rate:.0f}/s: request → row in reporting, p50 / p99",
                     f"{percentile(rl, 50):.0f} / {percentile(rl, 99):.0f} ms", ""))
        rows.append((f"at {args.rate:.0f}/s: HTTP answer (201) p50 / p99",
                     f"{percentile(load.http_ms, 50):.0f} / {percentile(load.http_ms, 99):.0f} ms", ""))
        rows.append(("resident memory, peak per service", ", ".join(f"{k} {v:.0f} MiB" for k, v in
                                                                  sorted(mem.peak.items())), "target < 150 MiB"))
        say(f"system as fast as possible for {args.seconds:.0f} s, one replica each ...")
        load, audit = await system_run(fleet, rate=0, seconds=args.seconds, concurrency=args.concurrency, seed=2)
        one = e2e_rate(load, audit)
        rows.append(("end to end, max, 1 replica each (filed → SMS recorded)", f"{one:,.0f}/s",
                     f"{one / simplest:.0%} (intake accepted {load.rate:,.0f}/s)"))
    finally:
        fleet.stop()
    if args.sync_cost:
        say(f"system as fast as possible for {args.seconds:.0f} s on NATS's default sync ...")
        load, audit = await max_run(Fleet(home / "default-sync", nats_sync_always=False), args, seed=2)
        lazy = e2e_rate(load, audit)
        rows.append(("end to end, max, 1 replica each, NATS default sync (not shipped)", f"{lazy:,.0f}/s",
                     f"syncing every write costs {1 - one / lazy:.0%} end to end" if lazy else ""))
    if args.replicas > 1:
        say(f"system as fast as possible, {args.replicas} replicas of classifier and notifier ...")
        load, audit = await max_run(Fleet(home / "replicas", replicas={"classifier": args.replicas,
                                                                      "notifier": args.replicas}), args, seed=3)
        many = e2e_rate(load, audit)
        rows.append((f"end to end, max, {args.replicas} replicas of classifier and notifier", f"{many:,.0f}/s",
                     f"{many / simplest:.0%}; duplicated {len(audit.duplicated)}, lost {len(audit.lost)}"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=50, help="fixed rate for the latency run (default 50/s)")
    parser.add_argument("--seconds", type=float, default=30, help="length of each system run (default 30)")
    parser.add_argument("--ceiling-seconds", type=float, default=8, help="length of each ceiling (default 8)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests / inserts in flight (default 32)")
    parser.add_argument("--replicas", type=int, default=3, help="classifier and notifier replicas (default 3)")
    parser.add_argument("--no-sync-cost", dest="sync_cost", action="store_false",
                        help="skip the runs on NATS's default sync that state what sync_interval: always costs")
    parser.add_argument("--no-write", action="store_true", help="print only; do not append to docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sunmoon-load-") as tmp:
        rows = asyncio.run(main_async(args, Path(tmp)))
    publish_result("Load: end to end against the machine's ceilings (benchmarks/load.py)",
                   f"Own NATS (sync_interval: always) and PostgreSQL on the same machine as the five services "
                   f"and the load generator. Command: `uv run python benchmarks/load.py --rate {args.rate:g} "
                   f"--seconds {args.seconds:g} --concurrency {args.concurrency} --replicas {args.replicas}`.",
                   ["measure", "result", "note / share of the simplest endpoint"], rows, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
