"""Test doubles of the desk's tests: a fake classifier HTTP API and a sign-in helper (loaded by path)."""

from __future__ import annotations

import json
import re

import httpx

RULES = [  # (words, type, label, urgency, urgency label, department)
    (("수도", "누수", "단수"), "water_supply", "상수도 누수·단수", "urgent", "긴급", "상하수도과"),
    (("가로등", "보안등"), "streetlight", "가로등·보안등", "normal", "보통", "도로과"),
    (("맨홀", "포트홀", "도로"), "road_damage", "도로·보도 파손", "urgent", "긴급", "도로과"),
]
OTHER = ("other", "기타", "low", "낮음", "민원여권과")
SEEN: list[str] = []  # the texts the fake was asked about
TYPE_CHANGES: dict[str, dict] = {}  # what an administrator changed on the classifier (GET /api/v1/types)
TYPE_CALLS: list[str] = []  # every GET /api/v1/types


def _manual(type_: str, label: str, department: str) -> dict:
    return {"id": f"manual-{type_}-v1", "type": type_, "type_label": label, "version": 1,
            "title": f"{label} 처리 매뉴얼", "department": department,
            "steps": [f"{label}: 위치와 규모를 확인한다", f"{department} 당직자에게 연락한다", "민원인에게 회신한다"]}


def classify_body(text: str) -> dict:
    for words, type_, label, urgency, urgency_label, dept in RULES:
        if any(w in text for w in words):
            break
    else:
        type_, label, urgency, urgency_label, dept = OTHER
    others = [r for r in RULES if r[1] != type_][:2]
    candidates = [{"type": type_, "label": label, "score": 0.81}] + [
        {"type": r[1], "label": r[2], "score": s} for r, s in zip(others, (0.12, 0.05))]
    return {"type": type_, "label": label, "urgency": urgency, "urgency_label": urgency_label, "department": dept,
            "confidence": 0.81, "needs_review": type_ == "other", "candidates": candidates,
            "matched_terms": [], "urgency_terms": [], "alternatives": candidates[1:],
            "model_version": "fake-1", "manual": _manual(type_, label, dept)}


async def classifier_handler(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/api/v1/classify" and request.method == "POST":
        text = json.loads(request.content)["text"]
        SEEN.append(text)
        return httpx.Response(200, json=classify_body(text))
    if request.url.path == "/api/v1/types" and request.method == "GET":
        from sunmoon.events.classifier import COMPLAINT_TYPES

        TYPE_CALLS.append(request.url.path)
        return httpx.Response(200, json={"types": [
            {"code": code, "label": label, "active": True, **TYPE_CHANGES.get(code, {})}
            for code, label in COMPLAINT_TYPES.items()]})
    m = re.fullmatch(r"/api/v1/manuals/([a-z_]+)", request.url.path)
    if m:
        for _words, type_, label, _u, _ul, dept in RULES:
            if type_ == m.group(1):
                return httpx.Response(200, json=_manual(type_, label, dept))
        return httpx.Response(404, json={"detail": "no manual"})
    return httpx.Response(404)


def fake_classifier() -> httpx.MockTransport:
    return httpx.MockTransport(classifier_handler)


def login_csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def page_csrf(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


async def sign_in(client: httpx.AsyncClient, name: str, password: str, next_url: str = "/desk/") -> httpx.Response:
    form = (await client.get("/desk/login")).text
    return await client.post("/desk/login", data={"name": name, "password": password, "csrf_token": login_csrf(form),
                                                  "next": next_url})


class LiveServer:
    """Intake's real app served over HTTP by uvicorn in a thread, on a free port (its own event loop)."""

    def __init__(self, app) -> None:
        import socket

        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                                    access_log=False, timeout_graceful_shutdown=2, lifespan="on"))
        import threading

        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}", daemon=True)

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("intake did not start (see the log above)")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)
