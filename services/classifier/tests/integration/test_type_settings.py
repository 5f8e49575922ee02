"""Administrators' settings of the complaint types (PUT /api/v1/types/{code}) on real PostgreSQL and NATS:
validation, and every output of the classifier (preview, stored classification, event) following them."""

from __future__ import annotations

from classifier.taxonomy import TYPES

NOISE = "옆집에서 음악 소리가 들려요"  # noise; the model's urgency is the packaged default (normal), no cue
EDIT = {"label": "소음·진동", "department": "기후환경과", "default_urgency": "low", "active": True,
        "edited_by": "admin kim"}


async def test_types_list_the_taxonomy_until_someone_changes_one(service):
    body = (await service.client.get("/api/v1/types")).json()["types"]
    assert [t["code"] for t in body] == list(TYPES)
    noise = next(t for t in body if t["code"] == "noise")
    assert (noise["label"], noise["department"], noise["default_urgency"], noise["active"], noise["customised"]) == (
        "소음", "환경과", "normal", True, False)

    r = await service.client.put("/api/v1/types/noise", json=EDIT)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["label"], out["department"], out["default_urgency"], out["default_urgency_label"]) == (
        "소음·진동", "기후환경과", "low", "낮음")
    assert out["customised"] and out["updated_by"] == "admin kim" and out["updated_at"]
    listed = next(t for t in (await service.client.get("/api/v1/types")).json()["types"] if t["code"] == "noise")
    assert listed == out


async def test_put_type_refuses_bad_input(service):
    c = service.client
    r = await c.put("/api/v1/types/karaoke", json=EDIT)
    assert r.status_code == 404 and "retrain" in r.json()["detail"]
    assert (await c.put("/api/v1/types/noise", json={**EDIT, "label": "  "})).status_code == 422
    assert (await c.put("/api/v1/types/noise", json={**EDIT, "default_urgency": "panic"})).status_code == 422
    assert (await c.put("/api/v1/types/noise", json={**EDIT, "color": "red"})).status_code == 422
    assert (await c.put("/api/v1/types/noise", json={k: v for k, v in EDIT.items() if k != "edited_by"})
            ).status_code == 422
    r = await c.put("/api/v1/types/other", json={**EDIT, "active": False})
    assert r.status_code == 422 and "other" in r.json()["detail"]
    assert await service.count("type_settings") == 0


async def test_the_preview_follows_department_default_urgency_and_label(service):
    c = service.client
    before = (await c.post("/api/v1/classify", json={"text": NOISE})).json()
    assert (before["type"], before["urgency"], before["department"], before["urgency_terms"]) == (
        "noise", "normal", "환경과", [])
    await c.put("/api/v1/types/noise", json=EDIT)
    after = (await c.post("/api/v1/classify", json={"text": NOISE})).json()
    assert (after["type"], after["label"], after["urgency"], after["department"]) == (
        "noise", "소음·진동", "low", "기후환경과")
    # a cue in the text still decides: an urgent water main stays urgent whatever the default
    await c.put("/api/v1/types/water_supply", json={**EDIT, "label": "상수도 누수·단수", "department": "수도과"})
    water = (await c.post("/api/v1/classify", json={"text": "수도관이 터져서 물이 도로로 넘치고 있어요"})).json()
    assert (water["type"], water["urgency"], water["department"]) == ("water_supply", "urgent", "수도과")


async def test_an_inactive_type_is_not_chosen(service):
    c = service.client
    await c.put("/api/v1/types/noise", json={**EDIT, "active": False})
    body = (await c.post("/api/v1/classify", json={"text": NOISE})).json()
    assert body["type"] != "noise" and body["needs_review"] is True
    assert "noise" not in [x["type"] for x in body["candidates"]]
    await c.put("/api/v1/types/noise", json={**EDIT, "active": True})
    assert (await c.post("/api/v1/classify", json={"text": NOISE})).json()["type"] == "noise"


async def test_stored_classification_and_event_use_the_settings(service):
    await service.client.put("/api/v1/types/noise", json=EDIT)
    env = service.received_event(description=NOISE)
    await service.publish(env)
    events = await service.wait_published(1)
    payload = events[0][1]["payload"]
    assert (payload["type"], payload["urgency"], payload["department"]) == ("noise", "low", "기후환경과")
    row = (await service.client.get(f"/api/v1/classifications/{env.correlation_id}")).json()
    assert (row["type"], row["urgency"], row["department"]) == ("noise", "low", "기후환경과")
