"""python -m devstack.chaos — file complaints at a steady rate while killing the system, then count.

Starts its own NATS and PostgreSQL (it restarts both) and the five services (classifier and notifier with
``--replicas``). Under load it kills -9 a random service process (consumers and outbox relay die mid-work)
every few seconds and starts it again, kills -9 NATS once and restarts PostgreSQL once (immediate stop, as a
crash). Then it stops the load, republishes each service's outbox window (``reconcile``, the remedy after a
broker lost messages), lets the system drain and checks every accepted complaint: classified once, exactly one
SMS per complaint and recipient, in reporting, no dead letters. Exit status 0 only with 0 lost and 0 duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .fleet import Fleet
from .workload import Audit, Complaints, drained, drive

KILLABLE = ("intake", "classifier", "notifier", "reporting", "weather")


@dataclass
class ChaosResult:
    audit: Audit
    kills: int
    nats_restarts: int
    pg_restarts: int
    refused: int
    seconds: float

    def lines(self) -> list[str]:
        a = self.audit
        return [f"accepted {a.accepted}  lost {len(a.lost)}  duplicated {len(a.duplicated)}",
                f"kills {self.kills} (kill -9 of a service)  NATS kill -9 + restart {self.nats_restarts}  "
                f"PostgreSQL crash + restart {self.pg_restarts}",
                f"classified {a.classified}  in reporting {a.in_reporting}  SMS sent {a.sms_sent} "
                f"(dispatched complaints {a.sms_expected}, held for the officer's review {a.held_for_review})  "
                f"refused while down {self.refused}",
                "dead letters: " + ", ".join(f"{k} {v}" for k, v in a.dead_letters.items()),
                *[f"  lost: {x}" for x in a.lost[:10]], *[f"  duplicated: {x}" for x in a.duplicated[:10]]]


async def run(fleet: Fleet, *, duration: float, rate: float, kills: int, seed: int = 1,
              drain_timeout: float = 180, progress=print) -> ChaosResult:
    rng = random.Random(seed)
    window_start = datetime.now(UTC) - timedelta(seconds=5)
    t0 = time.monotonic()
    load = asyncio.create_task(drive(fleet.url("intake"), rate=rate, duration=duration, concurrency=16,
                                     complaints=Complaints(seed), headers=fleet.headers))
    # the moments of harm, spread over the middle 80% of the run
    moments = sorted(rng.uniform(0.1, 0.9) * duration for _ in range(kills))
    nats_at, pg_at = duration * 0.35, duration * 0.65
    plan = [(m, "kill") for m in moments] + [(nats_at, "nats"), (pg_at, "postgres")]
    nats_restarts = pg_restarts = 0
    victims: list = []
    for at, what in sorted(plan):
        await asyncio.sleep(max(0.0, at - (time.monotonic() - t0)))
        await asyncio.to_thread(fleet.ensure_running)  # one that gave up while a server was away
        if what == "kill":
            if not victims:  # every process once, in a random order, then again
                victims = [p for p in fleet.processes if p.name in KILLABLE]
                rng.shuffle(victims)
            victim = victims.pop()
            await asyncio.to_thread(fleet.kill9, victim)
            progress(f"{time.monotonic() - t0:5.1f} s  kill -9 {victim.name} (pid gone, restarted)")
        elif what == "nats":
            await asyncio.to_thread(fleet.restart_nats)
            nats_restarts += 1
            progress(f"{time.monotonic() - t0:5.1f} s  kill -9 NATS, restarted on the same store")
        else:
            await asyncio.to_thread(fleet.restart_postgres)
            pg_restarts += 1
            progress(f"{time.monotonic() - t0:5.1f} s  PostgreSQL crashed (immediate stop) and restarted")
    result = await load
    progress(f"load done: {len(result.accepted)} accepted, {result.refused} refused while parts were down")
    await asyncio.to_thread(fleet.wait_ready, 120)
    until = datetime.now(UTC) + timedelta(seconds=1)
    await asyncio.gather(*(asyncio.to_thread(fleet.command, name, ["reconcile", "--since", window_start.isoformat(),
                                                                  "--until", until.isoformat()])
                           for name in ("intake", "classifier", "notifier", "weather", "reporting")))
    progress("outbox windows republished (reconcile); draining ...")
    audit = await drained(fleet.databases, result.accepted, timeout=drain_timeout, progress=progress,
                          nats_url=fleet.nats_url, namespace=fleet.namespace)
    return ChaosResult(audit, fleet.kills, nats_restarts, pg_restarts, result.refused, time.monotonic() - t0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=120, help="seconds of load (default 120)")
    parser.add_argument("--rate", type=float, default=20, help="complaints per second (default 20)")
    parser.add_argument("--kills", type=int, default=24, help="kill -9 of services during the run (default 24)")
    parser.add_argument("--replicas", type=int, default=1, help="classifier and notifier processes (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="random seed: which service, when (default 1)")
    parser.add_argument("--home", type=Path, help="working directory (default: a temporary one, removed after)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sunmoon-chaos-") as tmp:
        home = args.home or Path(tmp)
        print(f"[chaos] starting NATS, PostgreSQL and the services in {home} ...", flush=True)
        fleet = Fleet(home, replicas={"classifier": args.replicas, "notifier": args.replicas})
        try:
            fleet.start(progress=lambda m: print(f"[chaos] {m}", flush=True))
            result = asyncio.run(run(fleet, duration=args.duration, rate=args.rate, kills=args.kills,
                                     seed=args.seed, progress=lambda m: print(f"[chaos] {m}", flush=True)))
        except KeyboardInterrupt:
            print("[chaos] interrupted", file=sys.stderr)
            return 130
        finally:
            fleet.stop()
    print("\n".join(result.lines()))
    if not result.audit.ok:
        print("FAILED: see the service logs (kept only with --home) and the lines above", file=sys.stderr)
        return 1
    print(f"OK: 0 lost, 0 duplicated across {result.kills} kills in {result.seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
