"""Events published by the classifier (stream CLASSIFIER, subjects ``classifier.>``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

COMPLAINT_TYPES: dict[str, str] = {
    "road_damage": "도로·보도 파손",
    "water_supply": "상수도 누수·단수",
    "sewer_drainage": "하수·배수·침수",
    "illegal_parking": "불법 주정차",
    "noise": "소음",
    "streetlight": "가로등·보안등",
    "traffic_facility": "신호등·교통시설",
    "animal": "동물(사체·유기·야생)",
    "waste": "쓰레기·무단투기",
    "tree_vegetation": "수목·녹지",
    "odor_pollution": "악취·오염",
    "public_order": "주취자·노숙인·소란",
    "facility_safety": "시설물·공사장 안전",
    "snow_ice": "제설·결빙",
    "other": "기타",
}
URGENCY_LABELS: dict[str, str] = {"urgent": "긴급", "normal": "보통", "low": "낮음"}

ComplaintType = Literal[
    "road_damage", "water_supply", "sewer_drainage", "illegal_parking", "noise",
    "streetlight", "traffic_facility", "animal", "waste", "tree_vegetation",
    "odor_pollution", "public_order", "facility_safety", "snow_ice", "other",
]
Urgency = Literal["urgent", "normal", "low"]


class Candidate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: ComplaintType
    probability: float = Field(ge=0, le=1)


class ComplaintClassified(BaseModel):
    model_config = ConfigDict(extra="ignore")

    complaint_id: uuid.UUID
    type: ComplaintType
    urgency: Urgency
    department: str
    confidence: float = Field(ge=0, le=1)
    model_version: str
    manual_id: str | None = None
    matched_terms: list[str] = Field(default_factory=list)
    # The model is unsure (confidence under its threshold): an officer should choose among the candidates.
    needs_review: bool = False
    candidates: list[Candidate] = Field(default_factory=list)  # the top types, best first (at most 3)
    # The weather at the complaint's place and time, and whether it raised the urgency.
    weather: WeatherContext | None = None
    weather_raised: bool = False


class WeatherContext(BaseModel):
    """The weather at a complaint's place and time, as the classifier knew it (from weather's events)."""

    model_config = ConfigDict(extra="ignore")

    known: bool  # false: no observation near that place and time ("unknown", not "fine")
    nx: int | None = None
    ny: int | None = None
    observed_at: datetime | None = None
    temperature_c: float | None = None
    precipitation_mm: float | None = None
    precipitation_type: int | None = None
    wind_speed_ms: float | None = None
    warnings: list[str] = Field(default_factory=list)  # in force, e.g. ["호우경보", "강풍주의보"]
    hazards: list[Literal["rain", "snow_cold", "wind", "heat"]] = Field(default_factory=list)
    simulated: bool = False  # from the development fake KMA server


class SurgeDetected(BaseModel):
    """Several weather-related complaints in one area within an hour: the supervisor should know."""

    model_config = ConfigDict(extra="ignore")

    district: str
    group: Literal["rain", "snow_cold", "wind", "heat"]
    types: list[str]
    count: int
    window_minutes: int
    complaint_ids: list[uuid.UUID]
    warnings: list[str] = Field(default_factory=list)
    detected_at: datetime


ComplaintClassified.model_rebuild()
