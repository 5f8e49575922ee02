"""Manual versions, lookup and drafts over HTTP on real PostgreSQL and NATS; the LLM path against a
local OpenAI-compatible server that speaks the real chat-completions JSON."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from sunmoon.events.classifier import COMPLAINT_TYPES

from classifier import api_guidance, llm
from classifier.bootstrap import create_app
from classifier.guidance import Facts
from classifier.llm import LLMSettings
from classifier.settings import ClassifierSettings
from classifier.taxonomy import TYPES
from sunmoon.testing.service import auth_headers

NATIONAL_NUMBERS = {"", "112", "119", "121", "123", "110", "128", "129", "109", "122", "100",
                    "1544-4500", "1588-2504", "1661-2642"}
PHONE = re.compile(r"01[016789][-.\s]?\d{3,4}[-.\s]?\d{4}")


# -- the service ------------------------------------------------------------------------------
@pytest.fixture
async def svc(servers, namespace):
    settings = ClassifierSettings(database_url=await servers.fresh_database("classifier"),
                                  nats_url=servers.nats_url, nats_namespace=namespace)
    app = create_app(settings)
    api_guidance.install(app, LLMSettings(url=""))  # a no-op for the routes if bootstrap installed them
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth_headers()) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def manual_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "상수도 누수·단수 야간 대응(개정)",
        "department": "상하수도과",
        "steps": ["누수 위치와 양을 확인한다.", "긴급복구반에 제수밸브 차단을 요청한다.", "결과를 당직일지에 기록한다."],
        "phone_checks": ["물이 도로로 넘치는지", "단수 범위"],
        "tell_citizen": ["물이 넘치는 곳에 가까이 가지 마세요."],
        "after_hours_team": "상하수도 야간 긴급복구반",
        "agencies": [{"name": "수도 고장신고", "phone": "121", "when": "수도관 파열"}],
        "edited_by": "당직실 김OO",
        "note": "제수밸브 단계 보강",
    }
    return {**body, **overrides}


# -- manuals ------------------------------------------------------------------------------------
async def test_every_type_has_manual_details_after_the_migration(svc):
    for code, info in TYPES.items():
        r = await svc.get(f"/api/v1/manuals/{code}/versions")
        assert r.status_code == 200, (code, r.text)
        body = r.json()
        assert (body["type"], body["type_label"]) == (code, info.label)
        [v1] = body["versions"]
        assert (v1["id"], v1["version"], v1["department"]) == (f"manual-{code}-v1", 1, info.department)
        assert len(v1["steps"]) >= 3 and len(v1["phone_checks"]) >= 3 and len(v1["tell_citizen"]) >= 2, code
        assert v1["after_hours_team"] and v1["edited_by"] and v1["note"], code
        assert v1["agencies"] and all(a["name"] and a["when"] for a in v1["agencies"]), code
        assert {a["phone"] for a in v1["agencies"]} <= NATIONAL_NUMBERS, code
        # the existing endpoint still answers with the newest version, in its own shape
        old = (await svc.get(f"/api/v1/manuals/{code}")).json()
        assert (old["id"], old["steps"]) == (v1["id"], v1["steps"])


async def test_put_adds_a_version_and_never_overwrites(svc):
    before = (await svc.get("/api/v1/manuals/water_supply/versions")).json()["versions"][0]
    r = await svc.put("/api/v1/manuals/water_supply", json=manual_body())
    assert r.status_code == 201, r.text
    v2 = r.json()
    assert (v2["id"], v2["version"], v2["edited_by"], v2["note"]) == (
        "manual-water_supply-v2", 2, "당직실 김OO", "제수밸브 단계 보강")
    assert v2["agencies"] == [{"name": "수도 고장신고", "phone": "121", "when": "수도관 파열"}]

    newest = (await svc.get("/api/v1/manuals/water_supply")).json()
    assert (newest["id"], newest["version"], newest["title"]) == ("manual-water_supply-v2", 2, "상수도 누수·단수 야간 대응(개정)")
    versions = (await svc.get("/api/v1/manuals/water_supply/versions")).json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1] == before  # v1 untouched
    # a classification made now points at v2
    preview = (await svc.post("/api/v1/classify", json={"text": "수도관이 터졌어요"})).json()
    assert preview["manual"]["id"] == "manual-water_supply-v2"


async def test_base_version_guards_against_a_lost_edit_and_concurrent_saves_both_land(svc):
    assert (await svc.put("/api/v1/manuals/noise", json=manual_body(base_version=1))).status_code == 201
    stale = await svc.put("/api/v1/manuals/noise", json=manual_body(base_version=1))
    assert stale.status_code == 409 and "version 2" in stale.json()["detail"]
    a, b = await asyncio.gather(svc.put("/api/v1/manuals/noise", json=manual_body(edited_by="A")),
                                svc.put("/api/v1/manuals/noise", json=manual_body(edited_by="B")))
    assert (a.status_code, b.status_code) == (201, 201)
    assert sorted([a.json()["version"], b.json()["version"]]) == [3, 4]
    versions = (await svc.get("/api/v1/manuals/noise/versions")).json()["versions"]
    assert [v["version"] for v in versions] == [4, 3, 2, 1]


INVALID_MANUALS = [
    ({"steps": []}, ["body", "steps"], "at least 1 item"),
    ({"phone_checks": []}, ["body", "phone_checks"], "at least 1 item"),
    ({"tell_citizen": []}, ["body", "tell_citizen"], "at least 1 item"),
    ({"agencies": []}, ["body", "agencies"], "at least 1 item"),
    ({"steps": ["확인한다.", "   "]}, ["body", "steps", 1], "at least 1 character"),
    ({"steps": ["가" * 301]}, ["body", "steps", 0], "at most 300 characters"),
    ({"steps": ["단계"] * 21}, ["body", "steps"], "at most 20 items"),
    ({"title": "가" * 101}, ["body", "title"], "at most 100 characters"),
    ({"edited_by": ""}, ["body", "edited_by"], "at least 1 character"),
    ({"after_hours_team": None}, ["body", "after_hours_team"], "valid string"),
    ({"agencies": [{"name": "한전", "phone": "call me", "when": "정전"}]}, ["body", "agencies", 0, "phone"],
     "should match pattern"),
    ({"agencies": [{"name": "한전", "phone": "123"}]}, ["body", "agencies", 0, "when"], "Field required"),
    ({"version": 7}, ["body", "version"], "Extra inputs are not permitted"),
]


async def test_an_invalid_manual_is_a_clear_422_and_saves_nothing(svc):
    # one service for all cases: starting one per case costs a second each
    for overrides, loc, message in INVALID_MANUALS:
        r = await svc.put("/api/v1/manuals/water_supply", json=manual_body(**overrides))
        assert r.status_code == 422, (overrides, r.text)
        detail = r.json()["detail"]
        assert any(e["loc"] == loc and message in e["msg"] for e in detail), (overrides, detail)
    versions = (await svc.get("/api/v1/manuals/water_supply/versions")).json()["versions"]
    assert len(versions) == 1


async def test_a_missing_field_is_a_422(svc):
    body = manual_body()
    del body["edited_by"]
    r = await svc.put("/api/v1/manuals/water_supply", json=body)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "edited_by"]


async def test_unknown_type_is_404_listing_the_known_ones(svc):
    for method, path, body in [
        ("GET", "/api/v1/manuals/pothole/versions", None),
        ("PUT", "/api/v1/manuals/pothole", manual_body()),
        ("POST", "/api/v1/manuals/pothole/lookup", {"text": "구멍이 났어요"}),
    ]:
        r = await svc.request(method, path, json=body)
        assert r.status_code == 404, (method, path)
        assert "unknown complaint type 'pothole'" in r.json()["detail"] and "water_supply" in r.json()["detail"]


# -- lookup ---------------------------------------------------------------------------------------
async def test_lookup_finds_the_manhole_step(svc):
    r = await svc.post("/api/v1/manuals/road_damage/lookup", json={"text": "맨홀 뚜껑이 열려있어요"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["manual"]["id"] == "manual-road_damage-v1" and body["manual"]["phone_checks"]
    sections = body["sections"]
    assert 1 <= len(sections) <= 3 and "맨홀" in sections[0]["text"]
    assert any(s["section"] == "steps" and "맨홀" in s["text"] for s in sections)
    assert [s["score"] for s in sections] == sorted((s["score"] for s in sections), reverse=True)


async def test_lookup_of_a_gas_smell_points_at_the_gas_lines(svc):
    r = await svc.post("/api/v1/manuals/odor_pollution/lookup", json={"text": "골목에서 가스 냄새가 심하게 나요"})
    sections = r.json()["sections"]
    assert sections and all("가스" in s["text"] for s in sections[:2]), sections


async def test_lookup_reads_the_newest_version_and_refuses_blank_text(svc):
    await svc.put("/api/v1/manuals/water_supply", json=manual_body(steps=["제수밸브를 잠그도록 요청한다."]))
    r = await svc.post("/api/v1/manuals/water_supply/lookup", json={"text": "제수밸브 어디 있어요"})
    assert r.json()["manual"]["version"] == 2 and r.json()["sections"][0]["text"] == "제수밸브를 잠그도록 요청한다."
    blank = await svc.post("/api/v1/manuals/water_supply/lookup", json={"text": "  "})
    assert blank.status_code == 422 and "text is blank" in blank.json()["detail"][0]["msg"]


# -- drafts: templates ------------------------------------------------------------------------------
TEXT = "수도관이 터져서 물이 도로로 넘치고 있어요. 제 번호는 010-1234-5678입니다"
ADDRESS = "경기도 김포시 고촌읍 신곡리 123-4"


def drafts_body(**overrides: Any) -> dict[str, Any]:
    return {"text": TEXT, "type": "water_supply", "urgency": "urgent", "address": ADDRESS, **overrides}


async def test_drafts_from_the_templates_when_no_llm_is_configured(svc):
    r = await svc.post("/api/v1/drafts", json=drafts_body())
    assert r.status_code == 200, r.text
    d = r.json()
    assert (d["source"], d["manual_id"], d["worker_sms_kind"]) == ("template", "manual-water_supply-v1", "SMS")
    assert "disabled" in d["fallback_reason"]
    assert d["worker_sms"].startswith("[긴급]상수도 누수·단수") and ADDRESS in d["worker_sms"]
    assert d["worker_sms_bytes"] == len(d["worker_sms"].encode("euc-kr")) <= 90
    assert "접수되었습니다" in d["citizen_reply"] and "상하수도 야간 긴급복구반" in d["citizen_reply"]
    assert "현장에 접근하지 마" in d["citizen_reply"] and "119" in d["citizen_reply"]
    assert not PHONE.search(d["worker_sms"] + d["citizen_reply"])


async def test_drafts_refuse_unknown_type_or_urgency_listing_the_known_ones(svc):
    for overrides, field, message in [
        ({"type": "pothole"}, "type", "known types: road_damage, water_supply"),
        ({"urgency": "asap"}, "urgency", "known urgencies: urgent (긴급), normal (보통), low (낮음)"),
        ({"text": ""}, "text", "at least 1 character"),
        ({"text": " \n"}, "text", "text is blank"),
        ({"address": "가" * 301}, "address", "at most 300 characters"),
    ]:
        r = await svc.post("/api/v1/drafts", json=drafts_body(**overrides))
        assert r.status_code == 422, (overrides, r.text)
        detail = r.json()["detail"]
        assert any(e["loc"] == ["body", field] and message in e["msg"] for e in detail), (overrides, detail)


# -- drafts: a local OpenAI-compatible server ---------------------------------------------------------
class FakeOpenAI:
    """``POST /v1/chat/completions`` as OpenAI answers it. ``mode``: ok, sleep, error500, garbage
    (a cut-off JSON body), shape (no choices), empty (empty content), prose (content that is not the
    asked JSON), long (content over 2,000 characters)."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.sleep = 0.0
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(raw)})
                if fake.mode == "sleep":
                    time.sleep(fake.sleep)
                if fake.mode == "error500":
                    return self._send(500, {"error": {"message": "The server had an error", "type": "server_error",
                                                      "param": None, "code": None}})
                if fake.mode == "garbage":
                    return self._send(200, b'{"id": "chatcmpl-1", "choices": [{"message": {"content": "')
                if fake.mode == "shape":
                    return self._send(200, {"id": "chatcmpl-1", "object": "chat.completion", "choices": []})
                content = {
                    "prose": "죄송하지만 JSON으로는 답할 수 없습니다.",
                    "long": "가" * 2001,
                    "empty": "",
                }.get(fake.mode, json.dumps({
                    "worker_sms": "[긴급]상수도 파열 {장소} 도로 침수 즉시출동",
                    "citizen_reply": "{장소} 상수도 누수 민원이 접수되었습니다. 긴급복구반이 출동합니다. "
                                     "현장에 접근하지 마시고 위험하면 112 또는 119에 신고해 주세요.",
                }, ensure_ascii=False))
                self._send(200, {
                    "id": "chatcmpl-abc123", "object": "chat.completion", "created": int(time.time()),
                    "model": fake.requests[-1]["body"].get("model"), "system_fingerprint": "fp_test",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None},
                                 "logprobs": None, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 250, "completion_tokens": 80, "total_tokens": 330},
                })

            def _send(self, status: int, payload: Any) -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (the timeout test)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_llm():
    fake = FakeOpenAI()
    yield fake
    fake.close()


def use_llm(svc, url: str, timeout: float = 5.0) -> None:
    svc.app.state.llm_settings = LLMSettings(url=url, model="gpt-4o-mini-test", api_key="sk-test-123",
                                             timeout_seconds=timeout, max_tokens=300)


async def test_drafts_from_the_llm_with_personal_data_scrubbed_before_it_leaves(svc, fake_llm):
    use_llm(svc, fake_llm.url)
    r = await svc.post("/api/v1/drafts", json=drafts_body())
    assert r.status_code == 200, r.text
    d = r.json()
    assert (d["source"], d["fallback_reason"]) == ("llm", None)
    assert d["worker_sms"] == f"[긴급]상수도 파열 {ADDRESS} 도로 침수 즉시출동"  # the exact place added here
    assert d["citizen_reply"].startswith("경기도 김포시 고촌읍 신곡리 상수도 누수 민원이 접수되었습니다.")

    [req] = fake_llm.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer sk-test-123"
    body = req["body"]
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("gpt-4o-mini-test", 0.2, 300)
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    sent = json.dumps(body, ensure_ascii=False)
    assert not PHONE.search(sent) and "5678" not in sent and "123-4" not in sent
    user = body["messages"][1]["content"]
    assert "제 번호는 [전화번호]입니다" in user and "고촌읍 신곡리" in user and "상하수도 야간 긴급복구반" in user


async def test_no_authorization_header_without_a_key(svc, fake_llm):
    svc.app.state.llm_settings = LLMSettings(url=fake_llm.url + "/", api_key="")
    assert (await svc.post("/api/v1/drafts", json=drafts_body())).json()["source"] == "llm"
    assert "Authorization" not in fake_llm.requests[0]["headers"]
    assert fake_llm.requests[0]["body"]["model"] == "gpt-4o-mini"


async def test_a_slow_llm_falls_back_to_the_templates_within_the_timeout(svc, fake_llm):
    fake_llm.mode, fake_llm.sleep = "sleep", 4.0
    use_llm(svc, fake_llm.url, timeout=1.0)
    started = time.monotonic()
    r = await svc.post("/api/v1/drafts", json=drafts_body())
    elapsed = time.monotonic() - started
    d = r.json()
    assert (r.status_code, d["source"]) == (200, "template")
    assert "timeout" in d["fallback_reason"]
    assert elapsed < 1.0 + 1.0, elapsed
    assert d["worker_sms"].startswith("[긴급]상수도 누수·단수")


async def test_a_failing_llm_falls_back_to_the_templates(svc, fake_llm):
    use_llm(svc, fake_llm.url)
    for mode, reason in [
        ("error500", "HTTP 500"),
        ("garbage", "malformed JSON"),
        ("shape", "unexpected response shape"),
        ("empty", "empty content"),
        ("prose", "no JSON object"),
        ("long", "over 2000 characters"),
    ]:
        fake_llm.mode, sent = mode, len(fake_llm.requests)
        d = (await svc.post("/api/v1/drafts", json=drafts_body())).json()
        assert d["source"] == "template" and reason in d["fallback_reason"], (mode, d)
        assert "접수되었습니다" in d["citizen_reply"] and len(fake_llm.requests) == sent + 1


async def test_an_llm_that_is_not_there_falls_back_to_the_templates(svc):
    with socket_closed_port() as port:
        use_llm(svc, f"http://127.0.0.1:{port}/v1")
        d = (await svc.post("/api/v1/drafts", json=drafts_body())).json()
    assert d["source"] == "template" and "connection failed" in d["fallback_reason"]


class socket_closed_port:  # noqa: N801 - used as a context manager
    """A port nothing listens on (bound and closed)."""

    def __enter__(self) -> int:
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def __exit__(self, *exc: Any) -> None:
        return None


async def test_every_type_and_urgency_gets_drafts(svc):
    for code in COMPLAINT_TYPES:
        for urgency in ("urgent", "normal", "low"):
            d = (await svc.post("/api/v1/drafts", json=drafts_body(type=code, urgency=urgency))).json()
            assert d["worker_sms_bytes"] <= 90 and d["manual_id"] == f"manual-{code}-v1", (code, urgency, d)


async def test_the_fallback_is_logged_with_the_reason_and_never_the_text(fake_llm, capsys):
    fake_llm.mode = "prose"
    settings = LLMSettings(url=fake_llm.url, timeout_seconds=2.0)
    result = await llm.drafts(Facts("water_supply", "urgent", TEXT, ADDRESS), None, settings)
    assert result.source == "template" and result.fallback_reason.startswith("no JSON object")
    out = "".join(capsys.readouterr())
    assert "llm drafts unavailable" in out and "no JSON object" in out
    assert "수도관" not in out and "신곡리" not in out and "JSON으로는" not in out
