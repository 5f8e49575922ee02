"""Events published by reporting (stream REPORTING, subjects ``reporting.>``).

``reporting.analytics.complaint_state.v1`` is the city's analytics feed: one event per state change
of a complaint, free of personal data by construction (no name, no phone number, no street address,
no free text; the finest place is the 읍·면·동 and the 5 km KMA grid cell).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ComplaintState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    complaint_id: uuid.UUID
    change: Literal["received", "classified", "reclassified", "dispatched", "acknowledged", "resolved"]
    changed_at: datetime
    status: Literal["received", "classified", "dispatched", "acknowledged", "resolved"]
    channel: Literal["phone", "visit", "web", "open311"] | None = None
    type: str | None = None
    urgency: Literal["urgent", "normal", "low"] | None = None
    department: str | None = None
    district: str | None = None  # 읍·면·동
    nx: int | None = Field(default=None, ge=1, le=149)
    ny: int | None = Field(default=None, ge=1, le=253)
    received_at: datetime | None = None
    classified_at: datetime | None = None
    dispatched_at: datetime | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    sms_count: int = 0
    warnings: list[str] = Field(default_factory=list)
    precipitation_mm: float | None = None
    temperature_c: float | None = None
    weather_raised: bool = False


class ReportGenerated(BaseModel):
    model_config = ConfigDict(extra="ignore")

    report_id: uuid.UUID
    kind: Literal["shift", "range", "month"]
    since: datetime
    until: datetime
    formats: list[Literal["xlsx", "pdf"]]
    complaints: int
    sha256: dict[str, str]  # format -> checksum of the file
    generated_at: datetime
    automatic: bool  # true when made at the end of a shift
