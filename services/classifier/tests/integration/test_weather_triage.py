"""Weather-aware triage on real PostgreSQL and NATS: weather's events in, urgency raised, surges announced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sunmoon.events import OBSERVATION_RECORDED, WARNING_CHANGED, make_envelope
from sunmoon.events.classifier import WeatherContext
from sunmoon.events.weather import ObservationRecorded, WarningChanged
from sunmoon.kmagrid import to_grid

from classifier import weather

NIGHT = datetime(2026, 7, 14, 13, 0, tzinfo=UTC)  # 22:00 KST
SAWOO = (37.6215, 126.7155)  # 사우동
DRAIN = "하수구가 막혀서 물이 안 빠져요"


async def _weather_stream(service, *, warning: str | None, rain_mm: float):
    nx, ny = to_grid(*SAWOO)
    obs = make_envelope(OBSERVATION_RECORDED, ObservationRecorded(
        nx=nx, ny=ny, observed_at=NIGHT - timedelta(minutes=30), source="kma", temperature_c=24.1,
        precipitation_mm=rain_mm, precipitation_type=1 if rain_mm else 0, wind_speed_ms=4.0, simulated=True))
    await service.publish_to(OBSERVATION_RECORDED.subject, obs)
    if warning:
        w = make_envelope(WARNING_CHANGED, WarningChanged(
            area="김포", kind=warning[:2], level=warning[2:], status="issued",
            announced_at=NIGHT - timedelta(hours=2), simulated=True))
        await service.publish_to(WARNING_CHANGED.subject, w)
    await service.handled(2 if warning else 1)


async def test_heavy_rain_makes_a_drainage_complaint_urgent_with_the_warning_attached(service):
    assert (await service.client.post("/api/v1/classify", json={"text": DRAIN})).json()["urgency"] != "urgent"
    await _weather_stream(service, warning="호우경보", rain_mm=42.0)
    env = service.received_event(description=DRAIN, received_at=NIGHT, district="사우동", lat=SAWOO[0],
                                 lon=SAWOO[1], address="경기도 김포시 사우동 250")
    await service.publish(env)
    [(_, classified)] = await service.wait_published(1)
    p = classified["payload"]
    assert (p["type"], p["urgency"], p["weather_raised"]) == ("sewer_drainage", "urgent", True)
    assert p["weather"]["known"] and p["weather"]["warnings"] == ["호우경보"]
    assert p["weather"]["precipitation_mm"] == 42.0 and p["weather"]["hazards"] == ["rain"]
    assert p["weather"]["simulated"] is True
    row = (await service.client.get(f"/api/v1/classifications/{p['complaint_id']}")).json()
    assert row["weather_raised"] and row["weather"]["warnings"] == ["호우경보"]


async def test_no_weather_known_changes_nothing_and_says_unknown(service):
    env = service.received_event(description=DRAIN, received_at=NIGHT, district="사우동", lat=SAWOO[0],
                                 lon=SAWOO[1])
    await service.publish(env)
    [(_, classified)] = await service.wait_published(1)
    p = classified["payload"]
    assert p["weather"]["known"] is False and p["weather_raised"] is False and p["urgency"] != "urgent"


async def test_a_burst_of_drainage_complaints_in_one_dong_raises_one_surge(service):
    await _weather_stream(service, warning="호우주의보", rain_mm=20.0)
    for i in range(4):
        await service.publish(service.received_event(
            description=f"{DRAIN} ({i + 1}번째 신고)", received_at=NIGHT + timedelta(minutes=5 * i),
            district="사우동", lat=SAWOO[0], lon=SAWOO[1]))
    events = await service.wait_published(5)
    surges = [e["payload"] for s, e in events if s == "classifier.surge.detected.v1"]
    assert len(surges) == 1
    assert (surges[0]["district"], surges[0]["group"], surges[0]["count"]) == ("사우동", "rain", 3)
    assert surges[0]["warnings"] == ["호우주의보"]
    await service.eventually(lambda: _n(service, 4))
    assert len([1 for s, _ in await service.classified_events() if s == "classifier.surge.detected.v1"]) == 1


async def _n(service, n):
    return await service.count("classifications") >= n


@pytest.mark.parametrize(("type_", "urgency", "hazards", "expected"), [
    ("sewer_drainage", "normal", ["rain"], ("urgent", True)),
    ("snow_ice", "low", ["snow_cold"], ("normal", True)),
    ("water_supply", "normal", ["snow_cold"], ("urgent", True)),
    ("tree_vegetation", "normal", ["wind"], ("urgent", True)),
    ("noise", "normal", ["rain", "wind"], ("normal", False)),
    ("sewer_drainage", "urgent", ["rain"], ("urgent", False)),
    ("sewer_drainage", "normal", [], ("normal", False)),
])
def test_raise_rules(type_, urgency, hazards, expected):
    ctx = WeatherContext(known=True, hazards=hazards)
    assert weather.raise_urgency(type_, urgency, ctx) == expected


def test_hazards_from_observations_and_warnings():
    assert weather.hazards_of({"precipitation_mm": 30.0, "precipitation_type": 1}, []) == ["rain"]
    assert weather.hazards_of({"precipitation_mm": 2.0, "precipitation_type": 3, "temperature_c": -2}, []) == \
        ["snow_cold"]
    assert weather.hazards_of({"temperature_c": -15.0}, [("강풍", "주의보")]) == ["wind", "snow_cold"]
    assert weather.hazards_of(None, [("태풍", "경보")]) == ["rain", "wind"]
    assert weather.hazards_of({"precipitation_mm": 3.0, "wind_speed_ms": 5.0}, []) == []
