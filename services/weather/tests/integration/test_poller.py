"""The poller on real PostgreSQL and NATS, against the fake KMA server (in-process, on an injected clock)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest

from sunmoon.messaging import Namespace, connect
from sunmoon.testing.service import auth_headers, eventually, stream_events
from weather import domain
from weather.bootstrap import create_app
from weather.fakekma import FakeKma
from weather.poller import Poller
from weather.settings import WeatherSettings

KST = domain.KST
GIMPO_CELLS = [(53, 128), (53, 129), (53, 130), (54, 128), (54, 129), (54, 130), (55, 127), (55, 128),
               (55, 129), (56, 127)]
OBSERVED = "weather.observation.recorded.v1"
WARNING = "weather.warning.changed.v1"


def kst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=KST)


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t

    def set(self, text: str) -> None:
        self.t = kst(text)


@dataclass
class Weather:
    app: Any
    client: httpx.AsyncClient
    settings: WeatherSettings
    js: Any
    ns: Namespace

    @property
    def fake(self) -> FakeKma:
        return self.app.state.fake_kma

    @property
    def poller(self) -> Poller:
        return self.app.state.poller

    @property
    def pool(self) -> Any:
        return self.app.state.runtime.pool

    async def events(self, subject: str | None = None) -> list[dict]:
        found = await stream_events(self.js, self.ns, "WEATHER")
        return [env["payload"] for subj, env in found if subject in (None, subj)]

    async def wait_events(self, n: int) -> list[dict]:
        async def enough():
            return len(await self.events()) >= n

        await eventually(enough, timeout=10, what=f"{n} events on WEATHER")
        return await self.events()


@contextlib.asynccontextmanager
async def weather(servers, namespace, clock: Clock | None, **overrides):
    settings = WeatherSettings(database_url=await servers.fresh_database("weather"), nats_url=servers.nats_url,
                               nats_namespace=namespace, **{"poll": False, "nowcast_jitter_s": 0,
                                                            "kma_backoff_s": 0.01, **overrides})
    app = create_app(settings, clock=clock)
    nc, js = await connect(servers.nats_url, name="test")
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth_headers()) as client:
                yield Weather(app, client, settings, js, Namespace(namespace))
    finally:
        await nc.close()


async def test_every_gimpo_cell_and_warnings_issued_then_lifted(servers, namespace):
    clock = Clock(kst("2026-01-15 02:12"))
    async with weather(servers, namespace, clock) as w:
        assert await w.poller.tick() == ["nowcast", "warnings"]
        rows = await w.pool.fetch("SELECT * FROM observations ORDER BY nx, ny")
        assert [(r["nx"], r["ny"]) for r in rows] == GIMPO_CELLS
        assert {(r["source"], r["simulated"], r["observed_at"]) for r in rows} == {("fake", True, kst("2026-01-15 02:00"))}
        assert all(r["precipitation_type"] == 0 and r["wind_direction_deg"] is not None for r in rows)
        events = await w.wait_events(10)
        assert sorted((e["nx"], e["ny"]) for e in events) == GIMPO_CELLS
        assert all(e["simulated"] is True and e["source"] == "fake" for e in events)
        assert (await w.client.get("/api/v1/warnings")).json()["items"] == []

        clock.set("2026-01-15 02:15")
        w.fake.set_scenario("heavy_rain")  # KMA announces 호우경보 for 김포 at 02:15
        clock.set("2026-01-15 02:22")
        assert await w.poller.tick() == ["warnings"]  # the now-cast waits for 03:10
        clock.set("2026-01-15 03:12")
        assert await w.poller.tick() == ["nowcast", "warnings"]
        issued = [e for e in await w.wait_events(21) if "status" in e]
        assert [(e["area"], e["kind"], e["level"], e["status"], e["simulated"]) for e in issued] == [
            ("김포", "호우", "경보", "issued", True)]
        assert issued[0]["announced_at"] == "2026-01-14T17:15:00Z" and issued[0]["station"] == 109
        rain = await w.pool.fetch("SELECT precipitation_mm, precipitation_type FROM observations"
                                  " WHERE observed_at = $1", kst("2026-01-15 03:00"))
        assert len(rain) == 10 and all(r["precipitation_type"] == 1 and r["precipitation_mm"] > 30 for r in rain)
        in_force = (await w.client.get("/api/v1/warnings")).json()
        assert [(i["name"], i["simulated"]) for i in in_force["items"]] == [("호우경보", True)]
        assert in_force["area"] == "김포" and in_force["simulated"] is True

        clock.set("2026-01-15 03:30")
        w.fake.set_scenario("clear_night")  # lifted at 03:30
        clock.set("2026-01-15 03:41")
        assert await w.poller.tick() == ["warnings"]
        events = await w.wait_events(22)
        assert [(e["kind"], e["status"]) for e in events if "status" in e] == [("호우", "issued"), ("호우", "lifted")]
        assert (await w.client.get("/api/v1/warnings")).json()["items"] == []

        # conditions at a place and time: from the database, the warnings as they were then
        during = (await w.client.get("/api/v1/conditions",
                                     params={"district": "사우동", "at": "2026-01-15T03:20:00+09:00"})).json()
        assert during["place"] == {"nx": 55, "ny": 128, "district": "경기도 김포시 사우동", "lat": 37.61653888888889,
                                   "lon": 126.71913333333333, "in_city": True}
        assert during["observation"]["precipitation_type"] == 1 and during["observation_age_minutes"] == 20
        assert [x["name"] for x in during["warnings"]] == ["호우경보"] and during["simulated"] is True
        after = (await w.client.get("/api/v1/conditions", params={
            "lat": 37.61653888888889, "lon": 126.71913333333333, "at": "2026-01-15T03:45:00"})).json()
        assert after["warnings"] == [] and after["observation"]["observed_at"] == "2026-01-14T18:00:00Z"
        before = (await w.client.get("/api/v1/conditions", params={"nx": 55, "ny": 128, "at": "2026-01-15T02:10"})).json()
        assert before["observation"]["precipitation_type"] == 0 and before["warnings"] == []


async def test_cold_wave_through_the_simulation_endpoint(servers, namespace):
    clock = Clock(kst("2026-01-20 05:11"))
    async with weather(servers, namespace, clock) as w:
        await w.poller.tick()
        r = await w.client.put("/api/v1/simulation", json={"scenario": "cold_wave"})
        assert r.status_code == 200 and r.json()["scenario"] == "cold_wave"
        assert await w.poller.tick() == ["nowcast", "warnings"]  # the change made both due again
        rows = await w.pool.fetch("SELECT temperature_c, precipitation_type FROM observations")
        assert len(rows) == 10 and all(-16 <= r["temperature_c"] <= -14 and r["precipitation_type"] == 3 for r in rows)
        names = [i["name"] for i in (await w.client.get("/api/v1/warnings")).json()["items"]]
        assert names == ["대설주의보", "한파경보"]
        bad = await w.client.put("/api/v1/simulation", json={"scenario": "tornado"})
        assert bad.status_code == 422 and "clear_night" in bad.json()["detail"]


async def test_newest_hour_not_released_falls_back_one_hour_and_retries_soon(servers, namespace):
    clock = Clock(kst("2026-01-15 14:12"))
    async with weather(servers, namespace, clock, retry_interval_s=300) as w:
        w.fake.set_fail("nodata_latest")
        await w.poller.tick()
        observed = await w.pool.fetch("SELECT DISTINCT observed_at FROM observations")
        assert [r["observed_at"] for r in observed] == [kst("2026-01-15 13:00")]
        job = (await w.client.get("/api/v1/status")).json()["jobs"]["nowcast"]
        assert job["details"]["fell_back"] is True
        assert datetime.fromisoformat(job["next_run_at"]) == kst("2026-01-15 14:17")

        w.fake.set_fail(None)
        clock.set("2026-01-15 14:17")
        assert await w.poller.tick() == ["nowcast"]
        assert await w.pool.fetchval("SELECT count(*) FROM observations WHERE observed_at = $1",
                                     kst("2026-01-15 14:00")) == 10
        job = (await w.client.get("/api/v1/status")).json()["jobs"]["nowcast"]
        assert datetime.fromisoformat(job["next_run_at"]) == kst("2026-01-15 15:10")


async def test_daily_quota_stops_the_job_until_the_next_day(servers, namespace):
    clock = Clock(kst("2026-01-15 14:12"))
    async with weather(servers, namespace, clock) as w:
        w.fake.set_fail("quota", only="getUltraSrtNcst")
        assert await w.poller.tick() == ["nowcast", "warnings"]
        assert w.fake.count("getUltraSrtNcst") == 1  # no retry, no other cell
        status = (await w.client.get("/api/v1/status")).json()
        nowcast = status["jobs"]["nowcast"]
        assert nowcast["stopped_reason"] == "quota"
        assert datetime.fromisoformat(nowcast["stopped_until"]) == kst("2026-01-16 00:01")
        assert status["stopped_reason"].startswith("nowcast: quota") and status["jobs"]["warnings"]["stopped_reason"] is None

        for later in ("2026-01-15 15:12", "2026-01-15 23:59"):
            clock.set(later)
            await w.poller.tick()
        # a restart reads the stop from the database
        restarted = Poller(w.pool, w.poller.client, w.settings, cells=GIMPO_CELLS, where=w.poller.where, clock=clock)
        await restarted.start_up()
        await restarted.tick()
        assert w.fake.count("getUltraSrtNcst") == 1

        w.fake.set_fail(None)  # data.go.kr resets the quota at midnight
        clock.set("2026-01-16 00:05")
        assert "nowcast" in await restarted.tick()
        assert w.fake.count("getUltraSrtNcst") == 11
        status = (await w.client.get("/api/v1/status")).json()
        assert status["stopped_reason"] is None and status["jobs"]["nowcast"]["stopped_until"] is None
        assert datetime.fromisoformat(status["last_success_at"]) == kst("2026-01-16 00:05")


async def test_configuration_error_stops_and_says_what_to_do(servers, namespace):
    clock = Clock(kst("2026-01-15 14:12"))
    async with weather(servers, namespace, clock) as w:
        w.fake.set_fail("unregistered_key")
        await w.poller.tick()
        assert w.fake.count() == 2  # one request per job, then stop
        status = (await w.client.get("/api/v1/status")).json()
        for job in ("nowcast", "warnings"):
            assert status["jobs"][job]["stopped_reason"] == "configuration"
            assert status["jobs"][job]["next_run_at"] is None
            assert "WEATHER_KMA_SERVICE_KEY" in status["jobs"][job]["stopped_message"]
            assert "[30]" in status["jobs"][job]["last_error"]
        assert "configuration" in status["stopped_reason"] and status["next_poll_at"] is None

        clock.set("2026-01-15 18:12")
        await w.poller.tick()
        assert w.fake.count() == 2  # stopped means stopped

        w.fake.set_fail(None)  # the operator fixes the key and restarts the service
        await w.poller.start_up()
        assert await w.poller.tick() == ["nowcast", "warnings"]
        status = (await w.client.get("/api/v1/status")).json()
        assert status["stopped_reason"] is None and status["jobs"]["nowcast"]["last_error"] is None


async def test_conditions_input_rules(servers, namespace):
    async with weather(servers, namespace, Clock(kst("2026-01-15 14:12"))) as w:
        empty = (await w.client.get("/api/v1/conditions", params={"nx": 55, "ny": 128})).json()
        assert empty["observation"] is None and empty["stale"] is True and empty["place"]["in_city"] is True
        outside = (await w.client.get("/api/v1/conditions", params={"district": "종로구 사직동"})).json()
        assert outside["place"]["in_city"] is False and outside["warnings"] == []
        for params, code, text in (
            ({}, 422, "one way"),
            ({"nx": 55, "ny": 128, "district": "사우동"}, 422, "one way"),
            ({"lat": 37.6}, 422, "both lat and lon"),
            ({"district": "없는동"}, 404, "없는동"),
            ({"district": "중앙동"}, 422, "add the 시·군·구"),
        ):
            r = await w.client.get("/api/v1/conditions", params=params)
            assert r.status_code == code and text in r.json()["detail"], (params, r.text)
        assert (await w.client.get("/api/v1/conditions", params={"nx": 500, "ny": 1})).status_code == 422


async def test_started_without_a_key_the_service_polls_simulated_weather(servers, namespace):
    """What `make up` gets: no key, no clock, the poller running in the background against the in-process fake."""
    async with weather(servers, namespace, None, poll=True) as w:
        events = await w.wait_events(10)
        observed = [e for e in events if "nx" in e]
        assert sorted((e["nx"], e["ny"]) for e in observed) == GIMPO_CELLS
        assert all(e["simulated"] for e in observed)
        status = (await w.client.get("/api/v1/status")).json()
        assert status["simulated"] is True and status["source"] == "fake" and status["fake_scenario"] == "clear_night"
        assert status["cells"] == [list(c) for c in GIMPO_CELLS] and status["polling"] is True
        assert status["last_success_at"] is not None and status["next_poll_at"] is not None
        openapi = (await w.client.get("/openapi.json")).json()
        assert "SIMULATED WEATHER" in openapi["info"]["description"] and "SIMULATED" in openapi["info"]["title"]


@pytest.mark.parametrize("scenario", ["", "external"])
def test_settings_for_an_external_fake_or_a_real_key(scenario):
    external = WeatherSettings(database_url="postgresql://x/y", fake_kma_scenario=scenario)
    assert external.simulated and not external.in_process_fake
    assert external.resolved_kma_base_url == "http://127.0.0.1:8090/1360000"
    real = WeatherSettings(database_url="postgresql://x/y", kma_service_key="abc%2Bdef%3D%3D")
    assert not real.simulated and real.source == "kma"
    assert real.resolved_kma_base_url == "https://apis.data.go.kr/1360000"
    assert "abc" not in repr(real)  # SecretStr
    with pytest.raises(ValueError, match="WEATHER_CITY"):
        WeatherSettings(database_url="postgresql://x/y", city="경기도 없는시")
    with pytest.raises(ValueError, match="WEATHER_FAKE_KMA_SCENARIO"):
        WeatherSettings(database_url="postgresql://x/y", fake_kma_scenario="tornado")

