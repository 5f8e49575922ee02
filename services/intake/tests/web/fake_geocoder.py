"""A fake geocoder: a real HTTP server on a free port that speaks VWorld's address API 2.0 (getcoord) and
Kakao Local's address search, including their error answers.

- VWorld ``GET /req/address?service=address&request=getcoord&type=road|parcel&address=…&key=…``: HTTP 200
  always; ``response.status`` OK / NOT_FOUND / ERROR with ``error.code`` INVALID_KEY (unknown key),
  OVER_REQUEST_LIMIT (key ``quota-key``), PARAM_REQUIRED (no address).
- Kakao ``GET /v2/local/search/address.json?query=…`` with ``Authorization: KakaoAK {key}``: 200 with
  ``meta`` and ``documents`` (possibly empty), 401 for a missing or unknown key, 429 for ``quota-key``.

Known addresses (points invented for the tests, inside Gimpo) are in ADDRESSES; ``slow`` in the query makes
the server wait 3 s (to test deadlines). Every request is recorded in ``server.requests``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

GOOD_KEY = "good-key"
QUOTA_KEY = "quota-key"
# query -> (road address, parcel address, lon, lat, 행정동, road name)
ADDRESSES = {
    "김포시 사우중로 1": ("경기도 김포시 사우중로 1", "경기도 김포시 사우동 250", 126.7155, 37.6153, "사우동", "사우중로"),
    "김포시 김포한강4로 125": ("경기도 김포시 김포한강4로 125", "경기도 김포시 장기동 2080", 126.6690, 37.6420,
                          "장기동", "김포한강4로"),
    "김포시 통진읍 마송리 100": (None, "경기도 김포시 통진읍 마송리 100", 126.5990, 37.6890, "통진읍", None),
    "서울시 세종대로 110": ("서울특별시 중구 세종대로 110", "서울특별시 중구 태평로1가 31", 126.9780, 37.5665,
                       "소공동", "세종대로"),
}


def _norm(q: str) -> str:
    return " ".join(q.replace("경기도 ", "").split())


class _Handler(BaseHTTPRequestHandler):
    server: FakeGeocoder

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.requests.append({"path": url.path, "params": params,
                                     "authorization": self.headers.get("Authorization")})
        if "slow" in (params.get("address", "") + params.get("query", "")):
            time.sleep(3)
        if url.path == "/req/address":
            self._vworld(params)
        elif url.path == "/v2/local/search/address.json":
            self._kakao(params)
        else:
            self._send(404, {"message": "not found"})

    def _vworld(self, p: dict[str, str]) -> None:
        service = {"name": "address", "version": "2.0", "operation": "getcoord", "time": "4(ms)"}

        def error(code: str, text: str) -> None:
            self._send(200, {"response": {"service": service, "status": "ERROR",
                                          "error": {"level": "1", "code": code, "text": text}}})
        if p.get("key") == QUOTA_KEY:
            return error("OVER_REQUEST_LIMIT", "일일 지오코딩 요청건수를 초과하였습니다.")
        if p.get("key") != GOOD_KEY:
            return error("INVALID_KEY", "등록되지 않은 인증키입니다.")
        if p.get("request", "").lower() != "getcoord" or p.get("service") != "address":
            return error("INVALID_REQUEST", "요청 파라미터가 올바르지 않습니다.")
        if not p.get("address"):
            return error("PARAM_REQUIRED", "필수 파라미터인 <address>가 없어서 요청을 처리할수 없습니다.")
        kind = p.get("type", "").lower()
        if kind not in ("road", "parcel"):
            return error("INVALID_TYPE", "<type> 파라미터 값이 유효하지 않습니다.")
        found = ADDRESSES.get(_norm(p["address"]))
        text = found and (found[0] if kind == "road" else found[1])
        if not text:
            return self._send(200, {"response": {"service": service, "status": "NOT_FOUND",
                                                 "input": {"type": kind, "address": p["address"]}}})
        road, parcel, x, y, dong, road_name = found
        structure = {"level0": "대한민국", "level1": text.split()[0], "level2": text.split()[1], "level3": "",
                     "level4L": (road_name or "") if kind == "road" else "", "level4LC": "", "level4A": dong,
                     "level4AC": "", "level5": text.split()[-1], "detail": ""}
        self._send(200, {"response": {
            "service": service, "status": "OK", "input": {"type": kind, "address": p["address"]},
            "refined": {"text": text, "structure": structure},
            "result": {"crs": "EPSG:4326", "point": {"x": f"{x:.9f}", "y": f"{y:.9f}"}}}})

    def _kakao(self, p: dict[str, str]) -> None:
        auth = self.headers.get("Authorization") or ""
        if auth == f"KakaoAK {QUOTA_KEY}":
            return self._send(429, {"errorType": "RateLimitExceeded", "message": "API limit has been exceeded."})
        if auth != f"KakaoAK {GOOD_KEY}":
            return self._send(401, {"errorType": "AccessDeniedError", "message": "cannot find appkey"})
        if not p.get("query"):
            return self._send(400, {"errorType": "MissingParameter", "message": "query parameter required"})
        found = ADDRESSES.get(_norm(p["query"]))
        docs = []
        if found:
            road, parcel, x, y, dong, road_name = found
            docs.append({
                "address_name": road or parcel, "address_type": "ROAD_ADDR" if road else "REGION_ADDR",
                "x": f"{x}", "y": f"{y}",
                "address": {"address_name": parcel, "region_1depth_name": "경기", "region_2depth_name": "김포시",
                            "region_3depth_name": dong, "region_3depth_h_name": dong, "x": f"{x}", "y": f"{y}"},
                "road_address": ({"address_name": road, "road_name": road_name, "region_3depth_name": dong,
                                  "zone_no": "10000", "x": f"{x}", "y": f"{y}"} if road else None)})
        self._send(200, {"meta": {"total_count": len(docs), "pageable_count": len(docs), "is_end": True},
                         "documents": docs})


class FakeGeocoder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> FakeGeocoder:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
