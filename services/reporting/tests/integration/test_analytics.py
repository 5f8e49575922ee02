"""Analytics over the read model: JSON, CSV and Excel, on rows written straight into the read model."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl

KST = ZoneInfo("Asia/Seoul")
T = datetime(2026, 3, 10, 22, 15, tzinfo=KST)  # a Tuesday evening
MARCH = {"since": "2026-03-01T00:00:00+09:00", "until": "2026-03-31T00:00:00+09:00"}
SAUDONG = ["a1", "a2", "a3"]

# name: (received, type, department, district, lat, lon, minutes to dispatch, rain mm, temperature)
ROWS = {
    "a1": (T, "sewer_drainage", "하수도과", "사우동", 37.6150, 126.7150, 2, 12.0, 8.0),
    "a2": (T + timedelta(days=7), "sewer_drainage", "하수도과", "사우동", 37.6152, 126.7152, 4, 5.0, 7.0),
    "a3": (T + timedelta(days=14), "sewer_drainage", "하수도과", "사우동", 37.6148, 126.7149, 6, 0.0, 9.0),
    "b1": (T + timedelta(days=1), "road_damage", "도로과", "고촌읍", 37.6000, 126.7700, 10, 0.0, 5.0),
    "b2": (T + timedelta(days=2), "road_damage", "도로과", "고촌읍", 37.6001, 126.7701, 20, 0.0, 5.0),
    "c1": (T + timedelta(days=3), "water_supply", "상수도과", "풍무동", 37.6300, 126.7000, 1, 0.0, -12.0),
    "d1": (datetime(2026, 2, 15, 23, 0, tzinfo=KST), "noise", "환경과", "장기동", 37.64, 126.66, None, None, None),
}


async def _seed(svc) -> dict[str, uuid.UUID]:
    ids = {k: uuid.uuid4() for k in ROWS}
    for k, (at, type_, dept, district, lat, lon, dispatch, rain, temp) in ROWS.items():
        await svc.pool.execute(
            "INSERT INTO complaints (complaint_id, received_at, channel, district, status, type, urgency, department,"
            " dispatched_at, lat, lon, precipitation_mm, temperature_c, weather)"
            " VALUES ($1, $2, 'phone', $3, $4, $5, 'normal', $6, $7, $8, $9, $10, $11, $12)",
            ids[k], at, district, "dispatched" if dispatch else "classified", type_, dept,
            at + timedelta(minutes=dispatch) if dispatch else None, lat, lon, rain, temp,
            {"known": True} if rain is not None else None)
    return ids


async def _get(svc, name: str, **params) -> dict:
    r = await svc.client.get(f"/api/v1/analytics/{name}", params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def test_analytics_json_csv_xlsx(start_reporting):
    async with start_reporting() as svc:
        ids = await _seed(svc)
        catalogue = (await svc.client.get("/api/v1/analytics")).json()
        assert [a["name"] for a in catalogue] == ["patterns", "repeat-places", "response-times", "weather", "trends"]

        patterns = await _get(svc, "patterns", **MARCH)
        assert patterns["notes"]["total"] == 6
        saudong = [r for r in patterns["rows"] if r["district"] == "사우동"]
        assert saudong == [{"type": "sewer_drainage", "type_label": "하수·배수·침수", "weekday": 2,
                            "weekday_label": "화", "hour": 22, "district": "사우동", "count": 3}]

        places = await _get(svc, "repeat-places", **MARCH)
        assert len(places["rows"]) == 1  # 고촌읍 has two complaints only, 풍무동 one
        place = places["rows"][0]
        assert place["complaints"] == 3 and place["district"] == "사우동" and place["top_type"] == "sewer_drainage"
        assert set(place["complaint_ids"]) == {str(ids[k]) for k in SAUDONG}
        assert place["first_at"].startswith("2026-03-10T22:15:00+09:00")
        assert (await _get(svc, "repeat-places", min_count=2, **MARCH))["rows"][1]["district"] == "고촌읍"
        assert (await _get(svc, "repeat-places", radius_m=10, **MARCH))["rows"] == []

        times = await _get(svc, "response-times", **MARCH)
        overall = next(r for r in times["rows"] if r["dimension"] == "all")
        assert overall["complaints"] == 6 and overall["dispatch_n"] == 6 and overall["dispatch_p50_min"] == 5.0
        sewer = next(r for r in times["rows"] if r["dimension"] == "type" and r["type"] == "sewer_drainage")
        assert (sewer["dispatch_p50_min"], sewer["dispatch_p90_min"]) == (4.0, 5.6)
        roads = next(r for r in times["rows"] if r["dimension"] == "department" and r["department"] == "도로과")
        assert roads["dispatch_p50_min"] == 15.0 and roads["acknowledge_n"] == 0

        weather = await _get(svc, "weather", **MARCH)
        rain = next(h for h in weather["notes"]["highlights"] if h["condition"] == "rain")
        assert (rain["type"], rain["count"], rain["share"], rain["share_otherwise"], rain["lift"]) == (
            "sewer_drainage", 2, 1.0, 0.25, 4.0)
        cold = next(r for r in weather["rows"] if r["condition"] == "severe_cold" and r["type"] == "water_supply")
        assert (cold["count"], cold["share"], cold["lift"]) == (1, 1.0, None)

        trends = await _get(svc, "trends", since="2026-02-01T00:00:00+09:00", until="2026-04-01T00:00:00+09:00")
        march = next(r for r in trends["rows"] if r["month"] == "2026-03" and r["type"] == "all")
        assert (march["count"], march["previous"], march["change"], march["change_pct"]) == (6, 1, 5, 500.0)
        feb_noise = next(r for r in trends["rows"] if r["month"] == "2026-02" and r["type"] == "noise")
        assert feb_noise["count"] == 1 and feb_noise["previous"] is None

        # exports
        r = await svc.client.get("/api/v1/analytics/repeat-places", params={**MARCH, "format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert r.content.startswith(b"\xef\xbb\xbf") and "filename*=UTF-8''" in r.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0]["complaints"] == "3" and len(rows[0]["complaint_ids"].split(";")) == 3
        r = await svc.client.get("/api/v1/analytics/patterns", params={**MARCH, "format": "xlsx"})
        assert r.status_code == 200
        ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
        assert [c.value for c in ws[1]] == ["type", "type_label", "weekday", "weekday_label", "hour", "district",
                                           "count"]
        assert sum(row[6] for row in ws.iter_rows(min_row=2, values_only=True)) == 6 and ws.freeze_panes == "A2"


async def test_analytics_refuse_bad_requests_and_default_their_range(start_reporting):
    async with start_reporting() as svc:
        assert (await svc.client.get("/api/v1/analytics/horoscope")).status_code == 404
        bad = [("patterns", {"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"}),
               ("repeat-places", {"since": "2026-01-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"}),
               ("patterns", {"format": "pdf"}), ("repeat-places", {"radius_m": 1})]
        for name, params in bad:
            assert (await svc.client.get(f"/api/v1/analytics/{name}", params=params)).status_code == 422, params
        for name in ("patterns", "repeat-places", "response-times", "weather", "trends"):
            body = await _get(svc, name)
            assert body["rows"] == [] or name == "response-times", name
            span = datetime.fromisoformat(body["until"]) - datetime.fromisoformat(body["since"])
            assert timedelta(days=28) <= span <= timedelta(days=366), name
