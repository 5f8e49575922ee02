"""Reporting's HTTP response models (they are the OpenAPI description)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel, Field

from sunmoon.events.classifier import COMPLAINT_TYPES, URGENCY_LABELS

KST = timezone(timedelta(hours=9), "KST")


def aware(value: datetime | None) -> datetime | None:
    """A time without an offset is Korean time."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=KST)


class Summary(BaseModel):
    since: datetime = Field(description="Start of the range (inclusive)")
    until: datetime = Field(description="End of the range (exclusive)")
    total: int = Field(description="Complaints received in [since, until)")
    by_status: dict[str, int] = Field(description="Every status, 0 when none",
                                      examples=[{"received": 1, "classified": 0, "dispatched": 2,
                                                 "acknowledged": 0, "resolved": 4}])
    by_type: dict[str, int] = Field(description="Every complaint type code, plus 'unclassified'")
    by_urgency: dict[str, int] = Field(description="urgent, normal, low, plus 'unclassified'")


class ComplaintView(BaseModel):
    """A complaint as the read model knows it: no personal data, the district is the finest place."""

    complaint_id: uuid.UUID
    received_at: datetime | None = Field(description="None until the received event arrives")
    channel: str | None
    district: str | None
    status: str
    type: str | None
    type_label: str | None = Field(description="Korean label of the type, e.g. 하수·배수·침수")
    urgency: str | None
    urgency_label: str | None
    department: str | None
    classified_at: datetime | None
    dispatched_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    sms_count: int = Field(description="Distinct notifications (SMS/LMS) sent for this complaint")
    warnings: list[str] = Field(default_factory=list, description="Weather warnings in force when it came in")
    weather_raised: bool = Field(default=False, description="The weather raised its urgency")
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> ComplaintView:
        data = {k: row[k] for k in cls.model_fields if k not in ("type_label", "urgency_label")}
        return cls(**data, type_label=COMPLAINT_TYPES.get(row["type"]) if row["type"] else None,
                   urgency_label=URGENCY_LABELS.get(row["urgency"]) if row["urgency"] else None)
