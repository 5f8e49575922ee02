"""Weather on real PostgreSQL and real NATS JetStream: HTTP API, outbox, stream, command line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys

import asyncpg
import httpx
import pytest

from sunmoon.events import decode
from sunmoon.messaging import Namespace, connect
from weather import domain
from weather.bootstrap import create_app
from weather.settings import WeatherSettings
from sunmoon.testing.service import auth_headers

OBS = {"nx": 55, "ny": 128, "observed_at": "2026-01-15T03:00:00+09:00", "temperature_c": -3.5,
       "precipitation_mm": 0, "precipitation_type": 0}


@contextlib.asynccontextmanager
async def running_weather(servers, namespace):
    # poll=False: these tests count rows and events; the KMA poller is tested in test_poller.py
    settings = WeatherSettings(database_url=await servers.fresh_database("weather"), nats_url=servers.nats_url,
                               nats_namespace=namespace, poll=False)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth_headers()) as client:
            yield app, client, settings


async def _wait_for(check, timeout=10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.05)


async def _stream_messages(js, ns: Namespace) -> int:
    return (await js.stream_info(ns.stream("WEATHER"))).state.messages


async def test_post_stores_row_and_publishes_one_event(servers, namespace):
    ns = Namespace(namespace)
    nc, js = await connect(servers.nats_url, name="test")
    try:
        async with running_weather(servers, namespace) as (app, client, settings):
            r = await client.post("/api/v1/observations", json=OBS)
            assert r.status_code == 201, r.text
            body = r.json()
            assert body["outcome"] == "created"
            assert (body["nx"], body["ny"], body["temperature_c"]) == (55, 128, -3.5)
            assert body["precipitation_type_label"] == "없음"

            rows = await app.state.runtime.pool.fetch("SELECT * FROM observations")
            assert len(rows) == 1 and rows[0]["temperature_c"] == -3.5 and rows[0]["source"] == "manual"

            await _wait_for(lambda: app.state.runtime.pool.fetchval(
                "SELECT count(*) = 1 FROM outbox WHERE published_at IS NOT NULL"))
            assert await _stream_messages(js, ns) == 1
            msg = await js.get_last_msg(ns.stream("WEATHER"), ns.subject("weather.observation.recorded.v1"))
            envelope, payload = decode("weather.observation.recorded.v1", msg.data)
            assert envelope.producer == "weather"
            assert (payload.nx, payload.ny, payload.temperature_c, payload.source) == (55, 128, -3.5, "manual")
            assert payload.observed_at.isoformat() == "2026-01-14T18:00:00+00:00"

            latest = await client.get("/api/v1/observations/latest", params={"nx": 55, "ny": 128})
            assert latest.status_code == 200 and latest.json()["temperature_c"] == -3.5
    finally:
        await nc.close()


async def test_same_observation_twice_is_one_row(servers, namespace):
    ns = Namespace(namespace)
    nc, js = await connect(servers.nats_url, name="test")
    try:
        async with running_weather(servers, namespace) as (app, client, _settings):
            pool = app.state.runtime.pool
            assert (await client.post("/api/v1/observations", json=OBS)).status_code == 201
            again = await client.post("/api/v1/observations", json=OBS)
            assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
            corrected = await client.post("/api/v1/observations", json={**OBS, "temperature_c": -4.0})
            assert corrected.status_code == 200 and corrected.json()["outcome"] == "updated"
            # the same cell given as lat/lon, the same moment in UTC: still the same observation
            lat, lon = domain.to_latlon(55, 128)
            by_coords = await client.post("/api/v1/observations", json={
                **{k: v for k, v in OBS.items() if k not in ("nx", "ny")},
                "lat": lat, "lon": lon, "observed_at": "2026-01-14T18:00:00Z", "temperature_c": -4.0})
            assert by_coords.status_code == 200, by_coords.text
            assert (by_coords.json()["nx"], by_coords.json()["ny"], by_coords.json()["outcome"]) == (
                55, 128, "unchanged")

            rows = await pool.fetch("SELECT nx, ny, temperature_c FROM observations")
            assert [(r["nx"], r["ny"], r["temperature_c"]) for r in rows] == [(55, 128, -4.0)]
            # created and updated are announced; unchanged is not
            assert await pool.fetchval("SELECT count(*) FROM outbox") == 2
            await _wait_for(lambda: _has(js, ns, 2))
    finally:
        await nc.close()


async def _has(js, ns, n):
    return await _stream_messages(js, ns) == n


@pytest.mark.parametrize(("change", "field"), [
    ({"temperature_c": 99}, "temperature_c"),
    ({"humidity_pct": -5}, "humidity_pct"),
    ({"ny": 999}, "ny"),
    ({"precipitation_type": 4}, "precipitation_type"),
    ({"observed_at": "어제 밤"}, "observed_at"),
])
async def test_bad_input_is_422_naming_the_field(servers, namespace, change, field):
    async with running_weather(servers, namespace) as (app, client, _settings):
        r = await client.post("/api/v1/observations", json={**OBS, **change})
        assert r.status_code == 422
        assert any(e["loc"][-1] == field for e in r.json()["detail"]), r.json()
        assert await app.state.runtime.pool.fetchval("SELECT count(*) FROM observations") == 0
        assert await app.state.runtime.pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_reads_latest_and_range(servers, namespace):
    async with running_weather(servers, namespace) as (_app, client, _settings):
        missing = await client.get("/api/v1/observations/latest", params={"nx": 55, "ny": 128})
        assert missing.status_code == 404 and "(55, 128)" in missing.json()["detail"]
        for hour, temp in ((1, -1.0), (2, -2.0), (3, -3.0)):
            r = await client.post("/api/v1/observations", json={
                **OBS, "observed_at": f"2026-01-15T0{hour}:00:00+09:00", "temperature_c": temp})
            assert r.status_code == 201
        await client.post("/api/v1/observations", json={**OBS, "nx": 60, "ny": 127, "temperature_c": 9})

        latest = (await client.get("/api/v1/observations/latest", params={"nx": 55, "ny": 128})).json()
        assert latest["temperature_c"] == -3.0
        page = (await client.get("/api/v1/observations", params={
            "nx": 55, "ny": 128, "since": "2026-01-15T01:30:00+09:00", "until": "2026-01-15T04:00:00"})).json()
        assert [i["temperature_c"] for i in page["items"]] == [-2.0, -3.0]

        bad = await client.get("/api/v1/observations", params={
            "nx": 55, "ny": 128, "since": "2026-01-15T04:00:00+09:00", "until": "2026-01-15T01:00:00+09:00"})
        assert bad.status_code == 422 and "since" in bad.json()["detail"]
        assert (await client.get("/api/v1/observations", params={"nx": 500, "ny": 1})).status_code == 422
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).json()["checks"] == {"database": True, "nats": True, "streams": True}


async def test_cli_records_through_the_same_handler(servers, namespace):
    dsn = await servers.fresh_database("weathercli")
    env = {**os.environ, "WEATHER_DATABASE_URL": dsn, "WEATHER_NATS_URL": servers.nats_url,
           "WEATHER_NATS_NAMESPACE": namespace, "WEATHER_LOG_JSON": "true", "WEATHER_POLL": "false"}
    cmd = [sys.executable, "-m", "weather", "record", "--nx", "55", "--ny", "128", "--temp", "-3.5",
           "--rain", "0", "--pty", "1", "--at", "2026-01-15T03:00"]

    def run(args):
        return subprocess.run(args, env=env, capture_output=True, text=True, timeout=30)

    first, second = await asyncio.to_thread(run, cmd), await asyncio.to_thread(run, cmd)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("created: cell (55, 128)") and "(비)" in first.stdout
    assert second.stdout.startswith("unchanged:")
    help_ = await asyncio.to_thread(run, [sys.executable, "-m", "weather", "record", "--help"])
    assert help_.returncode == 0 and "--temp" in help_.stdout
    bad = await asyncio.to_thread(run, [*cmd[:-2], "--temp", "80"])
    assert bad.returncode == 2 and "temperature_c" in bad.stderr

    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT temperature_c, precipitation_type, observed_at FROM observations")
        assert [(r["temperature_c"], r["precipitation_type"]) for r in rows] == [(-3.5, 1)]
        outbox = await conn.fetch("SELECT subject, body FROM outbox")
        assert [o["subject"] for o in outbox] == ["weather.observation.recorded.v1"]
        assert json.loads(bytes(outbox[0]["body"]))["payload"]["nx"] == 55
    finally:
        await conn.close()

    # the service, once started, publishes what the command line recorded
    ns = Namespace(namespace)
    nc, js = await connect(servers.nats_url, name="test")
    app = create_app(WeatherSettings(database_url=dsn, nats_url=servers.nats_url, nats_namespace=namespace,
                                     poll=False))
    try:
        async with app.router.lifespan_context(app):
            await _wait_for(lambda: _has(js, ns, 1))
    finally:
        await nc.close()
