"""Benchmark of reporting: duty reports (Excel + PDF) and analytics, on a seeded read model.

Measures, on this machine, with real PostgreSQL (each stage gets a fresh reporting database):
  1. the shift report (당직일지) of one shift with --shift complaints (default 1,000), Excel and PDF
     (target < 5 s), made as the service makes it: read, lay out, archive, outbox;
  2. the monthly report over --month complaints (default 30,000), both formats (target < 30 s);
  3. each analytic over --analytics complaints spread over a year (default 1,000,000; target < 2 s each):
     patterns, response-times, weather and trends over the whole year, repeat-places over its last 30 days.
The read model is seeded with SQL (generate_series, fixed seed): what is timed is the report, not the seeding.
Results are appended to docs/benchmarks.md with the machine and date (--no-write: print only).

    uv run python benchmarks/reporting_bench.py [--shift 1000] [--month 30000] [--analytics 1000000] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from reporting.analytics.service import CATALOG
from reporting.bootstrap import MIGRATIONS
from reporting.reports.service import ReportService
from reporting.settings import ReportingSettings
from sunmoon.db import create_pool, migrate
from sunmoon.testing import provide_servers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import append_result, machine  # noqa: E402

KST = ZoneInfo("Asia/Seoul")
SEED_BATCH = 100_000

# A plausible Gimpo: districts with a centre, types with their department, Korean summaries.
SEED_SQL = """
WITH d(i, name, lat, lon) AS (VALUES
  (0, '사우동', 37.6153, 126.7156), (1, '풍무동', 37.6023, 126.7236), (2, '장기동', 37.6420, 126.6680),
  (3, '구래동', 37.6450, 126.6290), (4, '운양동', 37.6530, 126.6830), (5, '고촌읍', 37.6010, 126.7700),
  (6, '양촌읍', 37.6400, 126.6100), (7, '통진읍', 37.6900, 126.5980), (8, '김포본동', 37.6240, 126.7110),
  (9, '마산동', 37.6380, 126.6450), (10, '대곶면', 37.6440, 126.5620), (11, '하성면', 37.7220, 126.6300)),
t(i, type, department) AS (VALUES
  (0, 'road_damage', '도로과'), (1, 'water_supply', '상수도과'), (2, 'sewer_drainage', '하수도과'),
  (3, 'illegal_parking', '교통과'), (4, 'noise', '환경과'), (5, 'streetlight', '도로과'),
  (6, 'traffic_facility', '교통과'), (7, 'animal', '환경과'), (8, 'waste', '자원순환과'),
  (9, 'tree_vegetation', '공원녹지과'), (10, 'odor_pollution', '환경과'), (11, 'public_order', '안전총괄과'),
  (12, 'facility_safety', '건축과'), (13, 'snow_ice', '도로과'), (14, 'other', '민원여권과')),
g AS (
  SELECT n, random() AS r_status, random() AS r_urgency, random() AS r_rain, random() AS r_place,
         floor(random() * 12)::int AS di, floor(random() * 15)::int AS ti,
         $1::timestamptz + random() * ($2::timestamptz - $1::timestamptz) AS at
  FROM generate_series(1, $3::int) AS n),
c AS (
  SELECT g.*, d.name AS district, t.type, t.department,
         CASE WHEN r_status < 0.05 THEN 'received' WHEN r_status < 0.12 THEN 'classified'
              WHEN r_status < 0.35 THEN 'dispatched' WHEN r_status < 0.6 THEN 'acknowledged' ELSE 'resolved' END
           AS status,
         -- one complaint in fifty at one of a hundred hot spots (a broken drain reported again and again)
         CASE WHEN r_place < 0.02 THEN d.lat + (n % 100) * 0.0011 + random() * 0.0003
              ELSE d.lat + (random() - 0.5) * 0.02 END AS lat,
         CASE WHEN r_place < 0.02 THEN d.lon + (n % 100) * 0.0007 + random() * 0.0003
              ELSE d.lon + (random() - 0.5) * 0.025 END AS lon,
         (ARRAY['사우동 사거리 맨홀 뚜껑이 열려 있어요', '도로에 물이 넘쳐서 차가 못 다녀요',
                '가로등이 꺼져서 골목이 너무 어두워요', '새벽부터 공사 소음이 심합니다',
                '고양이 사체가 도로 한가운데 있어요', '수도관이 터져서 물이 계속 새고 있습니다',
                '불법 주차 차량 때문에 소방차가 못 들어가요', '쓰레기 무단투기가 계속됩니다'])[1 + n % 8] AS summary
  FROM g JOIN d ON d.i = g.di JOIN t ON t.i = g.ti)
INSERT INTO complaints (complaint_id, received_at, channel, district, status, type, urgency, department,
  classification_event_at, classified_at, dispatched_at, acknowledged_at, resolved_at, sms_count, lat, lon, nx, ny,
  summary, weather, warnings, weather_raised, precipitation_mm, temperature_c, hazards)
SELECT gen_random_uuid(), at, (ARRAY['phone', 'phone', 'phone', 'web', 'visit'])[1 + n % 5], district, status,
  CASE WHEN status = 'received' THEN NULL ELSE type END,
  CASE WHEN status = 'received' THEN NULL WHEN r_urgency < 0.25 THEN 'urgent' WHEN r_urgency < 0.8 THEN 'normal'
       ELSE 'low' END,
  CASE WHEN status = 'received' THEN NULL ELSE department END,
  CASE WHEN status = 'received' THEN NULL ELSE at + interval '2 seconds' END,
  CASE WHEN status = 'received' THEN NULL ELSE at + interval '2 seconds' END,
  CASE WHEN status IN ('dispatched', 'acknowledged', 'resolved') THEN at + (1 + random() * 9) * interval '1 minute' END,
  CASE WHEN status IN ('acknowledged', 'resolved') THEN at + (5 + random() * 40) * interval '1 minute' END,
  CASE WHEN status = 'resolved' THEN at + (30 + random() * 240) * interval '1 minute' END,
  CASE WHEN status IN ('dispatched', 'acknowledged', 'resolved') THEN 1 ELSE 0 END,
  round(lat::numeric, 4), round(lon::numeric, 4), 55 + n % 6, 126 + n % 5, summary,
  '{"known": true}'::jsonb,
  CASE WHEN r_rain > 0.95 THEN ARRAY['호우주의보'] ELSE '{}' END, r_rain > 0.97,
  CASE WHEN r_rain > 0.8 THEN round((random() * 30)::numeric, 1) ELSE 0 END,
  round((12 - 14 * cos(2 * pi() * (extract(doy FROM at) - 15) / 365) + random() * 6)::numeric, 1),
  CASE WHEN r_rain > 0.8 THEN ARRAY['rain'] ELSE '{}' END
FROM c
"""

NOTIFY_SQL = """
INSERT INTO notifications (notification_id, complaint_id, team, role, provider, message_kind, sent_at, acknowledged_at)
SELECT gen_random_uuid(), complaint_id, department || ' 당직', 'primary', 'sens', 'SMS', dispatched_at, acknowledged_at
FROM complaints WHERE dispatched_at IS NOT NULL AND received_at >= $1 AND received_at < $2
UNION ALL
SELECT gen_random_uuid(), complaint_id, department || ' 당직', 'backup', 'sens', 'LMS',
       dispatched_at + interval '10 minutes', NULL
FROM complaints WHERE dispatched_at IS NOT NULL AND acknowledged_at IS NULL AND received_at >= $1 AND received_at < $2
"""


def progress(label: str, done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    rate = done / max(time.perf_counter() - started, 1e-9)
    sys.stderr.write(f"\r{label:<22} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} ({rate:,.0f}/s)")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


async def seed(pool, n: int, since: datetime, until: datetime, *, label: str, notifications: bool) -> None:
    t0 = time.perf_counter()
    async with pool.acquire() as conn:
        await conn.execute("SELECT setseed(0.42)")
        done = 0
        while done < n:
            batch = min(SEED_BATCH, n - done)
            await conn.execute(SEED_SQL, since, until, batch)
            done += batch
            progress(f"seed {label}", done, n, t0)
        if notifications:
            await conn.execute(NOTIFY_SQL, since, until)
        await conn.execute("ANALYZE complaints")
        await conn.execute("ANALYZE notifications")


async def fresh(servers, label: str):
    dsn = await servers.fresh_database(label)
    await migrate(dsn, MIGRATIONS, label="reporting")
    return dsn, await create_pool(dsn, max_size=4)


async def report_stage(servers, settings_kw: dict, n: int, since: datetime, until: datetime, label: str) -> dict:
    dsn, pool = await fresh(servers, "bench_reporting")
    try:
        await seed(pool, n, since, until, label=label, notifications=True)
        service = ReportService(ReportingSettings(database_url=dsn, **settings_kw))
        t0 = time.perf_counter()
        await asyncio.to_thread(service.warm_up)  # what the service does after start (warm_up_after_seconds)
        warm_up = time.perf_counter() - t0
        say(f"{label}: warm-up (imports, font metrics, a tiny report) {warm_up:.2f} s; generating Excel + PDF ...")
        t0 = time.perf_counter()
        report = await service.generate(pool, since=since, until=until, formats=["xlsx", "pdf"])
        seconds = time.perf_counter() - t0
        sizes = {f["format"]: f["size"] for f in report["files"]}
        say(f"{label}: {seconds:.2f} s ({report['complaints']:,} complaints; xlsx {sizes['xlsx'] / 1e6:.1f} MB, "
            f"pdf {sizes['pdf'] / 1e6:.1f} MB)")
        return {"seconds": seconds, "complaints": report["complaints"], "sizes": sizes, "warm_up": warm_up}
    finally:
        await pool.close()


async def analytics_stage(servers, n: int) -> dict[str, tuple[float, int]]:
    until = datetime(2026, 8, 1, tzinfo=KST)
    since = until - timedelta(days=365)
    _dsn, pool = await fresh(servers, "bench_analytics")
    out: dict[str, tuple[float, int]] = {}
    try:
        await seed(pool, n, since, until, label="analytics", notifications=False)
        for name, analytic in CATALOG.items():
            a_since = until - timedelta(days=30) if name == "repeat-places" else since
            await analytic.run(pool, a_since, until, KST)  # warm the cache: the timed run is the second
            t0 = time.perf_counter()
            df, notes = await analytic.run(pool, a_since, until, KST)
            seconds = time.perf_counter() - t0
            out[name] = (seconds, len(df))
            scope = f"{notes.get('located', 0):,} located complaints in 30 days" if name == "repeat-places" \
                else "the whole year"
            say(f"analytics {name:<15} {seconds:6.2f} s  ({len(df):,} rows; over {scope})")
    finally:
        await pool.close()
    return out


async def run(args: argparse.Namespace) -> dict:
    servers = provide_servers()
    results: dict = {}
    settings_kw = {"nats_url": servers.nats_url}
    try:
        if args.shift:
            shift = ReportService(ReportingSettings(database_url="postgresql://x/y")).calendar.shift_of(
                date(2026, 7, 14))
            results["shift"] = await report_stage(servers, settings_kw, args.shift, shift.since, shift.until,
                                                  "shift report")
        if args.month:
            results["month"] = await report_stage(servers, settings_kw, args.month, datetime(2026, 6, 1, tzinfo=KST),
                                                  datetime(2026, 7, 1, tzinfo=KST), "monthly report")
        if args.analytics:
            results["analytics"] = await analytics_stage(servers, args.analytics)
    finally:
        servers.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shift", type=int, default=1000, help="complaints in the shift report (0: skip)")
    parser.add_argument("--month", type=int, default=30000, help="complaints in the monthly report (0: skip)")
    parser.add_argument("--analytics", type=int, default=1_000_000, help="complaints for the analytics (0: skip)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not append to docs/benchmarks.md")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    source = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded/testcontainers PostgreSQL"
    lines = [f"### Reporting — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "",
             f"Machine: {machine()}. Servers: {source}. Load average at the end: "
             f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}.", "",
             "| stage | complaints | time | target |", "|---|---|---|---|"]
    for key, label, target in (("shift", "shift report (당직일지), xlsx + pdf", 5),
                               ("month", "monthly report, xlsx + pdf", 30)):
        if key in results:
            r = results[key]
            lines.append(f"| {label} | {r['complaints']:,} | {r['seconds']:.2f} s | < {target} s |")
    if "shift" in results:
        warm = results["shift"]["warm_up"]
        lines.append(f"| (once per process: warm-up before the first report) | | {warm:.2f} s | |")
    for name, (seconds, rows) in results.get("analytics", {}).items():
        scope = "last 30 days of" if name == "repeat-places" else ""
        lines.append(f"| analytics `{name}` ({rows:,} rows out) | {scope} {args.analytics:,} | {seconds:.2f} s "
                     "| < 2 s |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        print(f"appended to {append_result(text)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
