"""The desk's map and place endpoints on real PostgreSQL and NATS: autocomplete (gazetteer + a geocoder on a
fake server), reverse lookup, shipped boundaries, warnings from a fake weather service (and without one),
and weather in the map's rows."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from pydantic import SecretStr

from sunmoon.testing.service import auth_headers
from intake import geocoding
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from intake.web import gazetteer
from intake.web.auth import save_user
from intake.web.warnings import WeatherWarnings, banner
from sunmoon.crypto import FieldCipher, KeyRing

from .conftest import PASSWORD, fakes
from .fake_geocoder import GOOD_KEY, QUOTA_KEY, FakeGeocoder

WARNINGS = {"city": "김포시", "area": "김포", "checked_at": "2026-07-10T12:00:00Z", "simulated": True,
            "items": [{"area": "김포", "kind": "호우", "level": "주의보", "name": "호우주의보",
                       "announced_at": "2026-07-10T11:00:00Z", "effective_at": None,
                       "since": "2026-07-10T11:00:00Z", "station": 109, "source": "fake", "simulated": True}]}


def fake_weather(body=WARNINGS, calls: list | None = None) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if calls is not None:
            calls.append(request.url.path)
        return httpx.Response(200, json=body) if request.url.path == "/api/v1/warnings" else httpx.Response(404)
    return httpx.MockTransport(handle)


@pytest.fixture
def geocoder_server():
    with FakeGeocoder() as server:
        yield server


@pytest.fixture
async def map_desk(servers, namespace, geocoder_server):
    settings = IntakeSettings(database_url=await servers.fresh_database("intake"), nats_url=servers.nats_url,
                              nats_namespace=namespace, geocoder="vworld", geocoder_key=SecretStr(GOOD_KEY),
                              geocoder_url=geocoder_server.url)
    app = create_app(settings, FieldCipher(KeyRing.generate("k1")))
    app.state.desk.preview.transport = fakes.fake_classifier()
    app.state.desk.warnings.transport = fake_weather()
    async with app.router.lifespan_context(app):
        async with app.state.runtime.pool.acquire() as conn:
            await save_user(conn, "officer", "duty_officer", PASSWORD, update=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://desk.test") as client:
            await fakes.sign_in(client, "officer", PASSWORD)
            yield client, app


def test_gazetteer_ranks_dong_before_roads_and_knows_roads_and_ri():
    assert gazetteer.suggest("풍무")[0].name == "풍무동"
    roads = [m for m in gazetteer.suggest("김포대로", limit=20) if m.kind == "road"]
    assert roads[0].name == "김포대로" and {m.area for m in roads if m.name == "김포대로"} >= {"사우동", "통진읍"}
    assert all(m.approximate for m in roads)
    ri = next(m for m in gazetteer.suggest("마송리") if m.kind == "legal")
    assert ri.area == "통진읍" and ri.address == "경기도 김포시 통진읍 마송리"
    road = next(m for m in gazetteer.suggest("사우중로") if m.name == "사우중로")
    assert road.address == "경기도 김포시 사우동 사우중로" and (road.lat, road.lon) == (
        gazetteer.find("사우동").lat, gazetteer.find("사우동").lon)
    assert len({m.name for m in gazetteer.entries() if m.kind == "road"}) > 800
    assert gazetteer.suggest("없는이름") == []


def test_nearest_agrees_with_the_shipped_cells_and_the_outline():
    p, km = gazetteer.nearest(37.6166, 126.7190)
    assert p.name == "사우동" and km < 0.1
    assert gazetteer.in_city(37.64, 126.66) and not gazetteer.in_city(37.5665, 126.978)   # 서울시청: outside
    geo = gazetteer.areas_geojson()
    cells = [f for f in geo["features"] if not f["properties"].get("outline")]
    assert len(cells) == 14 and all(f["properties"]["approximate"] for f in geo["features"])
    for f in cells:   # each 읍·면·동's own point lies in its own cell
        ring = f["geometry"]["coordinates"][0]
        assert gazetteer._inside(f["properties"]["label_lat"], f["properties"]["label_lon"], ring), f


async def test_places_autocomplete_with_geocoder_first(map_desk, geocoder_server):
    client, app = map_desk
    r = (await client.get("/desk/api/places", params={"q": "김포대로"})).json()
    assert r["places"][0]["name"] == "김포대로" and r["places"][0]["kind"] == "road" and r["geocoder"] is None
    assert not geocoder_server.requests                         # no number: the gazetteer only
    r = (await client.get("/desk/api/places", params={"q": "사우중로 1"})).json()
    first = r["places"][0]
    assert first["kind"] == "geocoded" and (first["lat"], first["lon"]) == (37.6153, 126.7155)
    assert first["address"] == "경기도 김포시 사우동 사우중로 1" and first["area"] == "사우동"
    assert r["geocoder"] == {"provider": "vworld", "error": None, "outside_city": 0}
    assert geocoder_server.requests[0]["params"]["address"] == "김포시 사우중로 1"
    r = (await client.get("/desk/api/places", params={"q": "서울시 세종대로 110"})).json()
    assert r["geocoder"]["outside_city"] == 1 and all(p["kind"] != "geocoded" for p in r["places"])
    # the provider refuses: the gazetteer still answers, and the desk says why
    app.state.desk.geocoder = geocoding.from_settings(IntakeSettings(
        geocoder="vworld", geocoder_key=SecretStr(QUOTA_KEY), geocoder_url=geocoder_server.url))
    r = (await client.get("/desk/api/places", params={"q": "사우중로 1"})).json()
    assert r["geocoder"]["kind"] == "quota" and "한도" in r["geocoder"]["error"]
    assert r["places"][0]["name"] == "사우중로"
    assert (await client.get("/desk/api/places", params={"q": "가" * 101})).status_code == 422
    assert (await client.get("/desk/api/places", params={"limit": 0})).status_code == 422


async def test_reverse_lookup_and_areas(map_desk):
    client, _ = map_desk
    r = (await client.get("/desk/api/reverse", params={"lat": 37.6470, "lon": 126.6240})).json()
    assert r["in_city"] and r["place"]["name"] == "구래동" and r["address"] == "경기도 김포시 구래동"
    r = (await client.get("/desk/api/reverse", params={"lat": 37.5665, "lon": 126.978})).json()
    assert not r["in_city"] and "김포시 밖" in r["message"]
    assert (await client.get("/desk/api/reverse", params={"lat": 91, "lon": 0})).status_code == 422
    assert (await client.get("/desk/api/reverse", params={"lat": "x", "lon": 0})).status_code == 422
    geo = (await client.get("/desk/api/areas")).json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 15 and "APPROXIMATE" in geo["note"]


async def test_warnings_banner_cached_and_failing_soft(map_desk):
    client, app = map_desk
    calls: list[str] = []
    app.state.desk.warnings = WeatherWarnings("http://weather.test", 1.0, transport=fake_weather(calls=calls))
    for _ in range(3):
        w = (await client.get("/desk/api/warnings")).json()
    assert w["known"] and w["banner"] == "호우주의보 발효 중" and [i["name"] for i in w["items"]] == ["호우주의보"]
    assert calls == ["/api/v1/warnings"]                        # cached
    app.state.desk.warnings = WeatherWarnings("http://127.0.0.1:9", 0.5)
    w = (await client.get("/desk/api/warnings")).json()
    assert w == {"known": False, "reason": "기상특보 정보를 가져올 수 없음", "items": []}
    assert banner([{"name": "강풍주의보"}, {"name": "호우경보"}]) == "호우경보·강풍주의보 발효 중"


async def test_map_rows_carry_the_weather_and_need_sign_in(map_desk):
    client, app = map_desk
    body = {"description": "도로에 물이 넘쳐요", "channel": "phone",
            "location": {"address": "경기도 김포시 사우동 1", "lat": 37.6165, "lon": 126.7191}}
    cid = (await client.post("/api/v1/complaints", json=body, headers=auth_headers())).json()["id"]
    weather = {"known": True, "temperature_c": 21.5, "precipitation_mm": 32.0, "precipitation_type": 1,
               "wind_speed_ms": 4.2, "warnings": ["호우경보"], "hazards": ["rain"]}
    await app.state.runtime.pool.execute("UPDATE complaints SET weather = $1::jsonb, weather_raised = true"
                                         " WHERE id = $2", json.dumps(weather), uuid.UUID(cid))
    [item] = (await client.get("/desk/api/map")).json()["items"]
    assert item["weather"] == "기온 21.5℃ · 비 32.0mm · 바람 4.2m/s · 호우경보" and item["weather_raised"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://desk.test") as anon:
        for path in ("/desk/api/map", "/desk/api/places", "/desk/api/warnings", "/desk/api/areas"):
            assert (await anon.get(path)).status_code == 401
