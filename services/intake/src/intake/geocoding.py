"""Geocoding of full addresses ("김포대로 1000") through a real geocoder, used only when a key is configured
(``INTAKE_GEOCODER=vworld|kakao``, ``INTAKE_GEOCODER_KEY``, optionally ``INTAKE_GEOCODER_URL``).

Two clients behind one small Protocol:

- **VWorld** (국토교통부 공간정보 오픈플랫폼) address API 2.0: ``GET {url}/req/address?service=address&
  request=getcoord&version=2.0&crs=epsg:4326&type=road|parcel&address=…&format=json&key=…``. The answer is
  ``{"response": {"status": "OK"|"NOT_FOUND"|"ERROR", "result": {"point": {"x": lon, "y": lat}},
  "refined": {"text": …, "structure": {"level4A": 행정동, "level4L": 도로명, …}}, "error": {"code": …}}}``,
  with HTTP 200 even for errors (``INVALID_KEY``, ``INCORRECT_KEY``, ``UNAVAILABLE_KEY``,
  ``OVER_REQUEST_LIMIT``, …). One point per request: a road address is tried first, then a parcel (지번) one.
- **Kakao Local**: ``GET {url}/v2/local/search/address.json?query=…`` with ``Authorization: KakaoAK {key}``;
  ``{"meta": {…}, "documents": [{"address_name", "x", "y", "address": {"region_3depth_h_name": 행정동, …},
  "road_address": {"road_name", …}}]}``; errors as HTTP 401 (bad key, code -401), 429 or 400 with code
  -10 (quota), body ``{"errorType", "message"}`` (or ``{"code", "msg"}``).

Every call has a deadline; errors become :class:`GeocodeError` with a kind (``key``, ``quota``,
``unavailable``, ``bad_answer``) and a Korean message for the desk. Answers (also "nothing found") are cached
for ``ttl`` seconds; errors are not. The desk falls back to the offline gazetteer whenever this fails.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import httpx

from sunmoon.logging import get_logger

log = get_logger(__name__)
VWORLD_URL = "https://api.vworld.kr"
KAKAO_URL = "https://dapi.kakao.com"
ERROR_MESSAGES = {
    "key": "주소 검색 서비스의 인증키가 맞지 않습니다 (관리자에게 알려 주세요).",
    "quota": "주소 검색 서비스의 오늘 사용 한도를 넘었습니다. 읍·면·동 목록으로 접수해 주세요.",
    "unavailable": "주소 검색 서비스에 연결할 수 없습니다. 읍·면·동 목록으로 접수해 주세요.",
    "bad_answer": "주소 검색 서비스의 응답을 이해할 수 없습니다.",
}


class GeocodeError(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail

    @property
    def message(self) -> str:
        return ERROR_MESSAGES[self.kind]


@dataclass(frozen=True)
class GeocodeResult:
    address: str        # as the provider wrote it
    lat: float
    lon: float
    area: str | None    # the 행정 읍·면·동, when the provider says
    road: str | None
    provider: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Geocoder(Protocol):
    name: str

    async def geocode(self, query: str) -> list[GeocodeResult]: ...


class _HttpGeocoder:
    name = "?"

    def __init__(self, key: str, base_url: str, timeout: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.key = key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.transport = transport

    async def _get(self, path: str, params: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
        async def call() -> httpx.Response:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout,
                                         transport=self.transport) as client:
                return await client.get(path, params=params, headers=headers)
        try:
            return await asyncio.wait_for(call(), self.timeout)
        except (httpx.HTTPError, TimeoutError) as exc:
            raise GeocodeError("unavailable", f"{type(exc).__name__}: {exc}"[:200]) from exc


def _json(r: httpx.Response) -> dict[str, Any]:
    try:
        body = r.json()
    except ValueError as exc:
        raise GeocodeError("unavailable" if r.status_code >= 500 else "bad_answer",
                           f"HTTP {r.status_code}, not JSON: {r.text[:120]!r}") from exc
    if not isinstance(body, dict):
        raise GeocodeError("bad_answer", f"HTTP {r.status_code}: {str(body)[:120]}")
    return body


class VWorldGeocoder(_HttpGeocoder):
    name = "vworld"
    KEY_ERRORS = {"INVALID_KEY", "INCORRECT_KEY", "UNAVAILABLE_KEY", "UNREGISTERED_KEY"}
    QUOTA_ERRORS = {"OVER_REQUEST_LIMIT"}

    async def _one(self, query: str, kind: str) -> GeocodeResult | None:
        r = await self._get("/req/address", {
            "service": "address", "request": "getcoord", "version": "2.0", "crs": "epsg:4326",
            "type": kind, "refine": "true", "simple": "false", "format": "json", "errorFormat": "json",
            "address": query, "key": self.key})
        if r.status_code >= 500:
            raise GeocodeError("unavailable", f"HTTP {r.status_code}")
        response = _json(r).get("response")
        if not isinstance(response, dict):
            raise GeocodeError("bad_answer", "no 'response' object")
        status = response.get("status")
        if status == "NOT_FOUND":
            return None
        if status == "ERROR":
            code = str((response.get("error") or {}).get("code", ""))
            kind_ = "key" if code in self.KEY_ERRORS else "quota" if code in self.QUOTA_ERRORS else "unavailable"
            raise GeocodeError(kind_, f"VWorld {code}: {(response.get('error') or {}).get('text', '')}"[:200])
        try:
            point = response["result"]["point"]
            lon, lat = float(point["x"]), float(point["y"])
        except (KeyError, TypeError, ValueError) as exc:
            raise GeocodeError("bad_answer", f"status {status!r} without a point") from exc
        refined = response.get("refined") or {}
        structure = refined.get("structure") or {}
        return GeocodeResult(address=refined.get("text") or query, lat=lat, lon=lon,
                             area=structure.get("level4A") or None, road=structure.get("level4L") or None,
                             provider=self.name)

    async def geocode(self, query: str) -> list[GeocodeResult]:
        for kind in ("road", "parcel"):
            found = await self._one(query, kind)
            if found:
                return [found]
        return []


class KakaoGeocoder(_HttpGeocoder):
    name = "kakao"

    async def geocode(self, query: str) -> list[GeocodeResult]:
        r = await self._get("/v2/local/search/address.json", {"query": query, "size": "10"},
                            headers={"Authorization": f"KakaoAK {self.key}"})
        if r.status_code != 200:
            body: dict[str, Any] = {}
            try:
                body = _json(r)
            except GeocodeError:
                pass
            code = body.get("code")
            detail = f"HTTP {r.status_code} {body.get('errorType', '')} {code or ''} {body.get('message') or body.get('msg') or ''}"
            if r.status_code in (401, 403) or code == -401:
                raise GeocodeError("key", detail[:200])
            if r.status_code == 429 or code in (-10, -11):
                raise GeocodeError("quota", detail[:200])
            raise GeocodeError("unavailable", detail[:200])
        documents = _json(r).get("documents")
        if not isinstance(documents, list):
            raise GeocodeError("bad_answer", "no 'documents' list")
        out = []
        for d in documents:
            try:
                lon, lat = float(d["x"]), float(d["y"])
            except (KeyError, TypeError, ValueError):
                continue
            address = d.get("address") or {}
            road = d.get("road_address") or {}
            out.append(GeocodeResult(address=(road.get("address_name") or d.get("address_name") or query),
                                     lat=lat, lon=lon,
                                     area=address.get("region_3depth_h_name") or None,
                                     road=road.get("road_name") or None, provider=self.name))
        return out


class CachedGeocoder:
    """Remembers answers (also empty ones) for ``ttl`` seconds, at most ``size`` queries; not errors."""

    def __init__(self, inner: Geocoder, ttl: float = 24 * 3600, size: int = 2000) -> None:
        self.inner = inner
        self.name = inner.name
        self.ttl = ttl
        self.size = size
        self._cache: OrderedDict[str, tuple[float, list[GeocodeResult]]] = OrderedDict()
        self.calls = 0  # answers fetched from the provider (tests and logs)

    async def geocode(self, query: str) -> list[GeocodeResult]:
        key = " ".join(query.split())
        hit = self._cache.get(key)
        if hit and time.monotonic() - hit[0] < self.ttl:
            self._cache.move_to_end(key)
            return hit[1]
        self.calls += 1
        found = await self.inner.geocode(key)
        self._cache[key] = (time.monotonic(), found)
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return found


def from_settings(settings: Any, transport: httpx.AsyncBaseTransport | None = None) -> CachedGeocoder | None:
    """The configured geocoder, or None when no provider or no key is set (the gazetteer only)."""
    key = settings.geocoder_key.get_secret_value().strip()
    if not settings.geocoder or not key:
        return None
    cls = VWorldGeocoder if settings.geocoder == "vworld" else KakaoGeocoder
    url = settings.geocoder_url or (VWORLD_URL if settings.geocoder == "vworld" else KAKAO_URL)
    log.info("geocoder configured", provider=settings.geocoder, url=url)
    return CachedGeocoder(cls(key, url, settings.geocoder_timeout_seconds, transport))
