"""Weather-aware triage: the conditions at a complaint's place and time, and what they change.

The classifier keeps the weather it hears about (``weather.observation.recorded.v1`` per grid
cell and hour, ``weather.warning.changed.v1`` for the city's area) in its own tables. For each
complaint it looks up the conditions (the latest observation of the complaint's cell within
three hours before it was received — any city cell when the complaint has no coordinates —
and the warnings in force), names the hazards, and raises the urgency of the types each hazard
makes dangerous by one step. Several such complaints in one 동 within an hour are a surge: an
alert for the supervisor.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from sunmoon.events import Envelope
from sunmoon.events.classifier import WeatherContext
from sunmoon.events.weather import ObservationRecorded, WarningChanged
from sunmoon.kmagrid import OutsideGrid, to_grid
from sunmoon.logging import get_logger

from .taxonomy import URGENCY_ORDER

log = get_logger(__name__)

LOOKBACK = timedelta(hours=3)  # an observation older than this says nothing about now
HEAVY_RAIN_MM = 15.0  # one hour's rain that floods drains
STRONG_WIND_MS = 14.0  # 강풍주의보 is 14 m/s (sustained) on land
COLD_C = -10.0
SNOW_TYPES = {2, 3, 6, 7}  # KMA PTY: rain/snow, snow, drizzle/snow flurry, snow flurry
SURGE_WINDOW = timedelta(hours=1)
SURGE_COUNT = 3

# warning kind (KMA) -> hazards
WARNING_HAZARDS: dict[str, tuple[str, ...]] = {
    "호우": ("rain",), "태풍": ("rain", "wind"), "강풍": ("wind",), "풍랑": ("wind",),
    "대설": ("snow_cold",), "한파": ("snow_cold",), "폭염": ("heat",),
}
# hazard -> the complaint types it makes more dangerous
RELATED_TYPES: dict[str, frozenset[str]] = {
    "rain": frozenset({"sewer_drainage", "tree_vegetation", "facility_safety"}),
    "snow_cold": frozenset({"snow_ice", "water_supply"}),
    "wind": frozenset({"tree_vegetation", "facility_safety"}),
    "heat": frozenset(),
}


# -- pure rules -----------------------------------------------------------------------------
def hazards_of(observation: dict[str, Any] | None, warnings: list[tuple[str, str]]) -> list[str]:
    """Hazards named by the warnings in force (kind, level) and by what was observed."""
    found: list[str] = []
    for kind, _level in warnings:
        found.extend(WARNING_HAZARDS.get(kind, ()))
    if observation:
        rain, pty = observation.get("precipitation_mm"), observation.get("precipitation_type")
        temp, wind = observation.get("temperature_c"), observation.get("wind_speed_ms")
        if rain is not None and rain >= HEAVY_RAIN_MM and pty not in SNOW_TYPES:
            found.append("rain")
        if (pty in SNOW_TYPES) or (temp is not None and temp <= COLD_C):
            found.append("snow_cold")
        if wind is not None and wind >= STRONG_WIND_MS:
            found.append("wind")
    return list(dict.fromkeys(found))


def group_of(type_: str, hazards: list[str]) -> str | None:
    """The hazard that makes a complaint of this type more dangerous now, if any."""
    return next((h for h in hazards if type_ in RELATED_TYPES.get(h, ())), None)


def raise_urgency(type_: str, urgency: str, context: WeatherContext) -> tuple[str, bool]:
    """One step up (low → normal → urgent) for a type related to a hazard in force."""
    if not context.known and not context.warnings:
        return urgency, False
    if group_of(type_, context.hazards) is None or urgency == "urgent":
        return urgency, False
    return URGENCY_ORDER[URGENCY_ORDER.index(urgency) + 1], True


# -- the weather the classifier keeps ------------------------------------------------------
async def on_observation_recorded(conn: asyncpg.Connection, envelope: Envelope, event: ObservationRecorded) -> None:
    await conn.execute(
        "INSERT INTO weather_observations (nx, ny, observed_at, temperature_c, precipitation_mm,"
        " precipitation_type, wind_speed_ms, simulated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (nx, ny, observed_at) DO UPDATE SET temperature_c = EXCLUDED.temperature_c,"
        " precipitation_mm = EXCLUDED.precipitation_mm, precipitation_type = EXCLUDED.precipitation_type,"
        " wind_speed_ms = EXCLUDED.wind_speed_ms, simulated = EXCLUDED.simulated",
        event.nx, event.ny, event.observed_at, event.temperature_c, event.precipitation_mm,
        event.precipitation_type, event.wind_speed_ms, getattr(event, "simulated", False))


async def on_warning_changed(conn: asyncpg.Connection, envelope: Envelope, event: WarningChanged) -> None:
    """The newest announcement per (area, kind) wins; an older one arriving late changes nothing."""
    await conn.execute(
        "INSERT INTO weather_warnings (area, kind, level, status, announced_at, effective_at, simulated)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (area, kind) DO UPDATE SET level = EXCLUDED.level,"
        " status = EXCLUDED.status, announced_at = EXCLUDED.announced_at, effective_at = EXCLUDED.effective_at,"
        " simulated = EXCLUDED.simulated WHERE weather_warnings.announced_at <= EXCLUDED.announced_at",
        event.area, event.kind, event.level, event.status, event.announced_at, event.effective_at, event.simulated)
    log.info("weather warning", area=event.area, warning=event.kind + event.level, status=event.status)


async def context_at(conn: asyncpg.Connection, lat: float | None, lon: float | None, at: datetime) -> WeatherContext:
    """The conditions at a place and time ("unknown" when no observation is recent enough)."""
    cell = None
    if lat is not None and lon is not None:
        try:
            cell = to_grid(lat, lon)
        except OutsideGrid:
            cell = None
    if cell is not None:
        row = await conn.fetchrow(
            "SELECT * FROM weather_observations WHERE nx = $1 AND ny = $2 AND observed_at <= $3"
            " AND observed_at > $4 ORDER BY observed_at DESC LIMIT 1", cell[0], cell[1], at, at - LOOKBACK)
    else:  # no coordinates: the wettest, coldest, windiest recent reading of the city
        row = await conn.fetchrow(
            "SELECT * FROM weather_observations WHERE observed_at <= $1 AND observed_at > $2"
            " ORDER BY observed_at DESC, precipitation_mm DESC NULLS LAST LIMIT 1", at, at - LOOKBACK)
    warnings = await conn.fetch(
        "SELECT kind, level, simulated FROM weather_warnings WHERE status <> 'lifted' AND announced_at <= $1"
        " ORDER BY kind", at)
    observation = dict(row) if row else None
    pairs = [(w["kind"], w["level"]) for w in warnings]
    return WeatherContext(
        known=observation is not None,
        nx=observation["nx"] if observation else None, ny=observation["ny"] if observation else None,
        observed_at=observation["observed_at"] if observation else None,
        temperature_c=observation["temperature_c"] if observation else None,
        precipitation_mm=observation["precipitation_mm"] if observation else None,
        precipitation_type=observation["precipitation_type"] if observation else None,
        wind_speed_ms=observation["wind_speed_ms"] if observation else None,
        warnings=[k + lvl for k, lvl in pairs], hazards=hazards_of(observation, pairs),  # type: ignore[arg-type]
        simulated=bool((observation and observation["simulated"]) or any(w["simulated"] for w in warnings)),
    )


async def detect_surge(conn: asyncpg.Connection, district: str | None, type_: str, at: datetime,
                       context: WeatherContext) -> dict[str, Any] | None:
    """A surge: SURGE_COUNT or more complaints of one hazard's related types in one 동 within the hour.

    Announced once per (동, hazard) and hour. Counts complaints already stored, this one included.
    """
    group = group_of(type_, context.hazards)
    if not district or group is None:
        return None
    types = sorted(RELATED_TYPES[group])
    rows = await conn.fetch(
        "SELECT complaint_id, type FROM classifications WHERE district = $1 AND received_at > $2"
        " AND received_at <= $3 AND coalesce(corrected_type, type) = ANY($4::text[]) ORDER BY received_at",
        district, at - SURGE_WINDOW, at, types)
    if len(rows) < SURGE_COUNT:
        return None
    recent = await conn.fetchval("SELECT true FROM surges WHERE district = $1 AND grp = $2 AND detected_at > $3",
                                 district, group, at - SURGE_WINDOW)
    if recent:
        return None
    await conn.execute("INSERT INTO surges (district, grp, detected_at, count) VALUES ($1, $2, $3, $4)"
                       " ON CONFLICT DO NOTHING", district, group, at, len(rows))
    return {"district": district, "group": group, "types": sorted({r["type"] for r in rows}), "count": len(rows),
            "window_minutes": int(SURGE_WINDOW.total_seconds() // 60),
            "complaint_ids": [r["complaint_id"] for r in rows], "warnings": context.warnings, "detected_at": at}
