"""The desk's side panel (on-call worker, weather, duplicates, roster) and its dispatch controls.

Real PostgreSQL and NATS; the notifier's and the weather service's HTTP APIs are fakes answering with
their real response shapes (``/api/v1/roster/on-call``, ``/api/v1/roster``, ``/api/v1/conditions``).
"""

from __future__ import annotations

import json
import uuid

import httpx

from intake.web.desk_api import Peer

from .conftest import PASSWORD, fakes

ON_CALL = {
    "at": "2026-11-30T14:00:00Z", "at_kst": "2026-11-30 23:00 (Mon)", "kind": "weekday_night", "kind_label": "평일 야간",
    "duty_date": "2026-11-30", "holiday": None, "shift_starts_at": "2026-11-30T09:00:00Z",
    "shift_ends_at": "2026-12-01T00:00:00Z", "team_id": "road", "team_name": "도로 당직", "fallback": False,
    "source": "shift", "shift_id": 3,
    "texted_first": {"role": "primary", "id": "w-road-1", "name": "김*준", "phone": "010-****-2031", "active": True},
    "then": [{"role": "backup", "id": "w-road-2", "name": "이*연", "phone": "010-****-4172", "active": True}],
    "assigned": {"primary": "w-road-1", "backup": "w-road-2", "supervisor": None},
}
ROSTER = {"teams": [
    {"id": "road", "name": "도로 당직", "types": ["road_damage"], "type_labels": ["도로·보도 파손"], "districts": None,
     "fallback": False, "active": True, "shifts": [], "workers": [
         {"id": "w-road-1", "name": "김*준", "phone": "010-****-2031", "role": "primary", "active": True},
         {"id": "w-road-9", "name": "박*수", "phone": "010-****-0000", "role": "backup", "active": False}]},
    {"id": "water", "name": "상하수도 당직", "types": ["sewer_drainage"], "type_labels": ["하수"], "districts": None,
     "fallback": False, "active": True, "shifts": [], "workers": [
         {"id": "w-water-1", "name": "정*진", "phone": "010-****-1629", "role": "primary", "active": True}]},
]}
CONDITIONS = {
    "place": {"nx": 57, "ny": 128, "in_city": True}, "at": "2026-11-30T14:00:00Z",
    "observation": {"nx": 57, "ny": 128, "observed_at": "2026-11-30T13:00:00Z", "source": "kma", "temperature_c": -3.5,
                    "precipitation_mm": 1.5, "humidity_pct": 80.0, "wind_speed_ms": 4.2, "precipitation_type": 3,
                    "precipitation_type_label": "눈", "wind_direction_deg": 270.0, "simulated": False,
                    "recorded_at": "2026-11-30T13:10:00Z"},
    "observation_age_minutes": 60.0, "stale": False,
    "warnings": [{"area": "김포", "kind": "대설", "level": "주의보", "name": "대설주의보",
                  "announced_at": "2026-11-30T12:00:00Z", "effective_at": None, "since": "2026-11-30T12:00:00Z",
                  "station": 109, "source": "kma", "simulated": False}],
    "simulated": False,
}


def _peers(seen: list[httpx.Request]) -> dict[str, Peer]:
    async def notifier(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/v1/roster/on-call":
            if request.url.params.get("type") == "animal":
                return httpx.Response(404, json={"detail": "nobody"})
            return httpx.Response(200, json=ON_CALL)
        return httpx.Response(200, json=ROSTER)

    async def weather(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=CONDITIONS)

    return {"notifier": Peer("notifier", "http://notifier.test", 1.5, httpx.MockTransport(notifier)),
            "weather": Peer("weather", "http://weather.test", 1.5, httpx.MockTransport(weather))}


async def _signed_in(client) -> dict[str, str]:
    await fakes.sign_in(client, "officer", PASSWORD)
    return {"x-csrf-token": fakes.page_csrf((await client.get("/desk/")).text)}


async def test_side_panel_asks_the_owners_and_fails_soft(desk):
    client, app = desk
    seen: list[httpx.Request] = []
    app.state.desk_peers = _peers(seen)
    assert (await client.get("/desk/api/on-call", params={"type": "road_damage"})).status_code == 401
    await _signed_in(client)
    r = (await client.get("/desk/api/on-call", params={"type": "road_damage", "lat": 37.6202, "lon": 126.7151})).json()
    assert r["known"] and r["worker"] == {"id": "w-road-1", "name": "김*준", "role": "primary"}
    assert r["team"] == "도로 당직" and r["shift"] == "평일 야간" and r["district"] == "사우동"
    assert seen[-1].url.params["district"] == "사우동"  # the nearest 읍·면·동 of the point
    assert (await client.get("/desk/api/on-call", params={"type": "animal"})).json()["known"] is False
    assert (await client.get("/desk/api/on-call", params={"type": "nope"})).status_code == 422
    w = (await client.get("/desk/api/weather", params={"lat": 37.62, "lon": 126.71})).json()
    assert (w["known"], w["temperature_c"], w["precipitation"], w["warnings"]) == (True, -3.5, "눈", ["대설주의보"])
    assert (await client.get("/desk/api/weather", params={"lat": 0, "lon": 126.71})).status_code == 422
    roster = (await client.get("/desk/api/roster")).json()
    assert [x["id"] for x in roster["workers"]] == ["w-road-1", "w-water-1"]  # inactive left out

    # nobody answers (a closed port): the panel says so at once, nothing fails
    app.state.desk_peers = {"notifier": Peer("notifier", "http://127.0.0.1:9", 0.5),
                            "weather": Peer("weather", "http://127.0.0.1:9", 0.5)}
    assert (await client.get("/desk/api/on-call", params={"type": "road_damage"})).json() == {
        "known": False, "reason": "당직 명단에 연결할 수 없습니다"}
    assert (await client.get("/desk/api/weather", params={"lat": 37.62, "lon": 126.71})).json()["known"] is False
    assert (await client.get("/desk/api/roster")).json()["known"] is False


async def test_duplicates_link_hold_and_dispatch_from_the_desk(desk):
    client, app = desk
    headers = await _signed_in(client)
    body = {"description": "사우동 사거리 도로가 움푹 패였어요", "channel": "phone",
            "location": {"address": "경기도 김포시 사우동", "lat": 37.6202, "lon": 126.7151}}
    primary = (await client.post("/api/v1/complaints", json=body, headers=headers)).json()["id"]
    await app.state.runtime.pool.execute("UPDATE complaints SET type = 'road_damage', urgency = 'normal',"
                                         " status = 'classified' WHERE id = $1", uuid.UUID(primary))
    dups = (await client.get("/desk/api/duplicates", params={"lat": 37.6206, "lon": 126.7151,
                                                             "type": "road_damage"})).json()
    assert [d["id"] for d in dups["items"]] == [primary] and 40 < dups["items"][0]["distance_m"] < 50

    second = (await client.post("/api/v1/complaints", json={**body, "duplicate_of": primary},
                                headers=headers)).json()["id"]
    board = (await client.get("/desk/api/board")).json()["items"]
    assert {i["id"]: i["duplicate_of"] for i in board} == {primary: None, second: primary}
    html = (await client.get(f"/desk/complaints/{second}")).text
    assert "대표 민원" in html and 'id="dispatch-controls"' not in html  # a linked one has no controls

    third = (await client.post("/api/v1/complaints", json=body, headers=headers)).json()["id"]
    url = f"/desk/api/complaints/{third}"
    assert (await client.post(f"{url}/hold", json={"reason": "확인 중"})).status_code == 403  # no CSRF token
    assert (await client.post(f"{url}/hold", json={"reason": "x"}, headers=headers)).status_code == 422
    r = await client.post(f"{url}/hold", json={"reason": "민원인 재확인"}, headers=headers)
    assert r.status_code == 200, r.text
    assert (await client.get(f"/api/v1/complaints/{third}")).json()["held"] is True
    html = (await client.get(f"/desk/complaints/{third}")).text
    assert "보류" in html and 'id="dispatch-now"' in html and 'id="redispatch-worker"' in html
    r = await client.post(f"{url}/dispatch", json={}, headers=headers)
    assert r.status_code == 409 and "분류되지" in r.json()["detail"]
    assert (await client.post(f"{url}/dispatch", json={"worker_id": "a b"}, headers=headers)).status_code == 422
    assert (await client.post(f"{url}/link", json={"primary_id": "nope"}, headers=headers)).status_code == 422
    r = await client.post(f"{url}/link", json={"primary_id": second}, headers=headers)  # a chain: to the root
    assert r.status_code == 200, r.text
    got = (await client.get(f"/api/v1/complaints/{primary}")).json()
    assert set(got["linked"]) == {second, third}
    missing = await client.post(f"/desk/api/complaints/{uuid.uuid4()}/dispatch", json={}, headers=headers)
    assert missing.status_code == 404
    r = await client.post(f"/desk/api/complaints/{primary}/dispatch", json={"worker_id": "w-road-1"}, headers=headers)
    assert r.status_code == 200, r.text
    bodies = await app.state.runtime.pool.fetch("SELECT body FROM outbox WHERE subject LIKE '%dispatch_requested%'")
    [event] = [json.loads(bytes(r["body"]))["payload"] for r in bodies]
    assert event["worker_id"] == "w-road-1" and set(event["linked_complaint_ids"]) == {second, third}
