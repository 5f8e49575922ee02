"""The weather warnings in force, for the map's overlay and banner: intake asks the weather service's
``GET /api/v1/warnings`` over HTTP with a short deadline, like the classifier preview (see preview.py).

Why a synchronous read and not an event copy: it is read-only, only useful now, and fails soft: weather slow
or down, the map says the warnings are unknown ("기상특보 정보를 가져올 수 없음"), never "none". The answer is
kept for ``CACHE_SECONDS`` so a busy map (it refreshes on every change of a complaint) asks at most that often.
The browser never talks to the weather service.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from sunmoon.logging import get_logger
from sunmoon.tls import httpx_verify

log = get_logger(__name__)
CACHE_SECONDS = 30.0


class WeatherWarnings:
    def __init__(self, base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None,
                 ca_file: str | None = None, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = headers or {}  # the desk's service token (sunmoon.auth.bearer)
        self.verify = httpx_verify(ca_file)  # https://: the system's CAs plus SUNMOON_TLS_CA_FILE
        self.timeout = timeout
        self.transport = transport  # tests put a fake weather service here
        self._cached: tuple[float, dict[str, Any]] | None = None

    async def _fetch(self) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout, transport=self.transport,
                                     verify=self.verify, headers=self.headers) as c:
            return await c.get("/api/v1/warnings")

    async def in_force(self) -> dict[str, Any]:
        """``{"known": True, "items": [{"name": "호우주의보", ...}], ...}`` or ``{"known": False, "reason": …}``."""
        if self._cached and time.monotonic() - self._cached[0] < CACHE_SECONDS:
            return self._cached[1]
        try:
            r = await asyncio.wait_for(self._fetch(), self.timeout)
            r.raise_for_status()
            body = r.json()
            items = [{"name": str(w["name"]), "kind": str(w["kind"]), "level": str(w["level"]),
                      "area": str(w.get("area") or ""), "since": w.get("since"),
                      "announced_at": w.get("announced_at")} for w in body["items"]]
        except (httpx.HTTPError, ValueError, TimeoutError, KeyError, TypeError) as exc:
            log.warning("weather warnings unavailable", error=f"{type(exc).__name__}: {exc}"[:300])
            return {"known": False, "reason": "기상특보 정보를 가져올 수 없음", "items": []}
        out = {"known": True, "items": items, "city": body.get("city"), "area": body.get("area"),
               "checked_at": body.get("checked_at"), "simulated": bool(body.get("simulated")),
               "banner": banner(items)}
        self._cached = (time.monotonic(), out)
        return out


def banner(items: list[dict[str, Any]]) -> str:
    """'호우경보·강풍주의보 발효 중' (경보 first), or '' when none is in force."""
    names = sorted({i["name"] for i in items}, key=lambda n: (not n.endswith("경보"), n))
    return f"{'·'.join(names)} 발효 중" if names else ""
