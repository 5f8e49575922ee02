"""Weather's HTTP request and response models (they are the OpenAPI description)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import domain
from .handlers import RecordObservation

KST = timezone(timedelta(hours=9), "KST")
MEASURED = ("temperature_c", "precipitation_mm", "humidity_pct", "wind_speed_ms", "precipitation_type")


def aware(value: datetime) -> datetime:
    """A time without an offset is Korean time (what a duty officer types)."""
    return value.replace(tzinfo=KST) if value.tzinfo is None else value


class ObservationIn(BaseModel):
    """One observation: the place as a KMA grid cell (nx, ny) or as WGS84 lat/lon, never both."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    nx: int | None = Field(default=None, ge=domain.NX_MIN, le=domain.NX_MAX,
                           description="KMA grid column (1-149)", examples=[55])
    ny: int | None = Field(default=None, ge=domain.NY_MIN, le=domain.NY_MAX,
                           description="KMA grid row (1-253)", examples=[128])
    lat: float | None = Field(default=None, ge=domain.LAT_RANGE[0], le=domain.LAT_RANGE[1],
                              description="WGS84 latitude; converted to the grid cell")
    lon: float | None = Field(default=None, ge=domain.LON_RANGE[0], le=domain.LON_RANGE[1],
                              description="WGS84 longitude; converted to the grid cell")
    observed_at: datetime = Field(description="When it was observed (ISO 8601; no offset means KST)",
                                  examples=["2026-01-15T03:00:00+09:00"])
    source: str = Field(default="manual", pattern=r"^[a-z][a-z0-9_-]{0,31}$",
                        description="Who observed it: 'manual' for an officer, 'kma' for the API")
    temperature_c: float | None = Field(default=None, ge=domain.TEMPERATURE_C[0], le=domain.TEMPERATURE_C[1],
                                        description="Air temperature, °C (T1H)", examples=[-3.5])
    precipitation_mm: float | None = Field(default=None, ge=domain.PRECIPITATION_MM[0],
                                           le=domain.PRECIPITATION_MM[1],
                                           description="Precipitation in the last hour, mm (RN1)", examples=[0])
    humidity_pct: float | None = Field(default=None, ge=domain.HUMIDITY_PCT[0], le=domain.HUMIDITY_PCT[1],
                                       description="Relative humidity, % (REH)")
    wind_speed_ms: float | None = Field(default=None, ge=domain.WIND_SPEED_MS[0], le=domain.WIND_SPEED_MS[1],
                                        description="Wind speed, m/s (WSD)")
    precipitation_type: int | None = Field(
        default=None, description="KMA PTY code: 0 없음, 1 비, 2 비/눈, 3 눈, 5 빗방울, 6 빗방울눈날림, 7 눈날림")

    @field_validator("observed_at")
    @classmethod
    def _not_future(cls, v: datetime) -> datetime:
        v = aware(v)
        if v > datetime.now(timezone.utc) + timedelta(minutes=5):
            raise ValueError("observed_at is in the future")
        return v

    @field_validator("precipitation_type")
    @classmethod
    def _pty(cls, v: int | None) -> int | None:
        if v is not None and (problem := domain.precipitation_type_problem(v)):
            raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _place_and_values(self) -> ObservationIn:
        by_grid = self.nx is not None or self.ny is not None
        by_coords = self.lat is not None or self.lon is not None
        if by_grid and by_coords:
            raise ValueError("give the place as nx/ny or as lat/lon, not both")
        if by_grid and (self.nx is None or self.ny is None):
            raise ValueError("give both nx and ny")
        if by_coords and (self.lat is None or self.lon is None):
            raise ValueError("give both lat and lon")
        if not by_grid and not by_coords:
            raise ValueError("give the place: nx and ny, or lat and lon")
        if by_coords:
            try:
                self.nx, self.ny = domain.to_grid(self.lat, self.lon)  # type: ignore[arg-type]
            except domain.OutsideGrid as exc:
                raise ValueError(str(exc)) from None
        if all(getattr(self, f) is None for f in MEASURED):
            raise ValueError(f"give at least one measured value: {', '.join(MEASURED)}")
        return self

    def to_command(self) -> RecordObservation:
        assert self.nx is not None and self.ny is not None  # guaranteed by the validator
        return RecordObservation(
            nx=self.nx, ny=self.ny, observed_at=self.observed_at, source=self.source,
            **{f: getattr(self, f) for f in MEASURED},
        )


class ObservationOut(BaseModel):
    nx: int
    ny: int
    observed_at: datetime
    source: str
    temperature_c: float | None
    precipitation_mm: float | None
    humidity_pct: float | None
    wind_speed_ms: float | None
    precipitation_type: int | None
    precipitation_type_label: str | None = Field(description="Korean label of the PTY code, e.g. 비")
    recorded_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> ObservationOut:
        data = {k: row[k] for k in cls.model_fields if k != "precipitation_type_label"}
        pty = row["precipitation_type"]
        return cls(**data, precipitation_type_label=domain.PRECIPITATION_TYPES.get(pty) if pty is not None else None)


class ObservationRecordedOut(ObservationOut):
    outcome: Literal["created", "updated", "unchanged"] = Field(
        description="created: a new observation; updated: the same cell, time and source with new values;"
                    " unchanged: exactly this observation was already recorded")


class ObservationList(BaseModel):
    nx: int
    ny: int
    since: datetime
    until: datetime
    items: list[ObservationOut]
