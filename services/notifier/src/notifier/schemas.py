"""The notifier's HTTP response models (they are the OpenAPI description)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


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
    workers: list[WorkerOut]


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
