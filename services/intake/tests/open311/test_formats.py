"""Element names and nesting of the specification in XML, the same content in JSON, W3C dates (+09:00),
the search filters and their limits."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree as ET

import requests

KST = timezone(timedelta(hours=9))


def _get(root: str, path: str, **params) -> requests.Response:
    r = requests.get(f"{root}/{path}", params=params, timeout=10)
    assert r.status_code == 200, r.text
    return r


def _file(root: str, key: str, **fields) -> dict:
    form = {"api_key": key, "service_code": "streetlight", "address_string": "경기도 김포시 장기동 1", **fields}
    if form["service_code"] == "streetlight":
        form.setdefault("attribute[light_state]", "off")
    r = requests.post(f"{root}/requests.json", data=form, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()[0]


async def test_xml_has_the_elements_and_nesting_of_the_specification(open311):
    root, key = open311.root, open311.key
    created = await asyncio.to_thread(_file, root, key, description="가로등이 꺼졌어요")
    xml = lambda path, **p: ET.fromstring(_get(root, path, **p).content)  # noqa: E731

    discovery = await asyncio.to_thread(xml, "discovery.xml")
    assert discovery.tag == "discovery"
    endpoint = discovery.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url").endswith("/open311/v2") and endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]

    services = await asyncio.to_thread(xml, "services.xml")
    assert services.tag == "services" and {c.tag for c in services} == {"service"} and len(services) == 15
    assert [c.tag for c in services[0]] == ["service_code", "service_name", "description", "metadata", "type",
                                            "keywords", "group"]

    definition = await asyncio.to_thread(xml, "services/water_supply.xml")
    assert definition.tag == "service_definition" and definition.findtext("service_code") == "water_supply"
    attribute = definition.find("attributes/attribute")
    assert [c.tag for c in attribute] == ["variable", "code", "datatype", "required", "datatype_description",
                                          "order", "description", "values"]
    assert attribute.findtext("description") == "누수 규모" and attribute.findtext("datatype") == "singlevaluelist"
    assert [v.findtext("key") for v in attribute.findall("values/value")] == ["drip", "flow", "gush"]

    one = await asyncio.to_thread(xml, f"requests/{created['service_request_id']}.xml")
    assert one.tag == "service_requests" and [c.tag for c in one] == ["request"]
    request = one.find("request")
    for name in ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                 "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                 "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"):
        assert request.find(name) is not None, name
    assert request.findtext("status") == "open" and request.findtext("service_name") == "가로등·보안등"

    token = await asyncio.to_thread(xml, f"tokens/{created['token']}.xml")
    assert token.tag == "service_requests"
    assert token.findtext("request/service_request_id") == created["service_request_id"]

    posted = await asyncio.to_thread(requests.post, f"{root}/requests.xml", timeout=10, data={
        "api_key": key, "service_code": "other", "lat": "37.64", "long": "126.66", "description": "문의"})
    assert posted.status_code == 201 and posted.headers["content-type"].startswith("text/xml")
    answer = ET.fromstring(posted.content)
    assert answer.tag == "service_requests" and answer.find("request/service_request_id") is not None
    assert answer.find("request/token") is not None

    as_json = (await asyncio.to_thread(_get, root, f"requests/{created['service_request_id']}.json")).json()[0]
    assert as_json["service_request_id"] == request.findtext("service_request_id")
    assert as_json["lat"] is None and as_json["address"] == "경기도 김포시 장기동 1"
    stamp = datetime.fromisoformat(as_json["requested_datetime"])
    assert as_json["requested_datetime"].endswith("+09:00") and stamp.utcoffset() == timedelta(hours=9)
    assert abs(stamp - datetime.now(KST)) < timedelta(minutes=2)


async def test_search_filters_ids_codes_status_and_dates(open311):
    root, key = open311.root, open311.key
    a = (await asyncio.to_thread(_file, root, key))["service_request_id"]
    b = (await asyncio.to_thread(_file, root, key, service_code="noise", **{"attribute[noise_source]": "shop"}))[
        "service_request_id"]
    old = (await asyncio.to_thread(_file, root, key))["service_request_id"]
    await open311.db.execute("UPDATE complaints SET received_at = now() - interval '120 days' WHERE id = $1",
                             uuid.UUID(old))
    # a desk complaint (phone) is never published through Open311
    await open311.db.execute(
        "INSERT INTO complaints (id, received_at, channel, description) VALUES ($1, now(), 'phone', '전화 민원')",
        uuid.uuid4())
    ids = lambda **p: [r["service_request_id"] for r in _get(root, "requests.json", **p).json()]  # noqa: E731
    assert await asyncio.to_thread(ids) == [b, a]  # default: the last 90 days, newest first
    assert await asyncio.to_thread(ids, service_code="noise") == [b]
    assert await asyncio.to_thread(ids, service_code="noise,streetlight") == [b, a]
    assert await asyncio.to_thread(ids, status="closed") == []
    assert await asyncio.to_thread(ids, status="open,closed") == [b, a]
    # service_request_id overrides the other filters (and reaches past 90 days)
    assert sorted(await asyncio.to_thread(ids, service_request_id=f"{a},{old},nonsense",
                                          service_code="noise")) == sorted([a, old])
    start = (datetime.now(KST) - timedelta(days=125)).isoformat(timespec="seconds")
    end = (datetime.now(KST) - timedelta(days=100)).isoformat(timespec="seconds")
    assert await asyncio.to_thread(ids, start_date=start, end_date=end) == [old]
    assert await asyncio.to_thread(ids, start_date=start) == [old]  # start + 90 days
