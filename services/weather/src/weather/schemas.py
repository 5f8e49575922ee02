"""Weather's HTTP request and response models (they are the OpenAPI description)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import domain
from .handlers import RecordObservation

KST = domain.KST
MEASURED = ("temperature_c", "precipitation_mm", "humidity_pct", "wind_speed_ms", "precipitation_type",
            "wind_direction_deg")


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
    wind_direction_deg: float | None = Field(default=None, ge=domain.WIND_DIRECTION_DEG[0],
                                             le=domain.WIND_DIRECTION_DEG[1],
                                             description="Where the wind comes from, degrees (VEC)")
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
    wind_direction_deg: float | None = None
    simulated: bool = Field(default=False, description="true: from the fake KMA server, not real weather")
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


# -- warnings, conditions, status -----------------------------------------------------------------
class WarningOut(BaseModel):
    area: str = Field(description="the city as KMA's warnings name it, e.g. 김포")
    kind: str = Field(description="호우, 대설, 한파, 강풍, 태풍, 폭염, 건조 ...")
    level: str = Field(description="주의보 or 경보")
    name: str = Field(description="kind + level as KMA writes it, e.g. 호우경보")
    announced_at: datetime
    effective_at: datetime | None
    since: datetime = Field(description="in force for this service since (effective, else announced)")
    station: int
    source: str
    simulated: bool

    @classmethod
    def from_row(cls, row: Any) -> WarningOut:
        data = {k: row[k] for k in cls.model_fields if k != "name"}
        return cls(**data, name=row["kind"] + row["level"])


class WarningsOut(BaseModel):
    city: str
    area: str
    checked_at: datetime | None = Field(description="last successful look at KMA's warnings")
    simulated: bool
    items: list[WarningOut]


class PlaceOut(BaseModel):
    nx: int
    ny: int
    district: str | None = Field(default=None, description="the 읍·면·동 named, as KMA's grid table has it")
    lat: float | None = None
    lon: float | None = None
    in_city: bool = Field(description="whether the cell is one the service polls (the city's cells)")


class ConditionsOut(BaseModel):
    place: PlaceOut
    at: datetime
    observation: ObservationOut | None = Field(description="the newest observation of the cell at or before `at`")
    observation_age_minutes: float | None
    stale: bool = Field(description="no observation, or it is older than three hours")
    warnings: list[WarningOut] = Field(description="warnings in force for the city's area at `at`")
    simulated: bool = Field(description="true when any of this comes from the fake KMA server")


class JobStatus(BaseModel):
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    next_run_at: datetime | None
    last_error: str | None
    stopped_reason: Literal["quota", "configuration"] | None
    stopped_until: datetime | None
    stopped_message: str | None
    details: dict[str, Any]


class StatusOut(BaseModel):
    simulated: bool = Field(description="true: no KMA key, the weather is SIMULATED by the fake KMA server")
    source: Literal["kma", "fake"]
    kma_base_url: str
    fake_scenario: str | None = Field(description="the in-process fake's scenario, when it is used")
    city: str
    cells: list[tuple[int, int]]
    warning_area: str
    warning_station: int
    polling: bool
    last_success_at: datetime | None = Field(description="last successful now-cast poll")
    next_poll_at: datetime | None
    stopped_reason: str | None = Field(description="why a job is stopped (quota until midnight KST, or configuration)")
    jobs: dict[str, JobStatus]


class SimulationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str | None = Field(default=None, description="clear_night, heavy_rain, cold_wave")
    fail: str | None = Field(default=None, description="a failure mode of the fake, or null for none")
    fail_times: int | None = Field(default=None, ge=1)
