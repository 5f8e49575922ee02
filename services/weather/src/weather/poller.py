"""The KMA poller: a background job of the running service, its schedule kept in the database.

Two jobs, each a row of ``poll_jobs``:

* ``nowcast`` — every hour at about :10-:15 KST, the now-cast of every grid cell of the city,
  stored as an observation (source ``kma``, or ``fake`` with ``simulated``) and announced as
  ``weather.observation.recorded.v1`` through the outbox. When the newest hour is not released
  yet (03 NO_DATA) it takes the hour before and tries again a few minutes later.
* ``warnings`` — every ~10 minutes, the newest telegram of the forecast office (station 109 for
  Gimpo; the nationwide status when it has sent none for six days), its t6 read for the city's area
  and compared with the stored state: ``weather.warning.changed.v1`` issued / changed / lifted.

On code 22 (daily quota) a job stops until the next midnight KST — stored, so a restart does not
hammer KMA. On a configuration error (key not registered, expired, no access ...) it stops until
the service restarts and says what to do in the log and at ``GET /api/v1/status``.
Time-outs and 5xx are retried with back-off by the client, then again ``retry_interval_s`` later.
A PostgreSQL advisory lock lets only one replica poll at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from sunmoon.logging import get_logger

from . import domain, handlers, repository
from .kma import KmaClient, KmaConfigurationError, KmaError, KmaQuotaExceeded, Nowcast
from .settings import WeatherSettings
from .warning_status import WarningArea, warnings_for

log = get_logger(__name__)

JOBS = ("nowcast", "warnings")
_LOCK_ID = 0x57454154  # "WEAT": one poller at a time across replicas
Clock = Callable[[], datetime]


def kst_now() -> datetime:
    return datetime.now(domain.KST)


def observation_from(nc: Nowcast, *, source: str, simulated: bool) -> handlers.RecordObservation:
    """A now-cast as an observation: T1H, RN1, REH, WSD, VEC, PTY; implausible values dropped."""
    values: dict[str, Any] = {
        "temperature_c": nc.number("T1H"), "precipitation_mm": nc.number("RN1"), "humidity_pct": nc.number("REH"),
        "wind_speed_ms": nc.number("WSD"), "wind_direction_deg": nc.number("VEC"),
    }
    for name, value in list(values.items()):
        if domain.implausible(name, value):
            log.warning("implausible value from KMA dropped", nx=nc.nx, ny=nc.ny, field=name, value=value)
            values[name] = None
    pty = nc.number("PTY")
    values["precipitation_type"] = int(pty) if pty is not None and int(pty) in domain.PRECIPITATION_TYPES else None
    return handlers.RecordObservation(nx=nc.nx, ny=nc.ny, observed_at=nc.base_at, source=source,
                                      simulated=simulated, **values)


class Poller:
    def __init__(self, pool: asyncpg.Pool, client: KmaClient, settings: WeatherSettings, *,
                 cells: list[tuple[int, int]], where: WarningArea, clock: Clock | None = None,
                 rng: random.Random | None = None) -> None:
        self.pool, self.client, self.settings = pool, client, settings
        self.cells, self.where = cells, where
        self.clock = clock or kst_now
        self.rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._jobs: dict[str, Callable[[datetime, dict[str, Any]], Awaitable[tuple[datetime, dict[str, Any]]]]] = {
            "nowcast": self._nowcast, "warnings": self._warnings}

    # -- the loop ---------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        started = False
        while not stop.is_set():
            delay = 5.0
            self._wake.clear()
            try:
                if not started:
                    await self.start_up()
                    started = True
                await self.tick()
                delay = await self._seconds_to_next()
            except Exception as exc:  # noqa: BLE001 - the loop must outlive a database hiccup
                log.error("weather poller: tick failed, trying again shortly", error=repr(exc))
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()
        await self.client.aclose()

    async def start_up(self) -> None:
        """A configuration stop lasts until a restart: after one (maybe with a new key), try again now.
        A quota stop stays: it ends at midnight KST."""
        async with self.pool.acquire() as conn:
            for job, row in (await repository.poll_jobs(conn)).items():
                if row["stopped_reason"] == "configuration":
                    await repository.save_poll_job(conn, job, stopped_reason=None, stopped_message=None,
                                                   next_run_at=self.clock())
        if self.settings.simulated:
            log.warning("weather is SIMULATED: no WEATHER_KMA_SERVICE_KEY, polling the fake KMA server",
                        base_url=self.settings.resolved_kma_base_url, scenario=self.settings.fake_kma_scenario)

    async def wake(self, *, now: bool = True) -> None:
        """Make every running job due now (after a scenario change) and wake the loop."""
        if now:
            async with self.pool.acquire() as conn:
                for job, row in (await repository.poll_jobs(conn)).items():
                    if not row["stopped_reason"]:
                        await repository.save_poll_job(conn, job, next_run_at=self.clock())
        self._wake.set()

    async def tick(self) -> list[str]:
        """Run every job that is due now. Returns the names of the jobs run."""
        ran = []
        async with self.pool.acquire() as lock_conn:
            if not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK_ID):
                return ran  # another replica is polling
            try:
                for job in JOBS:
                    now = self.clock()
                    row = await repository.poll_job(self.pool, job)
                    if self._due(row, now):
                        await self._run(job, now, dict(row["details"]) if row else {})
                        ran.append(job)
            finally:
                await lock_conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
        return ran

    @staticmethod
    def _due(row: asyncpg.Record | None, now: datetime) -> bool:
        if row is None:
            return True  # never ran: now
        if row["stopped_reason"] == "configuration" or row["next_run_at"] is None:
            return False
        return row["next_run_at"] <= now

    async def _seconds_to_next(self) -> float:
        rows = await repository.poll_jobs(self.pool)
        if len(rows) < len(JOBS):
            return 1.0
        pending = [r["next_run_at"] for r in rows.values() if r["next_run_at"] is not None]
        if not pending:
            return 60.0
        return min(60.0, max(0.5, (min(pending) - self.clock()).total_seconds()))

    async def _run(self, job: str, now: datetime, details: dict[str, Any]) -> None:
        await repository.save_poll_job(self.pool, job, last_attempt_at=now)
        try:
            next_run, details = await self._jobs[job](now, details)
        except KmaQuotaExceeded as exc:
            until = domain.next_midnight_kst(now) + timedelta(minutes=1)
            message = (f"data.go.kr's daily quota for this API is spent: no requests until {until.isoformat()}"
                       " (midnight KST); ask for a higher quota (운영계정) on data.go.kr if it happens often")
            await repository.save_poll_job(self.pool, job, stopped_reason="quota", stopped_until=until,
                                           next_run_at=until, last_error=str(exc), stopped_message=message)
            log.warning("KMA polling paused: daily quota", job=job, until=until.isoformat(), error=str(exc))
        except KmaConfigurationError as exc:
            await repository.save_poll_job(self.pool, job, stopped_reason="configuration", stopped_until=None,
                                           next_run_at=None, last_error=str(exc), stopped_message=exc.hint)
            log.error("KMA polling STOPPED: configuration error; fix it and restart the service", job=job,
                      error=str(exc), what_to_do=exc.hint)
        except (KmaError, asyncpg.PostgresError, OSError) as exc:
            retry = now + timedelta(seconds=self.settings.retry_interval_s)
            await repository.save_poll_job(self.pool, job, next_run_at=retry, last_error=str(exc))
            log.warning("KMA poll failed, will try again", job=job, error=str(exc), retry_at=retry.isoformat())
        else:
            await repository.save_poll_job(self.pool, job, last_success_at=now, next_run_at=next_run,
                                           last_error=None, stopped_reason=None, stopped_until=None,
                                           stopped_message=None, details=details)

    # -- the jobs ---------------------------------------------------------------------------------------
    async def _nowcast(self, now: datetime, _details: dict[str, Any]) -> tuple[datetime, dict[str, Any]]:
        newest = domain.nowcast_base(now)
        bases, outcomes = set(), {"created": 0, "updated": 0, "unchanged": 0}
        for nx, ny in self.cells:
            nc = await self.client.latest_nowcast(nx, ny, now)
            bases.add(nc.base_at)
            cmd = observation_from(nc, source=self.settings.source, simulated=self.settings.simulated)
            async with self.pool.acquire() as conn, conn.transaction():
                _row, outcome = await handlers.record_observation(conn, cmd)
            outcomes[outcome] += 1
        if bases == {newest}:
            jitter = self.rng.uniform(0, self.settings.nowcast_jitter_s)
            next_run = domain.next_nowcast_run(newest, minute=self.settings.nowcast_minute, jitter_s=jitter)
        else:  # some cell fell back one hour: the newest should come out within minutes
            next_run = now + timedelta(seconds=self.settings.retry_interval_s)
        log.info("now-cast polled", cells=len(self.cells), base_at=max(bases).isoformat(), fell_back=bases != {newest},
                 simulated=self.settings.simulated, **outcomes)
        return next_run, {"base_at": max(bases).isoformat(), "fell_back": bases != {newest}, **outcomes}

    async def _warnings(self, now: datetime, details: dict[str, Any]) -> tuple[datetime, dict[str, Any]]:
        next_run = now + timedelta(seconds=self.settings.warnings_interval_s)
        station = self.settings.warning_station
        header = await self.client.newest_telegram(station, now)
        if header is not None:
            key = f"{station}:{header.announced_at.isoformat()}#{header.seq}"
            if details.get("telegram") == key:
                return next_run, details  # nothing new since the last poll
            telegram, mode = await self.client.telegram(station, header), "telegram"
        else:
            telegram, mode = await self.client.warning_status(), "nationwide status"
            key = f"status:{telegram.announced_at.isoformat()}#{telegram.seq}"
        in_force = warnings_for(telegram.in_force, self.where)
        async with self.pool.acquire() as conn, conn.transaction():
            changes = await handlers.apply_warnings(conn, handlers.ApplyWarnings(
                area=self.where.area, in_force=in_force, announced_at=telegram.announced_at,
                effective_at=telegram.effective_at, station=telegram.station or station,
                source=self.settings.source, simulated=self.settings.simulated))
        log.info("warnings polled", area=self.where.area, mode=mode, title=telegram.title, in_force=in_force,
                 changes=len(changes))
        return next_run, {"telegram": key, "mode": mode, "title": telegram.title, "in_force": in_force}


def summary(rows: dict[str, asyncpg.Record]) -> dict[str, Any]:
    """The status endpoint's top line: last success, next poll, why stopped."""
    nowcast = rows.get("nowcast")
    pending = [r["next_run_at"] for r in rows.values() if r["next_run_at"] is not None]
    stopped = [f"{job}: {r['stopped_reason']} — {r['stopped_message']}" for job, r in rows.items()
               if r["stopped_reason"]]
    return {
        "last_success_at": nowcast["last_success_at"] if nowcast else None,
        "next_poll_at": min(pending) if pending else None,
        "stopped_reason": "; ".join(stopped) or None,
    }


async def close_quietly(client: KmaClient) -> None:
    with contextlib.suppress(Exception):
        await client.aclose()
