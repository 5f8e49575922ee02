"""Errors as GeoReport v2 defines them: [{code, description}] / <errors><error>, right status, both formats."""

from __future__ import annotations

import asyncio
import json
import uuid
from xml.etree import ElementTree as ET

import pytest
import requests

GOOD = {"service_code": "water_supply", "lat": "37.6012", "long": "126.7701", "description": "수도관이 터졌어요",
        "attribute[leak_size]": "gush"}


def _errors(fmt: str, response: requests.Response) -> list[dict]:
    if fmt == "json":
        assert response.headers["content-type"].startswith("application/json")
        return response.json()
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "errors" and [e.tag for e in root] == ["error"] * len(root)
    return [{"code": int(e.findtext("code")), "description": e.findtext("description")} for e in root]


def _without(name: str) -> dict:
    return {k: v for k, v in GOOD.items() if k != name}


POST_CASES = [
    ("missing service_code", lambda key: {**_without("service_code"), "api_key": key}, 400, "service_code"),
    ("unknown service_code", lambda key: {**GOOD, "service_code": "ufo_sighting", "api_key": key}, 404,
     "service_code"),
    ("invalid lat", lambda key: {**GOOD, "lat": "north", "api_key": key}, 400, "lat"),
    ("lat outside Korea", lambda key: {**GOOD, "lat": "91", "api_key": key}, 400, "lat"),
    ("no location", lambda key: {**_without("lat"), "long": "", "api_key": key}, 400, "address_string"),
    ("missing required attribute", lambda key: {**_without("attribute[leak_size]"), "api_key": key}, 400,
     "leak_size"),
    ("value not in the list", lambda key: {**GOOD, "attribute[leak_size]": "ocean", "api_key": key}, 400,
     "leak_size"),
    ("unknown attribute", lambda key: {**GOOD, "attribute[colour]": "red", "api_key": key}, 400, "colour"),
    ("invalid phone", lambda key: {**GOOD, "phone": "12-34", "api_key": key}, 400, "phone"),
    ("bad api key", lambda key: {**GOOD, "api_key": "s2m_" + "x" * 43}, 403, "api_key"),
    ("missing api key", lambda key: GOOD, 403, "api_key"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("case, form, status, mentions", POST_CASES, ids=[c[0] for c in POST_CASES])
async def test_post_errors(open311_shared, fmt, case, form, status, mentions):
    r = await asyncio.to_thread(requests.post, f"{open311_shared.root}/requests.{fmt}", data=form(open311_shared.key), timeout=10)
    assert r.status_code == status, r.text
    (error,) = _errors(fmt, r)
    assert error["code"] == status and mentions in error["description"], error
    assert await open311_shared.db.fetchval("SELECT count(*) FROM complaints") == 0  # nothing was filed


GET_CASES = [
    ("range over 90 days", "requests", {"start_date": "2026-01-01T00:00:00+09:00",
                                        "end_date": "2026-06-01T00:00:00+09:00"}, 400, "90"),
    ("end before start", "requests", {"start_date": "2026-06-01", "end_date": "2026-05-01"}, 400, "end_date"),
    ("not a date", "requests", {"start_date": "yesterday"}, 400, "start_date"),
    ("bad status", "requests", {"status": "pending"}, 400, "status"),
    ("unknown service in filter", "requests", {"service_code": "ufo"}, 404, "service_code"),
    ("unknown service definition", "services/ufo", {}, 404, "service_code"),
    ("unknown request id", f"requests/{uuid.uuid4()}", {}, 404, "service_request_id"),
    ("malformed request id", "requests/12345", {}, 404, "service_request_id"),
    ("unknown token", f"tokens/{uuid.uuid4()}", {}, 404, "token"),
    ("unknown jurisdiction", "services", {"jurisdiction_id": "seoul.go.kr"}, 404, "jurisdiction_id"),
    ("unknown method", "nothing/here", {}, 404, "GeoReport"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("case, path, params, status, mentions", GET_CASES, ids=[c[0] for c in GET_CASES])
async def test_get_errors(open311_shared, fmt, case, path, params, status, mentions):
    r = await asyncio.to_thread(requests.get, f"{open311_shared.root}/{path}.{fmt}", params=params, timeout=10)
    assert r.status_code == status, r.text
    (error,) = _errors(fmt, r)
    assert error["code"] == status and mentions in error["description"], error


async def test_unknown_format_is_a_json_404(open311_shared):
    r = await asyncio.to_thread(requests.get, f"{open311_shared.root}/services.csv", timeout=10)
    assert r.status_code == 404 and json.loads(r.text)[0]["code"] == 404
