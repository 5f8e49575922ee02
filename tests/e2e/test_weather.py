"""A heavy-rain night, end to end: the fake KMA's 호우경보 reaches the classifier, a drainage complaint filed
at intake is urgent with the warning attached, and a burst of them in one 동 texts the supervisor."""

from __future__ import annotations

import pytest

from .conftest import eventually, start_stack

pytestmark = pytest.mark.timeout(240)

SAWOO = {"address": "경기도 김포시 사우동 250", "lat": 37.6215, "lon": 126.7155}


async def test_heavy_rain_night(servers, tmp_path):
    stack = await start_stack(servers, tmp_path, extra={"weather": {"WEATHER_FAKE_KMA_SCENARIO": "heavy_rain"}})
    try:
        warnings = await eventually(
            lambda: stack.query("classifier", "SELECT kind, level FROM weather_warnings WHERE status <> 'lifted'"),
            timeout=30, what="the fake KMA's warning reached the classifier")
        assert ("호우", "경보") in {(w["kind"], w["level"]) for w in warnings}
        await eventually(lambda: stack.count("classifier", "weather_observations"), timeout=30,
                         what="observations reached the classifier")

        ids = []
        for text in ("하수구가 막혀서 물이 안 빠져요", "빗물받이가 막혀서 길에 물이 고였어요",
                     "배수구가 넘쳐서 골목이 물바다예요"):
            r = await stack.post("intake", "/api/v1/complaints", json={
                "description": text, "channel": "phone", "location": SAWOO})
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])

        async def classified():
            c = (await stack.get("intake", f"/api/v1/complaints/{ids[0]}")).json()["classification"]
            return c if c and c.get("weather") else None
        c = await eventually(classified, timeout=15, what="the first complaint classified with its weather")
        assert c["type"] == "sewer_drainage" and c["urgency"] == "urgent"
        assert "호우경보" in c["weather"]["warnings"] and c["weather"]["simulated"] is True
        assert c["weather_raised"] or c["suggested_type"] == "sewer_drainage"

        rows = await eventually(
            lambda: stack.query("notifier", "SELECT role, text, status FROM notifications WHERE text LIKE '%급증%'"),
            timeout=15, what="the supervisor texted about the surge")
        assert rows[0]["role"] == "supervisor" and "사우동" in rows[0]["text"] and "호우경보" in rows[0]["text"]
        surges = await eventually(lambda: stack.query("reporting", "SELECT district, grp, count FROM surges"),
                                  timeout=10, what="the surge in reporting's read model")
        assert [(s["district"], s["grp"]) for s in surges] == [("사우동", "rain")]
    finally:
        stack.stop()
