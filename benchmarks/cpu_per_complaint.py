"""CPU time per complaint, per process: where the two cores go when the whole system runs on one machine.

Starts the five services with their own NATS (sync_interval: always) and PostgreSQL, files complaints at a fixed
rate for a while, lets them drain, and reads each process's CPU time from /proc before and after: every service,
NATS, every PostgreSQL backend together, and this process (the load generator). Divided by the complaints filed,
that is the cost of one complaint; two cores divided by the total is the most the machine can sustain at that
rate. Also printed: commits per complaint in each service's database, and the events each service took in and
wrote out (inbox and outbox rows), which is what the CPU is spent on.

Compare two versions only back to back: the host's speed drifts by 10-20% within an hour.

    uv run python benchmarks/cpu_per_complaint.py                 # 20/s for 20 s, about 1 minute
    uv run python benchmarks/cpu_per_complaint.py --rate 40 --seconds 30 --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from devstack.fleet import Fleet
from devstack.workload import Complaints, drained, drive, percentile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import publish_result  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def say(msg: str) -> None:
    print(f"[cpu] {msg}", flush=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def children_of(ppid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == ppid:
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def snapshot(fleet: Fleet) -> dict[str, float]:
    out: dict[str, float] = {}
    for proc in fleet.processes:
        out[proc.name] = out.get(proc.name, 0.0) + cpu_seconds(proc.proc.pid)
    out["NATS"] = cpu_seconds(fleet.nats.proc.pid)
    postmaster = int((fleet.pg.datadir / "postmaster.pid").read_text().split()[0])
    out["PostgreSQL (all backends)"] = cpu_seconds(postmaster) + sum(cpu_seconds(c) for c in children_of(postmaster))
    own = resource.getrusage(resource.RUSAGE_SELF)
    out["load generator (this process)"] = own.ru_utime + own.ru_stime
    return out


async def commits(fleet: Fleet) -> dict[str, int]:
    conn = await asyncpg.connect(fleet.databases["intake"])
    try:
        rows = await conn.fetch("SELECT datname, xact_commit FROM pg_stat_database WHERE datname LIKE 'sunmoon_%'")
        return {r["datname"].removeprefix("sunmoon_"): r["xact_commit"] for r in rows}
    finally:
        await conn.close()


async def events(fleet: Fleet) -> dict[str, tuple[int, int]]:
    out = {}
    for name, url in fleet.databases.items():
        conn = await asyncpg.connect(url)
        try:
            out[name] = (await conn.fetchval("SELECT count(*) FROM inbox"),
                         await conn.fetchval("SELECT count(*) FROM outbox"))
        finally:
            await conn.close()
    return out


async def measure(args: argparse.Namespace, home: Path) -> list[tuple]:
    fleet = Fleet(home)
    fleet.start(progress=say)
    try:
        say("warming up: 3 s at 10/s ...")
        await drive(fleet.url("intake"), rate=10, duration=3, headers=fleet.headers)
        await asyncio.sleep(3)
        idle_from = snapshot(fleet)
        say("idle for 5 s (polls and timers) ...")
        await asyncio.sleep(5)
        idle = sum(snapshot(fleet).values()) - sum(idle_from.values())
        ev0, c0, before = await events(fleet), await commits(fleet), snapshot(fleet)
        say(f"filing {args.rate:g}/s for {args.seconds:g} s ...")
        load = await drive(fleet.url("intake"), rate=args.rate, duration=args.seconds, complaints=Complaints(5),
                           headers=fleet.headers, progress=say)
        loadgen_after = snapshot(fleet)["load generator (this process)"]  # not the audit's work below
        audit = await drained(fleet.databases, load.accepted, timeout=300, progress=say)
        await asyncio.sleep(1.0)  # the last relays' marks
        after = snapshot(fleet)
        after["load generator (this process)"] = loadgen_after
        c1, ev1 = await commits(fleet), await events(fleet)
    finally:
        fleet.stop()
    n = max(len(load.accepted), 1)
    rows: list[tuple] = []
    total = 0.0
    for name in before:
        spent = after.get(name, 0.0) - before[name]
        total += spent
        extra = ""
        if name in ev1:
            extra = (f"{(ev1[name][0] - ev0[name][0]) / n:.1f} events in, {(ev1[name][1] - ev0[name][1]) / n:.1f} "
                     f"out, {(c1.get(name, 0) - c0.get(name, 0)) / n:.1f} commits")
        rows.append((name, f"{spent * 1000 / n:.1f}", extra))
    cores = os.cpu_count() or 1
    rows.append(("**total**", f"**{total * 1000 / n:.1f}**",
                 f"{cores} cores: at most {cores * n / total:,.0f} complaints/s at this rate"))
    rows.append(("(of which idling: polls and timers)", f"{idle / 5 * args.seconds * 1000 / n:.1f}",
                 f"{idle / 5:.2f} of a core with no load"))
    sms, rep = audit.sms_latency_ms, audit.reporting_latency_ms
    rows.append((f"request → SMS recorded at {args.rate:g}/s, p50 / p99", "",
                 f"{percentile(sms, 50):.0f} / {percentile(sms, 99):.0f} ms ({len(sms)} SMS, lost {len(audit.lost)})"))
    rows.append((f"request → row in reporting at {args.rate:g}/s, p50 / p99", "",
                 f"{percentile(rep, 50):.0f} / {percentile(rep, 99):.0f} ms"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20, help="complaints per second (default 20)")
    parser.add_argument("--seconds", type=float, default=20, help="how long to file them (default 20)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not append to docs/benchmarks.md")
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0:
        parser.error("--rate and --seconds must be greater than 0")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sunmoon-cpu-") as tmp:
        rows = asyncio.run(measure(args, Path(tmp)))
    say(f"done in {time.monotonic() - started:.0f} s")
    publish_result("CPU per complaint (benchmarks/cpu_per_complaint.py)",
                   f"Own NATS (sync_interval: always) and PostgreSQL. Command: `uv run python "
                   f"benchmarks/cpu_per_complaint.py --rate {args.rate:g} --seconds {args.seconds:g}`.",
                   ["process", "ms CPU per complaint", "per complaint"], rows, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
