"""Intake's HTTP request and response models (they are the OpenAPI description)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import domain

KST = timezone(timedelta(hours=9), "KST")


class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str | None = Field(default=None, max_length=300, description="Place of the problem, e.g. '김포시 사우동 123-4'",
                                examples=["김포시 사우동 123-4"])
    lat: float | None = Field(default=None, ge=33.0, le=39.0, description="WGS84 latitude (within Korea)")
    lon: float | None = Field(default=None, ge=124.0, le=132.0, description="WGS84 longitude (within Korea)")

    @model_validator(mode="after")
    def _some_place(self) -> LocationIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        if not (self.address and self.address.strip()) and self.lat is None:
            raise ValueError("give an address, or lat and lon, or both")
        return self


class ComplainantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=50, description="Caller's name (stored encrypted)")
    phone: str | None = Field(default=None, max_length=20, description="Caller's phone, e.g. 010-1234-5678 (stored encrypted)",
                              examples=["010-1234-5678"])

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is not None and v.strip() and not domain.valid_phone(v):
            raise ValueError("not a Korean phone number; write it like 010-1234-5678")
        return v.strip() if v and v.strip() else None


class ComplaintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1, max_length=5000, description="What the caller reports, in their words",
                             examples=["사우동 사거리 맨홀 뚜껑이 열려 있어서 위험해요"])
    location: LocationIn
    complainant: ComplainantIn | None = None
    channel: Literal["phone", "visit", "web", "open311"] = Field(
        description="How the complaint came in (open311: filed by a third-party system through /open311/v2)")
    received_at: datetime | None = Field(
        default=None, description="When the call came in (ISO 8601; no offset means KST). Defaults to now.")
    duplicate_of: uuid.UUID | None = Field(
        default=None, description="File it as a duplicate of this open complaint (see GET /api/v1/complaints/"
                                  "duplicates): it is classified as usual but shares the primary's dispatch")

    @field_validator("description")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("description is blank")
        return v

    @field_validator("received_at")
    @classmethod
    def _tz(cls, v: datetime | None) -> datetime | None:
        if v is None:
            return None
        if v.tzinfo is None:
            v = v.replace(tzinfo=KST)
        if v > datetime.now(timezone.utc) + timedelta(minutes=5):
            raise ValueError("received_at is in the future")
        return v


class ComplaintCreated(BaseModel):
    id: uuid.UUID
    status: str
    received_at: datetime


class LocationOut(BaseModel):
    address: str | None
    district: str | None
    lat: float | None
    lon: float | None


class ComplainantOut(BaseModel):
    name: str | None = Field(description="Masked, e.g. 김*수")
    phone: str | None = Field(description="Masked, e.g. 010-****-5678")


class Candidate(BaseModel):
    type: str
    type_label: str
    probability: float


class Classification(BaseModel):
    type: str = Field(description="The type now (the officer's choice if they corrected it)")
    type_label: str
    urgency: str
    urgency_label: str
    department: str | None
    confidence: float | None = Field(description="The model's probability for its suggestion")
    model_version: str | None
    suggested_type: str | None = Field(description="What the classifier suggested")
    needs_review: bool = Field(description="The model was unsure: an officer should choose the type "
                                           "(POST /api/v1/complaints/{id}/classification)")
    candidates: list[Candidate] = Field(description="The model's three most likely types, best first")
    corrected: bool = Field(description="An officer set the type")
    weather: dict[str, Any] | None = Field(
        default=None, description="The weather at the complaint's place and time when it was classified: "
                                  "temperature_c, precipitation_mm, precipitation_type, wind_speed_ms, "
                                  "warnings in force (e.g. 호우경보), hazards, simulated; known=false when no "
                                  "recent observation was available")
    weather_raised: bool = Field(default=False, description="The weather raised the urgency one step")


class ReclassifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(description="Complaint type code, e.g. streetlight", examples=["streetlight"])
    urgency: Literal["urgent", "normal", "low"] | None = Field(
        default=None, description="Urgency; default: keep the current one")
    note: str | None = Field(default=None, max_length=500, description="Why, for the record")


class StatusEntry(BaseModel):
    status: str
    at: datetime
    reason: str | None


class ResponseEntry(BaseModel):
    response: Literal["accepted", "on_site", "done"]
    label: str = Field(description="확인, 도착 or 완료")
    note: str | None = Field(description="The worker's note (phone numbers masked)")
    worker_id: str
    notification_id: uuid.UUID
    at: datetime


class EscalationEntry(BaseModel):
    stage: Literal["backup", "supervisor", "duty_officer"]
    label: str = Field(description="예비 담당자 호출, 감독자 호출 or 당직 책임자 확인 필요")
    reason: str
    notification_id: uuid.UUID = Field(description="The notification nobody answered")
    at: datetime


class AlertEntry(BaseModel):
    kind: Literal["duty_officer", "notification_failed"]
    message: str = Field(description="What the duty officer should do, in Korean")
    reason: str
    worker_id: str | None
    notification_id: uuid.UUID
    at: datetime


class ComplaintOut(BaseModel):
    id: uuid.UUID
    status: Literal["received", "classified", "dispatched", "acknowledged", "resolved"]
    channel: str
    description: str
    received_at: datetime
    location: LocationOut
    complainant: ComplainantOut | None
    classification: Classification | None
    dispatched_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolution_note: str | None
    history: list[StatusEntry] | None = None
    responses: list[ResponseEntry] | None = Field(
        default=None, description="The field worker's taps on the SMS link: 확인, 도착, 완료 (with notes)")
    escalations: list[EscalationEntry] | None = Field(
        default=None, description="Nobody acknowledged in time: who was called next")
    alerts: list[AlertEntry] | None = Field(
        default=None, description="What needs the duty officer: nobody answered at all, or an SMS failed")
    duplicate_of: uuid.UUID | None = Field(default=None, description="Linked: the primary whose dispatch it shares")
    linked: list[uuid.UUID] | None = Field(default=None, description="Complaints linked to this one as duplicates")
    held: bool = Field(default=False, description="Held by an officer: not dispatched automatically")
    hold_reason: str | None = None
    dispatch_attempt: int = Field(default=0, description="Dispatch requests so far (a re-dispatch adds one)")
    dispatch_worker_id: str | None = Field(default=None, description="The worker texted last (primary role)")


class ComplaintPage(BaseModel):
    items: list[ComplaintOut]
    total: int
    limit: int
    offset: int


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000, description="What was done")


# -- duplicates, linking, hold, dispatch (api_dispatch.py) ------------------------------------------
class DuplicateOut(BaseModel):
    id: uuid.UUID
    distance_m: float = Field(description="Metres from the point asked about (haversine)")
    status: str
    type: str | None
    type_label: str | None
    urgency: str | None
    received_at: datetime
    district: str | None
    address: str | None
    summary: str
    duplicate_of: uuid.UUID | None = Field(description="Linking to it links to this root primary")


class DuplicatesOut(BaseModel):
    items: list[DuplicateOut]
    within_m: float
    hours: int


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    primary_id: uuid.UUID = Field(description="The complaint whose dispatch this one shares (a linked one: its root)")


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=500, description="Why it waits, for the record")

    @field_validator("reason")
    @classmethod
    def _reason(cls, v: str) -> str:
        if len(v.strip()) < 2:
            raise ValueError("give a reason of at least 2 characters")
        return v.strip()


class DispatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    worker_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,64}$",
                                  description="A worker from the notifier's roster; required to re-dispatch")
    note: str | None = Field(default=None, max_length=500, description="Why, for the record")

