"""The SQL of the analytics: PostgreSQL aggregates a million rows in about a second, so the
grouping happens there and pandas only shapes the (small) result.

Each query runs in its own transaction with a larger ``work_mem``: the planner cannot estimate how
few groups an expression such as the local hour makes, and with the default 4 MB it would sort a
million rows on disk instead of hashing them in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

Db = asyncpg.Pool
RANGE = "received_at >= $1 AND received_at < $2"
WORK_MEM = "128MB"


@contextlib.asynccontextmanager
async def _session(db: Db, *, serial: bool = False) -> AsyncIterator[asyncpg.Connection]:
    async with db.acquire() as conn, conn.transaction(readonly=True):
        await conn.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        if serial:  # queries run side by side already: no parallel workers on top
            await conn.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield conn


async def _fetch(db: Db, sql: str, *args: Any, serial: bool = False) -> list[asyncpg.Record]:
    async with _session(db, serial=serial) as conn:
        return await conn.fetch(sql, *args)


def fixed_offset(tz: ZoneInfo, since: datetime, until: datetime) -> int | None:
    """The zone's UTC offset in seconds if it is the same all through [since, until] (Korea keeps no
    daylight saving time), else None. Sampled daily: a summer time lasts months."""
    offsets = set()
    at = since
    while at <= until:
        offsets.add(tz.utcoffset(at.replace(tzinfo=None)))
        at += timedelta(days=1)
    offsets.add(tz.utcoffset(until.replace(tzinfo=None)))
    return int(offsets.pop().total_seconds()) if len(offsets) == 1 else None


async def patterns(db: Db, since: datetime, until: datetime, tz: ZoneInfo) -> list[asyncpg.Record]:
    """Complaints by type × hour of the week (0 = Monday 00–01 local) × 읍·면·동.

    With a fixed UTC offset the hour of the week is plain arithmetic on the epoch (twice as fast
    as converting every time with AT TIME ZONE, which a zone with summer time needs)."""
    offset = fixed_offset(tz, since, until)
    if offset is not None:  # 1970-01-01 was a Thursday: shift by three days so that 0 is a Monday
        how = f"((floor((date_part('epoch', received_at) + {offset}) / 3600)::bigint + 72) % 168)::int"
        return await _fetch(db, f"SELECT type, district, {how} AS how, count(*)::int AS count FROM complaints"
                                f" WHERE {RANGE} GROUP BY 1, 2, 3", since, until)
    return await _fetch(
        db, "SELECT type, district, ((extract(isodow FROM received_at AT TIME ZONE $3)::int - 1) * 24"
            " + extract(hour FROM received_at AT TIME ZONE $3)::int) AS how, count(*)::int AS count"
            f" FROM complaints WHERE {RANGE} GROUP BY 1, 2, 3", since, until, tz.key)


_INTERVALS = {  # date_part (double precision): extract() gives numeric, three times slower to sort
    "dispatch": "date_part('epoch', dispatched_at - received_at) / 60",
    "acknowledge": "date_part('epoch', acknowledged_at - dispatched_at) / 60",
    "resolve": "date_part('epoch', resolved_at - received_at) / 60",
}


async def response_times(db: Db, since: datetime, until: datetime) -> list[asyncpg.Record]:
    """Minutes received→dispatched, dispatched→acknowledged, received→resolved: count and percentiles
    by type, by department and overall (negative spans, from clocks that disagree, are left out).

    Ordered-set aggregates sort their input in a single process (no parallel plan), so the groupings
    go to two connections at once: by type and overall on one, by department on the other."""
    cols = ", ".join(f"{expr} AS {name}" for name, expr in _INTERVALS.items())
    aggs = ", ".join(
        f"count({n}) FILTER (WHERE {n} >= 0)::int AS {n}_n,"
        f" percentile_cont(ARRAY[0.5, 0.9, 0.95]) WITHIN GROUP (ORDER BY {n}) FILTER (WHERE {n} >= 0) AS {n}_p"
        for n in _INTERVALS)
    base = f"WITH t AS (SELECT type, department, {cols} FROM complaints WHERE {RANGE}) SELECT "
    by_type = (base + "CASE WHEN grouping(type) = 0 THEN 'type' ELSE 'all' END AS dimension, type,"
               f" NULL::text AS department, count(*)::int AS complaints, {aggs}"
               " FROM t GROUP BY GROUPING SETS ((type), ()) ORDER BY 1, 2")
    by_department = (base + "'department' AS dimension, NULL::text AS type, department,"
                     f" count(*)::int AS complaints, {aggs} FROM t GROUP BY department ORDER BY 3")
    parts = await asyncio.gather(*(_fetch(db, sql, since, until, serial=True) for sql in (by_type, by_department)))
    return sorted((r for part in parts for r in part), key=lambda r: r["dimension"])


# weather conditions and their complements (rows where the weather is unknown count in neither)
CONDITIONS: dict[str, tuple[str, str, str]] = {
    "rain": ("비 (1시간 강수 > 0 mm)", "precipitation_mm > 0", "precipitation_mm = 0"),
    "heavy_rain": ("강한 비 (1시간 강수 ≥ 10 mm)", "precipitation_mm >= 10", "precipitation_mm < 10"),
    "freezing": ("영하 (기온 < 0 ℃)", "temperature_c < 0", "temperature_c >= 0"),
    "severe_cold": ("한파 (기온 ≤ -10 ℃)", "temperature_c <= -10", "temperature_c > -10"),
    "warning": ("기상 특보 발효 중", "cardinality(warnings) > 0", "weather IS NOT NULL AND cardinality(warnings) = 0"),
}


async def weather(db: Db, since: datetime, until: datetime) -> list[asyncpg.Record]:
    """Per type: complaints under each condition and under its complement."""
    aggs = ", ".join(f"count(*) FILTER (WHERE {on})::int AS {k}_on, count(*) FILTER (WHERE {off})::int AS {k}_off"
                     for k, (_label, on, off) in CONDITIONS.items())
    return await _fetch(db, f"SELECT type, count(*)::int AS complaints, {aggs} FROM complaints WHERE {RANGE}"
                            " GROUP BY type ORDER BY type", since, until)


def month_starts(since: datetime, until: datetime, tz: ZoneInfo) -> list[datetime]:
    """The local first-of-month instants from the month of ``since`` to after ``until``."""
    at = since.astimezone(tz).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    out = [at]
    while at <= until:
        at = (at.replace(tzinfo=None) + timedelta(days=32)).replace(day=1).replace(tzinfo=tz)
        out.append(at)
    return out


async def monthly(db: Db, since: datetime, until: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Complaints per local calendar month and type. With a fixed UTC offset PostgreSQL groups by the
    local day number (arithmetic) and the days are folded into months here; else AT TIME ZONE."""
    offset = fixed_offset(tz, since, until)
    if offset is None:
        rows = await _fetch(
            db, "SELECT to_char(received_at AT TIME ZONE $3, 'YYYY-MM') AS month, type, count(*)::int AS count"
                f" FROM complaints WHERE {RANGE} GROUP BY 1, 2", since, until, tz.key)
        return [dict(r) for r in rows]
    rows = await _fetch(
        db, f"SELECT floor((date_part('epoch', received_at) + {offset}) / 86400)::int AS day, type,"
            f" count(*)::int AS count FROM complaints WHERE {RANGE} GROUP BY 1, 2", since, until)
    epoch = date(1970, 1, 1)
    months: dict[tuple[str, str | None], int] = {}
    for r in rows:
        key = (f"{epoch + timedelta(days=r['day']):%Y-%m}", r["type"])
        months[key] = months.get(key, 0) + r["count"]
    ordered = sorted(months.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    return [{"month": m, "type": t, "count": n} for (m, t), n in ordered]


async def places(db: Db, since: datetime, until: datetime) -> list[asyncpg.Record]:
    return await _fetch(
        db, "SELECT complaint_id, lat, lon, received_at, type, district FROM complaints"
            f" WHERE {RANGE} AND lat IS NOT NULL AND lon IS NOT NULL", since, until)
