"""Open311 end to end: the published `georeport` client files a request with the five services running as
processes, and reads it until it shows `closed` after the complaint is resolved."""

from __future__ import annotations

import asyncio

import pytest
import requests
import xmltodict
from georeport import GeoReport

from devstack.stack import run_command

from .conftest import Stack, eventually

pytestmark = pytest.mark.timeout(240)


async def test_georeport_client_files_and_follows_a_request_to_closed(stack: Stack):
    out = await asyncio.to_thread(run_command, "intake", ["api-key", "issue", "gimpo-app"],
                                  stack.services["intake"].env)
    key = out.splitlines()[0]
    client = GeoReport(stack.url("intake") + "/open311/v2", api_key=key, output_format="xml")
    services = await asyncio.to_thread(client.get_service_list)
    assert any(s["service_code"] == "water_supply" and s["metadata"] == "true" for s in services)

    # georeport has no method to file; its users POST the standard's form with `requests`
    posted = await asyncio.to_thread(requests.post, f"{client.root_address}/requests.xml", timeout=10, data={
        "api_key": key, "service_code": "water_supply", "lat": "37.6012", "long": "126.7701",
        "address_string": "경기도 김포시 고촌읍 신곡리 123-4", "attribute[leak_size]": "gush",
        "description": "고촌읍 신곡리 도로에서 수도관이 터져서 물이 도로로 넘치고 있어요",
        "first_name": "혜림", "last_name": "선우", "phone": "010-7261-4938"})
    assert posted.status_code == 201, posted.text
    request_id = xmltodict.parse(posted.content)["service_requests"]["request"]["service_request_id"]

    async def dispatched():
        complaint = (await stack.get("intake", f"/api/v1/complaints/{request_id}")).json()
        return complaint["status"] == "dispatched" and complaint
    complaint = await eventually(dispatched, timeout=20, what="classified and dispatched")
    assert complaint["channel"] == "open311" and complaint["classification"]["type"] == "water_supply"
    seen = await asyncio.to_thread(client.get_service_request, request_id)
    assert seen["status"] == "open" and seen["agency_responsible"] == complaint["classification"]["department"]
    assert seen["expected_datetime"].endswith("+09:00")

    async def in_reporting():
        rows = await stack.query("reporting", "SELECT channel FROM complaints WHERE complaint_id = $1::uuid",
                                 request_id)
        return rows and rows[0]["channel"] == "open311"
    await eventually(in_reporting, timeout=10, what="counted in reporting with channel open311")
    assert await stack.count("notifier", "sms_messages") >= 1

    r = await stack.post("intake", f"/api/v1/complaints/{request_id}/resolve", json={"note": "밸브 차단 후 복구"})
    assert r.status_code == 200, r.text

    async def closed():
        got = await asyncio.to_thread(client.get_service_request, request_id)
        return got["status"] == "closed" and got
    final = await eventually(closed, timeout=10, what="Open311 status closed")
    assert "밸브 차단 후 복구" in final["status_notes"]
    raw = (await asyncio.to_thread(requests.get, f"{client.root_address}/requests/{request_id}.json",
                                   timeout=10)).text
    assert "혜림" not in raw and "4938" not in raw
