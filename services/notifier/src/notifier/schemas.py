"""The notifier's HTTP request and response models (they are the OpenAPI description)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sunmoon.crypto import normalize_phone
from sunmoon.events.classifier import COMPLAINT_TYPES

ShiftKind = Literal["day", "weekday_night", "weekend", "holiday"]
Role = Literal["primary", "backup", "supervisor"]
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
_MOBILE = re.compile(r"^(010\d{8}|01[16789]\d{7,8})$")
_PHONE_CHARS = re.compile(r"^\+?[0-9 .\-()]+$")


def korean_mobile(value: str) -> str:
    """'010-1234-5678' form of a Korean mobile number; ValueError otherwise."""
    digits = normalize_phone(value)
    if not _PHONE_CHARS.match(value.strip()) or not _MOBILE.match(digits):
        raise ValueError("not a Korean mobile number (010, 011, 016-019); write it like 010-1234-5678")
    return f"{digits[:3]}-{digits[3:-4]}-{digits[-4:]}"


class WorkerOut(BaseModel):
    id: str
    name: str = Field(description="Masked, e.g. 김*준")
    phone: str = Field(description="Masked, e.g. 010-****-2031")
    role: Literal["primary", "backup", "supervisor"]
    active: bool


class TeamOut(BaseModel):
    id: str
    name: str
    types: list[str] = Field(description="Complaint type codes this team handles")
    type_labels: list[str] = Field(description="The same types in Korean")
    districts: list[str] | None = Field(description="읍·면·동 the team covers; null means the whole city")
    fallback: bool = Field(description="Duty supervisor team: texted when nobody else is on call for a type")
    active: bool = True
    workers: list[WorkerOut]
    shifts: list[ShiftOut] = Field(default_factory=list, description="Who is on call when (see /roster/on-call)")


class RosterOut(BaseModel):
    teams: list[TeamOut]


class NotificationOut(BaseModel):
    id: uuid.UUID
    complaint_id: uuid.UUID
    worker_id: str
    worker_name: str = Field(description="Masked")
    team_id: str
    team_name: str
    role: Literal["primary", "backup", "supervisor"]
    status: Literal["pending", "sent", "acknowledged", "failed"]
    complaint_type: str
    urgency: str
    place: str
    text: str = Field(description="The SMS as sent, with the acknowledgement token masked")
    message_kind: Literal["SMS", "LMS"]
    size_bytes: int = Field(description="Length in EUC-KR bytes (SMS up to 90, LMS up to 2,000)")
    attempts: int
    last_error: str | None
    provider: str | None
    created_at: datetime
    sent_at: datetime | None
    ack_expires_at: datetime | None
    acknowledged_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    limit: int
    offset: int


class SmsOut(BaseModel):
    id: int
    idempotency_key: str
    recipient: str = Field(description="Masked, e.g. 010-****-2031")
    sender: str
    text: str = Field(description="The message exactly as the gateway got it (with its live link)")
    kind: Literal["SMS", "LMS"]
    bytes: int
    created_at: datetime


class SmsPage(BaseModel):
    items: list[SmsOut]
    limit: int
    offset: int


# -- roster editing ------------------------------------------------------------------------------
class ShiftOut(BaseModel):
    id: int
    team_id: str
    kind: ShiftKind | None = Field(description="null only for a date exception covering the whole duty date")
    kind_label: str | None
    on_date: date | None = Field(description="An exception for this duty date (09:00 to 09:00 next day); "
                                             "null: every shift of the kind")
    primary_worker_id: str
    backup_worker_id: str | None
    supervisor_worker_id: str | None
    note: str | None
    updated_at: datetime


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, examples=["상하수도 당직"])
    types: list[str] = Field(default_factory=list, max_length=len(COMPLAINT_TYPES),
                             description="Complaint type codes, e.g. sewer_drainage", examples=[["sewer_drainage"]])
    districts: list[str] | None = Field(default=None, max_length=100,
                                        description="읍·면·동 covered; null (or omitted) for the whole city")
    fallback: bool = Field(default=False, description="The duty supervisor team (takes every type nobody covers)")
    active: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("the name is blank")
        return v.strip()

    @field_validator("types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        unknown = [t for t in v if t not in COMPLAINT_TYPES]
        if unknown:
            raise ValueError(f"unknown type(s) {', '.join(unknown)}; known: {', '.join(COMPLAINT_TYPES)}")
        return list(dict.fromkeys(v))

    @field_validator("districts")
    @classmethod
    def _districts(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return None
        cleaned = [" ".join(d.split()) for d in v]
        if not cleaned or any(not d or len(d) > 30 for d in cleaned):
            raise ValueError("give 읍·면·동 names such as 통진읍 (at most 30 characters each), "
                             "or null for the whole city")
        return list(dict.fromkeys(cleaned))

    @model_validator(mode="after")
    def _covers_something(self) -> TeamIn:
        if not self.types and not self.fallback:
            raise ValueError("a team needs at least one complaint type (or fallback: true)")
        return self


class WorkerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team_id: str = Field(pattern=ID_PATTERN)
    role: Role = Field(default="primary", description="Standing role, used when the team has no shift for the time")
    name: str | None = Field(default=None, min_length=1, max_length=50,
                             description="Stored encrypted; required for a new worker, omit to keep")
    phone: str | None = Field(default=None, max_length=20, examples=["010-1234-5678"],
                              description="Korean mobile number, stored encrypted; required for a new worker, "
                                          "omit to keep")
    active: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("the name is blank")
        return v.strip() if v else v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        return korean_mobile(v) if v is not None else None


class ShiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team_id: str = Field(pattern=ID_PATTERN)
    kind: ShiftKind | None = Field(default=None, description="day (09-18 on working days), weekday_night (18-09 "
                                   "after a working day), weekend, holiday; may be null for a date exception")
    on_date: date | None = Field(default=None, description="Only this duty date (an exception)")
    primary_worker_id: str = Field(pattern=ID_PATTERN)
    backup_worker_id: str | None = Field(default=None, pattern=ID_PATTERN)
    supervisor_worker_id: str | None = Field(default=None, pattern=ID_PATTERN)
    note: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> ShiftIn:
        if self.kind is None and self.on_date is None:
            raise ValueError("give a kind (day, weekday_night, weekend, holiday), an on_date, or both")
        people = [w for w in (self.primary_worker_id, self.backup_worker_id, self.supervisor_worker_id) if w]
        if len(set(people)) != len(people):
            raise ValueError("primary, backup and supervisor must be different workers")
        return self

    def ids(self) -> list[str]:
        return [w for w in (self.primary_worker_id, self.backup_worker_id, self.supervisor_worker_id) if w]


class OnCallWorker(BaseModel):
    role: Role
    id: str
    name: str = Field(description="Masked")
    phone: str = Field(description="Masked")
    active: bool


class OnCallOut(BaseModel):
    at: datetime
    at_kst: str = Field(description="The same instant in Korean time")
    kind: ShiftKind
    kind_label: str
    duty_date: date = Field(description="The duty day (당직일) the instant belongs to; it starts at 09:00")
    holiday: str | None = Field(description="The public holiday's Korean name, if any")
    shift_starts_at: datetime
    shift_ends_at: datetime
    team_id: str
    team_name: str
    fallback: bool = Field(description="No team for the type had anybody: the duty supervisor team")
    source: Literal["exception", "shift", "standing"] = Field(
        description="Date exception, the team's assignment for the kind, or the team's standing roles")
    shift_id: int | None
    texted_first: OnCallWorker = Field(description="Who would be texted")
    then: list[OnCallWorker] = Field(description="Who is texted next when nobody acknowledges (escalation)")
    assigned: dict[str, Any] = Field(description="The assignment as written: primary, backup, supervisor ids")


class EscalationStepOut(BaseModel):
    stage: Literal["backup", "supervisor", "duty_officer"]
    worker_id: str | None
    notification_id: uuid.UUID | None
    reason: str
    raised_at: datetime


class EscalationOut(BaseModel):
    notification_id: uuid.UUID = Field(description="The first text of the chain")
    complaint_id: uuid.UUID
    team_id: str
    urgency: str
    stage: Literal["primary", "backup", "supervisor", "duty_officer"]
    state: Literal["waiting", "acknowledged", "exhausted", "superseded"]
    stage_started_at: datetime
    escalate_at: datetime | None = Field(description="When the next step is due (while waiting)")
    shift_kind: str | None
    duty_date: date | None
    backup_worker_id: str | None
    supervisor_worker_id: str | None
    created_at: datetime
    closed_at: datetime | None
    steps: list[EscalationStepOut]


class EscalationPage(BaseModel):
    items: list[EscalationOut]
    limit: int
    offset: int


TeamOut.model_rebuild()
