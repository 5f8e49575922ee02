"""Weather's pure rules: the KMA grid (from the shared library), the plausible range of each value,
and KMA's release schedule. No I/O here.

The grid projection itself lives in :mod:`sunmoon.kmagrid` (the classifier places complaints on
the same grid); it is re-exported here so weather's code reads ``domain.to_grid``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sunmoon.kmagrid import (  # noqa: F401 - re-exported
    NX_MAX, NX_MIN, NY_MAX, NY_MIN, OutsideGrid, in_grid, to_grid, to_latlon,
)

KST = timezone(timedelta(hours=9), "KST")

# Plausible ranges for a single observation in Korea; outside them the value is a typo.
TEMPERATURE_C = (-50.0, 50.0)
PRECIPITATION_MM = (0.0, 300.0)  # one hour of rain
HUMIDITY_PCT = (0.0, 100.0)
WIND_SPEED_MS = (0.0, 75.0)
WIND_DIRECTION_DEG = (0.0, 360.0)
LAT_RANGE = (32.0, 44.0)
LON_RANGE = (122.0, 133.0)

# Precipitation type (PTY) codes of the KMA now-cast.
PRECIPITATION_TYPES: dict[int, str] = {
    0: "없음", 1: "비", 2: "비/눈", 3: "눈", 5: "빗방울", 6: "빗방울눈날림", 7: "눈날림",
}

PLAUSIBLE: dict[str, tuple[float, float]] = {
    "temperature_c": TEMPERATURE_C, "precipitation_mm": PRECIPITATION_MM, "humidity_pct": HUMIDITY_PCT,
    "wind_speed_ms": WIND_SPEED_MS, "wind_direction_deg": WIND_DIRECTION_DEG,
}


def implausible(field: str, value: float | None) -> bool:
    """A value outside the plausible range of its field (a typo by hand, a glitch from an API)."""
    if value is None or field not in PLAUSIBLE:
        return False
    low, high = PLAUSIBLE[field]
    return not low <= value <= high


def precipitation_type_problem(code: int) -> str | None:
    """None for a known PTY code, else a message listing the known ones."""
    if code in PRECIPITATION_TYPES:
        return None
    known = ", ".join(f"{k} {v}" for k, v in PRECIPITATION_TYPES.items())
    return f"unknown precipitation type {code}; one of: {known}"


# -- KMA's release schedule (all times KST) ---------------------------------------------------
# The now-cast (getUltraSrtNcst) is made on the hour and can be fetched from about :10 past.
# The ultra-short forecast (getUltraSrtFcst) is made at :30 and can be fetched from about :45.
# The short-term forecast (getVilageFcst) is made at 02, 05, ..., 23 h and released about :10 past.
NOWCAST_RELEASE_MINUTE = 10
ULTRA_FORECAST_RELEASE_MINUTE = 45
VILLAGE_FORECAST_HOURS = (2, 5, 8, 11, 14, 17, 20, 23)
VILLAGE_FORECAST_RELEASE_MINUTE = 10


def kst(moment: datetime) -> datetime:
    """The same instant in Korean time; a naive time is taken to be KST already."""
    return moment.replace(tzinfo=KST) if moment.tzinfo is None else moment.astimezone(KST)


def nowcast_base(now: datetime) -> datetime:
    """The newest now-cast base time (HH00 KST) that should be released at ``now``."""
    now = kst(now)
    base = now.replace(minute=0, second=0, microsecond=0)
    return base if now.minute >= NOWCAST_RELEASE_MINUTE else base - timedelta(hours=1)


def ultra_forecast_base(now: datetime) -> datetime:
    """The newest ultra-short forecast base time (HH30 KST) released at ``now``."""
    now = kst(now)
    base = now.replace(minute=30, second=0, microsecond=0)
    return base if now.minute >= ULTRA_FORECAST_RELEASE_MINUTE else base - timedelta(hours=1)


def village_forecast_base(now: datetime) -> datetime:
    """The newest short-term forecast base time (02, 05 ... 23 h KST) released at ``now``."""
    now = kst(now)
    candidate = now.replace(minute=0, second=0, microsecond=0)
    for _ in range(30):
        released = candidate + timedelta(minutes=VILLAGE_FORECAST_RELEASE_MINUTE)
        if candidate.hour in VILLAGE_FORECAST_HOURS and released <= now:
            return candidate
        candidate -= timedelta(hours=1)
    raise AssertionError("unreachable: a base time exists every three hours")


def previous_base(operation: str, base: datetime) -> datetime:
    """The base time before ``base`` (what to ask for when the newest one says NO_DATA)."""
    return base - timedelta(hours=3 if operation == "getVilageFcst" else 1)


def next_midnight_kst(now: datetime) -> datetime:
    """00:00 KST of the next day: when data.go.kr's daily request quota starts again."""
    now = kst(now)
    return now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def next_nowcast_run(after_base: datetime, *, minute: int = NOWCAST_RELEASE_MINUTE, jitter_s: float = 0) -> datetime:
    """When to fetch the now-cast after the one of ``after_base``: the next hour, at :minute (+ jitter)."""
    return kst(after_base).replace(minute=0, second=0, microsecond=0) + timedelta(
        hours=1, minutes=minute, seconds=jitter_s)
