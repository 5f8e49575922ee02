"""Events published by weather (stream WEATHER, subjects ``weather.>``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ObservationRecorded(BaseModel):
    model_config = ConfigDict(extra="ignore")

    nx: int = Field(ge=1, le=149)
    ny: int = Field(ge=1, le=253)
    observed_at: datetime
    source: str = "manual"
    temperature_c: float | None = None
    precipitation_mm: float | None = None
    humidity_pct: float | None = None
    wind_speed_ms: float | None = None
    precipitation_type: int | None = None
    simulated: bool = False  # true while the weather comes from the fake KMA server, not KMA itself


class WarningChanged(BaseModel):
    """A KMA weather warning for the city's area was issued, changed (e.g. 주의보 → 경보) or lifted."""

    model_config = ConfigDict(extra="ignore")

    area: str  # the warning area as KMA names it, e.g. "김포"
    kind: str  # 호우, 대설, 강풍, 태풍, 한파, 폭염, 건조, 풍랑, 황사 ...
    level: str  # 주의보 or 경보
    status: Literal["issued", "changed", "lifted"]
    announced_at: datetime  # KMA's announcement time (tmFc)
    effective_at: datetime | None = None
    station: int = 109  # the forecast office whose telegram said it
    source: str = "kma"  # kma, fake (the development fake server), manual
    simulated: bool = False  # true while the weather comes from the fake server, not KMA
