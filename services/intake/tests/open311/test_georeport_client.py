"""The published `georeport` client, used as its users use it, in its JSON and its XML mode, against intake
served by uvicorn on real PostgreSQL and NATS JetStream.

georeport 0.3.1 reads (services, definition, requests, one request) but has no method to file a request
or to resolve a token: its users POST the standard's form with `requests` (georeport's own HTTP library)
to `client.root_address`, which is what these tests do.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import requests
import xmltodict
from georeport import GeoReport

from sunmoon.testing.service import auth_headers
from sunmoon.events import COMPLAINT_CLASSIFIED, make_envelope
from sunmoon.events.classifier import ComplaintClassified
from sunmoon.messaging import Namespace, connect

PHONE, EMAIL = "010-2468-1357", "minsu.kim@example.kr"


def _post(client: GeoReport, **fields) -> requests.Response:
    return requests.post(f"{client.root_address}/requests.{client.output_format}",
                         data={"api_key": client.api_key, **fields}, timeout=10)


def _parse(client: GeoReport, response: requests.Response) -> list[dict]:
    if client.output_format == "json":
        return response.json()
    items = xmltodict.parse(response.content)["service_requests"]["request"]
    return items if isinstance(items, list) else [items]


async def _classify(servers, namespace, cid: uuid.UUID, type_: str, urgency: str, department: str) -> None:
    ns = Namespace(namespace)
    nc, js = await connect(servers.nats_url, name="test-open311")
    try:
        env = make_envelope(COMPLAINT_CLASSIFIED, ComplaintClassified(
            complaint_id=cid, type=type_, urgency=urgency, department=department, confidence=0.93,
            model_version="test"), correlation_id=cid)
        await js.publish(ns.subject(env.subject), env.to_bytes(), headers={"Nats-Msg-Id": str(env.event_id)})
    finally:
        await nc.close()


async def _until(check, timeout: float = 10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await asyncio.to_thread(check)
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_georeport_lists_defines_files_and_follows_to_closed(open311, servers, namespace, fmt):
    client = GeoReport(open311.root, api_key=open311.key, output_format=fmt)

    services = await asyncio.to_thread(client.get_service_list)
    by_code = {s["service_code"]: s for s in services}
    assert len(by_code) == 15 and by_code["illegal_parking"]["service_name"] == "불법 주정차"
    assert str(by_code["illegal_parking"]["metadata"]).lower() == "true"
    assert str(by_code["other"]["metadata"]).lower() == "false"
    assert by_code["water_supply"]["description"] and by_code["water_supply"]["type"] == "realtime"

    definition = await asyncio.to_thread(client.get_service_definition, "illegal_parking")
    attrs = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    vehicle = next(a for a in attrs if a["code"] == "vehicle_number")
    assert vehicle["description"] == "차량번호" and str(vehicle["required"]).lower() == "true"
    assert vehicle["datatype"] == "string" and str(vehicle["variable"]).lower() == "true"
    place = next(a for a in attrs if a["code"] == "parking_place")
    values = place["values"] if fmt == "json" else place["values"]["value"]
    assert {"key": "crosswalk", "name": "횡단보도"} in [dict(v) for v in values]
    water = await asyncio.to_thread(client.get_service_definition, "water_supply")
    water_attrs = water["attributes"] if fmt == "json" else water["attributes"]["attribute"]
    assert any(a["description"] == "누수 규모" for a in water_attrs)

    r = await asyncio.to_thread(
        _post, client, service_code="illegal_parking", lat="37.6152", long="126.7156",
        address_string="경기도 김포시 사우동 231", description="소방차 전용구역에 차가 계속 서 있어요",
        **{"attribute[vehicle_number]": "12가3456", "attribute[parking_place]": "fire_facility"},
        first_name="민수", last_name="김", phone=PHONE, email=EMAIL, device_id="dev-77", account_id="acct-9")
    assert r.status_code == 201, r.text
    (answer,) = _parse(client, r)
    request_id, token = answer["service_request_id"], answer["token"]
    by_token = await asyncio.to_thread(requests.get, f"{client.root_address}/tokens/{token}.{fmt}", timeout=10)
    assert _parse(client, by_token)[0]["service_request_id"] == request_id

    one = await asyncio.to_thread(client.get_service_request, request_id)
    assert one["status"] == "open" and one["service_code"] == "illegal_parking"
    assert one["description"] == "소방차 전용구역에 차가 계속 서 있어요"
    assert one["requested_datetime"].endswith("+09:00") and not one["agency_responsible"]

    # the complaint is a complaint like any other: channel open311, hint and attributes for the officer
    cid = uuid.UUID(request_id)
    row = await open311.db.fetchrow("SELECT * FROM complaints WHERE id = $1", cid)
    assert row["channel"] == "open311" and row["district"] == "사우동"
    assert "[Open311 신청 유형: 불법 주정차] 차량번호: 12가3456 · 주차 위치: 소방시설 주변" in row["description"]
    assert open311.cipher.decrypt(row["complainant_name_enc"], table="complaints", column="complainant_name",
                                  row_id=cid).reveal() == "김민수"
    o311 = await open311.db.fetchrow("SELECT * FROM open311_requests WHERE complaint_id = $1", cid)
    assert EMAIL.encode() not in o311["email_enc"]
    assert open311.cipher.decrypt(o311["email_enc"], table="open311_requests", column="email",
                                  row_id=cid).reveal() == EMAIL

    await _classify(servers, namespace, cid, "illegal_parking", "normal", "교통행정과")
    classified = await _until(lambda: (lambda x: x if x.get("agency_responsible") else None)(
        client.get_service_request(request_id)))
    assert classified["agency_responsible"] == "교통행정과" and classified["status"] == "open"
    assert classified["expected_datetime"].endswith("+09:00")
    assert "불법 주정차" in classified["status_notes"]

    async with httpx.AsyncClient(base_url=open311.base, headers=auth_headers()) as http:
        resolved = await http.post(f"/api/v1/complaints/{request_id}/resolve", json={"note": "견인 조치 완료"})
        assert resolved.status_code == 200, resolved.text
    closed = await _until(lambda: (lambda x: x if x["status"] == "closed" else None)(
        client.get_service_request(request_id)))
    assert "견인 조치 완료" in closed["status_notes"]
    assert closed["updated_datetime"] >= classified["updated_datetime"]

    listed = await asyncio.to_thread(client.get_service_requests, status="closed", service_code="illegal_parking")
    listed = listed if isinstance(listed, list) else [listed]
    assert [x["service_request_id"] for x in listed] == [request_id]
    # no answer ever carries the caller's personal data
    for path in (f"requests/{request_id}.{fmt}", f"requests.{fmt}", f"tokens/{token}.{fmt}"):
        text = (await asyncio.to_thread(requests.get, f"{client.root_address}/{path}", timeout=10)).text
        for secret in ("민수", "2468", EMAIL, "dev-77", "acct-9"):
            assert secret not in text, (path, secret)
