"""Events published by weather (stream WEATHER, subjects ``weather.>``)."""

from __future__ import annotations

from datetime import datetime

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
