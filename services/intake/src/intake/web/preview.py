"""The live classification preview: intake asks the classifier's HTTP API while the officer types.

This is the one synchronous call between services in Sun to Moon, and it is read-only: the classifier's
``POST /api/v1/classify`` stores nothing and publishes nothing, and ``GET /api/v1/manuals/{type}`` only reads.
Everything that changes state still travels as events (the filed complaint is classified for the record
when the classifier consumes ``intake.complaint.received.v1``). A suggestion is useful only while the caller
is still on the line, which an event round trip cannot promise; so the call has a short timeout and, when
the classifier is slow or down, the desk says "unknown" and the officer files as usual. The browser never
talks to the classifier: it talks to intake, which masks phone numbers in the text before it leaves.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from sunmoon.logging import get_logger
from sunmoon.tls import httpx_verify

from .. import domain

log = get_logger(__name__)


class ClassifierPreview:
    def __init__(self, base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None,
                 ca_file: str | None = None, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = headers or {}  # the desk's service token (sunmoon.auth.bearer)
        self.timeout = timeout
        self.transport = transport  # tests put a fake classifier here
        self.verify = httpx_verify(ca_file)  # https://: the system's CAs plus SUNMOON_TLS_CA_FILE

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout, transport=self.transport,
                                 verify=self.verify, headers=self.headers)

    async def _post(self, text: str) -> httpx.Response:
        async with self._client() as client:
            return await client.post("/api/v1/classify", json={"text": text})

    async def _get(self, path: str) -> httpx.Response:
        async with self._client() as client:
            return await client.get(path)

    async def classify(self, text: str) -> dict[str, Any]:
        """The classifier's suggestion, or ``{"known": False, "reason": ...}``."""
        text = domain.scrub_description(text)[:5000]
        if len(text) < 2:
            return unknown("너무 짧습니다")
        try:
            r = await asyncio.wait_for(self._post(text), self.timeout)  # a deadline for the whole exchange
            r.raise_for_status()
            body = r.json()
        except (httpx.HTTPError, ValueError, TimeoutError) as exc:
            log.warning("classification preview unavailable", error=f"{type(exc).__name__}: {exc}"[:300])
            return unknown("분류기에 연결할 수 없습니다")
        manual = body.get("manual") or None
        return {
            "known": True, "type": body["type"], "label": body["label"], "urgency": body["urgency"],
            "urgency_label": body["urgency_label"], "department": body.get("department"),
            "confidence": body["confidence"], "needs_review": body.get("needs_review", False),
            "candidates": [{"type": c["type"], "label": c["label"], "probability": c["score"]}
                           for c in body.get("candidates", [])[:3]],
            "model_version": body.get("model_version"),
            "manual": _manual(manual) if manual else None,
        }

    async def manual(self, type_: str) -> dict[str, Any] | None:
        try:
            r = await asyncio.wait_for(self._get(f"/api/v1/manuals/{type_}"), self.timeout)
            if r.status_code == 404:
                return None
            r.raise_for_status()
            return _manual(r.json())
        except (httpx.HTTPError, ValueError, TimeoutError) as exc:
            log.warning("manual unavailable", type=type_, error=f"{type(exc).__name__}: {exc}"[:300])
            return None


def unknown(reason: str) -> dict[str, Any]:
    return {"known": False, "reason": reason}


def _manual(m: dict[str, Any]) -> dict[str, Any]:
    return {"type": m.get("type"), "title": m.get("title"), "department": m.get("department"),
            "steps": list(m.get("steps") or [])}
