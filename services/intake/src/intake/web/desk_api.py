"""The desk's side panel and dispatch controls: on-call worker, weather, possible duplicates, roster,
and the officer's dispatch / re-dispatch / hold / link (CSRF and role checked; rules in ``intake.dispatch``).

The on-call worker and the weather are live questions to the services that own the answers — the notifier
(``GET /api/v1/roster/on-call``, ``/api/v1/roster``) and the weather service (``GET /api/v1/conditions``) —
asked over HTTP like the classifier preview: read-only, useful only while the caller is on the line, with a
short deadline and a soft failure (the panel says "알 수 없음" and the officer files as usual). See README.md.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request

from sunmoon.events.classifier import COMPLAINT_TYPES
from sunmoon.auth import bearer
from sunmoon.logging import get_logger

from .. import dispatch, dispatch_handlers, handlers
from ..api_dispatch import find_duplicates
from . import auth, gazetteer
from .auth import DeskUser, current_user

log = get_logger(__name__)
router = APIRouter(prefix="/api", include_in_schema=False)
User = Annotated[DeskUser, Depends(current_user)]
DISPATCHERS = ("duty_officer", "supervisor", "admin")  # who may dispatch, re-dispatch, hold and link
Lat = Annotated[float, Query(ge=33.0, le=39.0)]
Lon = Annotated[float, Query(ge=124.0, le=132.0)]


class Peer:
    """GET JSON from another service's HTTP API with a deadline for the whole exchange; None when it fails."""

    def __init__(self, name: str, base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None,
                 headers: dict[str, str] | None = None):
        self.name, self.base_url, self.timeout, self.transport = name, base_url.rstrip("/"), timeout, transport
        self.headers = headers or {}  # the desk's service token (sunmoon.auth.bearer)

    async def get(self, path: str, params: dict[str, Any]) -> tuple[int, Any] | None:
        async def call() -> httpx.Response:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout,
                                         transport=self.transport, headers=self.headers) as client:
                return await client.get(path, params={k: v for k, v in params.items() if v is not None})
        try:
            r = await asyncio.wait_for(call(), self.timeout)
            return r.status_code, r.json() if r.content else None
        except (httpx.HTTPError, ValueError, TimeoutError) as exc:
            log.warning("peer unavailable", peer=self.name, path=path, error=f"{type(exc).__name__}: {exc}"[:300])
            return None


def peers(app: Any) -> dict[str, Peer]:
    """The notifier and weather clients (tests replace their transports)."""
    found = getattr(app.state, "desk_peers", None)
    if found is None:
        s = app.state.settings
        headers = bearer(s.service_token.get_secret_value())
        found = app.state.desk_peers = {
            "notifier": Peer("notifier", s.notifier_url, s.classifier_timeout_seconds, headers=headers),
            "weather": Peer("weather", s.weather_url, s.weather_timeout_seconds, headers=headers),
        }
    return found


def _unknown(reason: str) -> dict[str, Any]:
    return {"known": False, "reason": reason}


@router.get("/on-call")
async def on_call(request: Request, user: User, type: str, lat: Lat | None = None, lon: Lon | None = None,
                  district: str | None = None) -> dict[str, Any]:
    """Who would be texted for this type here and now (the notifier's roster)."""
    if type not in COMPLAINT_TYPES:
        raise HTTPException(422, "알 수 없는 유형입니다.")
    if district is None and lat is not None and lon is not None:
        district = gazetteer.nearest(lat, lon)[0].name
    got = await peers(request.app)["notifier"].get("/api/v1/roster/on-call", {"type": type, "district": district})
    if got is None:
        return _unknown("당직 명단에 연결할 수 없습니다")
    status, body = got
    if status == 404:
        return _unknown("당직 근무자가 없습니다 (명단을 확인하세요)")
    if status != 200 or not isinstance(body, dict):
        return _unknown("당직 명단 응답 오류")
    first = body["texted_first"]
    return {"known": True, "district": district, "team": body["team_name"], "fallback": body["fallback"],
            "shift": body["kind_label"], "worker": {"id": first["id"], "name": first["name"], "role": first["role"]},
            "then": [{"id": w["id"], "name": w["name"], "role": w["role"]} for w in body.get("then", [])]}


@router.get("/roster")
async def roster(request: Request, user: User) -> dict[str, Any]:
    """Active workers of active teams, names masked: the choices for a re-dispatch."""
    got = await peers(request.app)["notifier"].get("/api/v1/roster", {})
    if got is None or got[0] != 200 or not isinstance(got[1], dict):
        return {"known": False, "reason": "당직 명단에 연결할 수 없습니다", "workers": []}
    workers = [{"id": w["id"], "name": w["name"], "role": w["role"], "team": t["name"]}
               for t in got[1]["teams"] if t.get("active", True) for w in t["workers"] if w["active"]]
    return {"known": True, "workers": workers}


@router.get("/weather")
async def weather(request: Request, user: User, lat: Lat, lon: Lon) -> dict[str, Any]:
    """The newest observation at the place and the warnings in force (the weather service)."""
    got = await peers(request.app)["weather"].get("/api/v1/conditions", {"lat": lat, "lon": lon})
    if got is None:
        return _unknown("기상 정보에 연결할 수 없습니다")
    status, body = got
    if status != 200 or not isinstance(body, dict):
        return _unknown("이 위치의 기상 정보가 없습니다")
    obs = body.get("observation") or {}
    return {"known": obs != {}, "reason": None if obs else "관측값이 없습니다", "stale": body["stale"],
            "simulated": body["simulated"], "observed_at": obs.get("observed_at"),
            "temperature_c": obs.get("temperature_c"), "precipitation_mm": obs.get("precipitation_mm"),
            "precipitation": obs.get("precipitation_type_label"), "wind_speed_ms": obs.get("wind_speed_ms"),
            "warnings": [w["name"] for w in body.get("warnings", [])]}


@router.get("/duplicates")
async def duplicates(request: Request, user: User, lat: Lat, lon: Lon, type: str) -> dict[str, Any]:
    found = await find_duplicates(request.app.state.runtime.pool, lat=lat, lon=lon, type_=type)
    return found.model_dump(mode="json")


async def _command(request: Request, user: User, complaint_id: uuid.UUID, action: Any) -> dict[str, Any]:
    auth.require_csrf(request, user)
    auth.require_role(user, *DISPATCHERS)
    try:
        async with request.app.state.runtime.pool.acquire() as conn, conn.transaction():
            await action(conn)
    except handlers.NotFound as exc:
        raise HTTPException(404, f"민원을 찾을 수 없습니다: {exc.args[0]}") from None
    except dispatch.Refused as exc:
        raise HTTPException(409, str(exc)) from None
    log.info("desk dispatch command", complaint_id=str(complaint_id), user=user.name, path=request.url.path)
    return {"ok": True}


def _text(body: dict[str, Any], key: str, *, required: bool, min_len: int = 0, max_len: int = 500) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value.strip()) < max(min_len, 1 if required else 0) or len(value) > max_len:
        raise HTTPException(422, f"{key}: {min_len}~{max_len}자로 적어 주세요.")
    return value.strip() or None


@router.post("/complaints/{complaint_id}/dispatch")
async def dispatch_now(request: Request, complaint_id: uuid.UUID, user: User,
                       body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    worker_id = _text(body, "worker_id", required=False, max_len=64)
    if worker_id is not None and not all(c.isalnum() or c in "._-" for c in worker_id):
        raise HTTPException(422, "worker_id: 근무자 목록에서 고르세요.")
    note = _text(body, "note", required=False)
    cipher = request.app.state.cipher
    return await _command(request, user, complaint_id, lambda conn: dispatch_handlers.officer_dispatch(
        conn, cipher, complaint_id, worker_id, note))


@router.post("/complaints/{complaint_id}/hold")
async def hold(request: Request, complaint_id: uuid.UUID, user: User,
               body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    reason = _text(body, "reason", required=True, min_len=2)
    return await _command(request, user, complaint_id, lambda conn: dispatch_handlers.hold(conn, complaint_id, reason))


@router.post("/complaints/{complaint_id}/link")
async def link(request: Request, complaint_id: uuid.UUID, user: User,
               body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    try:
        primary = uuid.UUID(str(body.get("primary_id")))
    except ValueError:
        raise HTTPException(422, "primary_id: 연결할 민원 번호가 올바르지 않습니다.") from None
    return await _command(request, user, complaint_id, lambda conn: dispatch_handlers.link(conn, complaint_id, primary))
