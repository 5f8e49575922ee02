"""The desk's map and place endpoints: open complaints for the map, weather warnings in force, the shipped
(approximate) 읍·면·동 boundaries, place autocomplete (gazetteer, plus a real geocoder when configured) and
the reverse lookup of a clicked point. Everything but the geocoder and the warnings is answered offline."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from ..geocoding import GeocodeError, GeocodeResult
from . import gazetteer
from . import repository as desk_repo
from .auth import DeskUser, current_user
from .rules import OverdueLimits
from .views import board_item

router = APIRouter(prefix="/desk", tags=["desk map"],
                   responses={401: {"description": "Not signed in to the desk (로그인이 필요합니다)"}})
User = Annotated[DeskUser, Depends(current_user)]
PTY = {0: "", 1: "비", 2: "비/눈", 3: "눈", 5: "빗방울", 6: "빗방울/눈날림", 7: "눈날림"}


def weather_summary(w: Any) -> str | None:
    """'기온 3.5℃ · 비 12.0mm · 바람 4.2m/s · 호우경보' from the weather the classifier attached; None if none."""
    if isinstance(w, str):
        w = json.loads(w)
    if not isinstance(w, dict):
        return None
    if not w.get("known"):
        return "날씨 정보 없음"
    parts = []
    if w.get("temperature_c") is not None:
        parts.append(f"기온 {w['temperature_c']:.1f}℃")
    rain = w.get("precipitation_mm")
    kind = PTY.get(w.get("precipitation_type") or 0, "")
    if rain:
        parts.append(f"{kind or '강수'} {rain:.1f}mm")
    elif kind:
        parts.append(kind)
    if w.get("wind_speed_ms") is not None:
        parts.append(f"바람 {w['wind_speed_ms']:.1f}m/s")
    parts.extend(w.get("warnings") or [])
    return " · ".join(parts) or "날씨 정보 없음"


@router.get("/api/map", summary="Open complaints for the map, with the 읍·면·동 points")
async def map_data(request: Request, user: User) -> dict[str, Any]:
    """Every complaint not yet resolved that has a point, as the board's rows plus ``weather`` (a Korean
    one-line summary of the weather attached at classification, or null) and ``weather_raised``."""
    pool = request.app.state.runtime.pool
    now = await desk_repo.now(pool)
    limits = OverdueLimits.from_settings(request.app.state.settings)
    rows = await desk_repo.open_on_map(pool)
    extra = {r["id"]: r for r in await pool.fetch(
        "SELECT id, weather, weather_raised FROM complaints WHERE id = ANY($1::uuid[])", [r["id"] for r in rows])}
    items = []
    labels = await request.app.state.desk.types.current()
    for r in rows:
        item = board_item(r, now, limits, labels)
        e = extra.get(r["id"])
        item["weather"] = weather_summary(e["weather"]) if e else None
        item["weather_raised"] = bool(e and e["weather_raised"])
        items.append(item)
    lat, lon = gazetteer.city_center()
    return {"center": [lat, lon], "places": [p.as_json() for p in gazetteer.places()], "items": items}


@router.get("/api/warnings", summary="Weather warnings in force for the city (from the weather service)")
async def warnings(request: Request, user: User) -> dict[str, Any]:
    """``known: false`` when the weather service did not answer in time: the map then says so rather than
    showing "no warnings". ``banner`` is e.g. "호우주의보 발효 중" ('' when none)."""
    return await request.app.state.desk.warnings.in_force()


@router.get("/api/areas", summary="Approximate 읍·면·동 boundaries of the city (GeoJSON, shipped)")
async def areas(user: User) -> dict[str, Any]:
    """Voronoi cells of KMA's representative points inside a rough city outline: APPROXIMATE, drawn so the
    map shows the city with no tiles. Every feature has ``approximate: true``."""
    return gazetteer.areas_geojson()


@router.get("/api/reverse", summary="The 읍·면·동 of a point (offline, nearest representative point)")
async def reverse(user: User, lat: Annotated[float, Query(ge=-90, le=90)],
                  lon: Annotated[float, Query(ge=-180, le=180)]) -> dict[str, Any]:
    place, km = gazetteer.nearest(lat, lon)
    inside = gazetteer.in_city(lat, lon)
    return {"lat": lat, "lon": lon, "in_city": inside, "place": place.as_json(), "distance_km": round(km, 2),
            "approximate": True, "address": place.address,
            "message": "" if inside else "김포시 밖의 지점입니다. 지도에서 김포시 안을 골라 주세요."}


def _geocoded(r: GeocodeResult) -> dict[str, Any]:
    area = r.area if r.area and gazetteer.find(r.area) else gazetteer.nearest(r.lat, r.lon)[0].name
    words = r.address.split()
    if area not in words:  # keep the 읍·면·동 a word of its own: intake reads the district from it
        at = words.index(gazetteer.CITY) + 1 if gazetteer.CITY in words else 0
        words.insert(at, area)
    return {"name": r.address, "kind": "geocoded", "kind_label": "주소 검색", "area": area, "label": r.address,
            "address": " ".join(words), "lat": r.lat, "lon": r.lon, "approximate": False}


@router.get("/api/places", summary="Place autocomplete: 읍·면·동, roads and 법정동·리, ranked")
async def places(request: Request, user: User, q: Annotated[str, Query(max_length=100)] = "",
                 limit: Annotated[int, Query(ge=1, le=50)] = 20) -> dict[str, Any]:
    """Offline matches from the gazetteer (exact, prefix, then substring; 읍·면·동 first; a road's point is
    its 읍·면·동's, ``approximate: true``). When a geocoder is configured and the text has a number (a full
    address such as "김포대로 1000"), its answers inside the city come first; when it fails, ``geocoder.error``
    says why and the gazetteer's matches still come."""
    matches = [m.as_json() for m in gazetteer.suggest(q, limit)]
    geocoder = request.app.state.desk.geocoder
    status: dict[str, Any] | None = None
    if geocoder is not None and re.search(r"\d", q) and len(q.strip()) >= 3:
        status = {"provider": geocoder.name, "error": None, "outside_city": 0}
        try:
            names_a_city = re.search(r"\S+[시도]\s", q)  # else the city is added: "사우중로 1" -> "김포시 사우중로 1"
            found = await geocoder.geocode(q if names_a_city else f"{gazetteer.CITY} {q}")
        except GeocodeError as exc:
            status["error"] = exc.message
            status["kind"] = exc.kind
        else:
            inside = [r for r in found if gazetteer.in_city(r.lat, r.lon)]
            status["outside_city"] = len(found) - len(inside)
            matches = [_geocoded(r) for r in inside] + matches
    return {"query": q, "places": matches[:limit], "geocoder": status}

