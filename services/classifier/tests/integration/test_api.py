"""The classifier's HTTP API on real PostgreSQL (manuals from the migrations) and NATS."""

from __future__ import annotations

import uuid

import pytest

from sunmoon.events.classifier import COMPLAINT_TYPES

from classifier.taxonomy import TYPES


async def test_classify_previews_without_storing(service):
    r = await service.client.post("/api/v1/classify", json={"text": "수도관이 터져서 물이 도로로 넘치고 있어요"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["type"], body["label"], body["urgency"], body["urgency_label"], body["department"]) == (
        "water_supply", "상수도 누수·단수", "urgent", "긴급", "상하수도과")
    assert body["model_version"].startswith("base-")
    assert body["confidence"] >= 0.8 and body["needs_review"] is False
    assert [c["type"] for c in body["candidates"]][0] == "water_supply" and len(body["candidates"]) == 3
    assert body["candidates"][0]["score"] == pytest.approx(body["confidence"], abs=0.001)
    assert "수도관" in body["matched_terms"] and "터져" in body["urgency_terms"]
    assert [a["type"] for a in body["alternatives"]] == [c["type"] for c in body["candidates"][1:]]
    manual = body["manual"]
    assert (manual["id"], manual["type"], manual["department"]) == (
        "manual-water_supply-v1", "water_supply", "상하수도과")
    assert len(manual["steps"]) >= 3 and all(isinstance(s, str) and s for s in manual["steps"])
    # a preview: nothing stored, nothing announced
    assert await service.count("classifications") == 0
    assert await service.count("outbox") == 0


async def test_classify_the_parking_lot_that_is_too_dark(service):
    body = (await service.client.post("/api/v1/classify", json={"text": "주차장이 너무 어두워요"})).json()
    assert (body["type"], body["department"], body["manual"]["id"]) == ("streetlight", "건설과",
                                                                       "manual-streetlight-v1")


@pytest.mark.parametrize(("payload", "message"), [
    ({"text": "가" * 20001}, "at most 20000 characters"),
    ({}, "Field required"),
    ({"text": "가로등이 꺼졌어요", "lang": "ko"}, "Extra inputs are not permitted"),
])
async def test_classify_refuses_a_missing_or_oversized_text_with_a_clear_422(service, payload, message):
    r = await service.client.post("/api/v1/classify", json=payload)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert any(message in e["msg"] for e in detail), detail
    assert any(e["loc"][:2] == ["body", "text"] or e["loc"][:2] == ["body", "lang"] for e in detail), detail


async def test_text_of_exactly_the_limit_is_accepted(service):
    r = await service.client.post("/api/v1/classify", json={"text": "가로등이 꺼졌어요 " + "가" * 19990})
    assert r.status_code == 200 and r.json()["type"] == "streetlight"


@pytest.mark.parametrize("text", [
    "", "   \n\t ", "There is a big hole in the road near my house", "🚨🚨🚨🙏", "\x00\x07\x1b[31m",
    "<div><b></b></div>", "!!!???...", "ㅋㅋㅋㅋㅋ",
])
async def test_text_the_model_cannot_read_is_other_for_review(service, text):
    r = await service.client.post("/api/v1/classify", json={"text": text})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["type"], body["needs_review"]) == ("other", True)
    assert len(body["candidates"]) == 3


@pytest.mark.parametrize("text", [
    "<p>가로등이 <b>꺼져서</b> 너무 어두워요</p>", "가로등이 꺼졌어요 😭😭\x00\x1f", "가로등 " * 2500,
    "수도관 터짐!!! 물바다 🚨 " + "정말 화가 납니다. " * 900,
])
async def test_html_emoji_control_characters_and_rants_are_classified(service, text):
    r = await service.client.post("/api/v1/classify", json={"text": text})
    assert r.status_code == 200, r.text
    assert r.json()["type"] in ("streetlight", "water_supply")


async def test_types_lists_the_fifteen_with_labels_and_departments(service):
    r = await service.client.get("/api/v1/types")
    assert r.status_code == 200
    types = r.json()["types"]
    assert [t["code"] for t in types] == list(COMPLAINT_TYPES)
    assert all(t["label"] == COMPLAINT_TYPES[t["code"]] and t["department"] for t in types)
    by_code = {t["code"]: t for t in types}
    assert by_code["water_supply"]["department"] == "상하수도과"
    assert by_code["road_damage"]["department"] == "도로과"
    assert by_code["other"]["department"] == "당직실"
    assert by_code["illegal_parking"]["default_urgency"] == "low"


async def test_every_type_has_a_manual_for_its_department(service):
    for code, info in TYPES.items():
        r = await service.client.get(f"/api/v1/manuals/{code}")
        assert r.status_code == 200, (code, r.text)
        m = r.json()
        assert (m["id"], m["type"], m["version"], m["type_label"]) == (f"manual-{code}-v1", code, 1, info.label)
        assert m["department"] == info.department, code
        assert m["title"] and 3 <= len(m["steps"]) <= 8, code
    assert await service.count("manuals") == len(TYPES)


async def test_unknown_manual_type_is_404_listing_the_known_ones(service):
    r = await service.client.get("/api/v1/manuals/pothole")
    assert r.status_code == 404
    detail = r.json()["detail"]
    assert "'pothole'" in detail and all(code in detail for code in COMPLAINT_TYPES)


async def test_classification_lookup_404_and_422(service):
    missing = uuid.uuid4()
    r = await service.client.get(f"/api/v1/classifications/{missing}")
    assert r.status_code == 404 and str(missing) in r.json()["detail"]
    r = await service.client.get("/api/v1/classifications/not-a-uuid")
    assert r.status_code == 422 and "complaint_id" in r.text


async def test_health_and_openapi(service):
    assert (await service.client.get("/healthz")).json() == {"status": "ok"}
    ready = (await service.client.get("/readyz")).json()
    assert ready["checks"] == {"database": True, "nats": True, "streams": True}
    spec = (await service.client.get("/openapi.json")).json()
    assert {"/api/v1/classify", "/api/v1/types", "/api/v1/manuals/{type}",
            "/api/v1/classifications/{complaint_id}"} <= set(spec["paths"])
    assert spec["components"]["schemas"]["ClassifyIn"]["properties"]["text"]["maxLength"] == 20000
