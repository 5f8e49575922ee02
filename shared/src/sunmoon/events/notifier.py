"""Events published by the notifier (stream NOTIFIER, subjects ``notifier.>``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class NotificationSent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    notification_id: uuid.UUID
    complaint_id: uuid.UUID
    worker_id: str
    team: str
    role: Literal["primary", "backup", "supervisor"] = "primary"
    provider: str
    message_kind: Literal["SMS", "LMS"]
    sent_at: datetime


class NotificationAcknowledged(BaseModel):
    model_config = ConfigDict(extra="ignore")

    notification_id: uuid.UUID
    complaint_id: uuid.UUID
    worker_id: str
    acknowledged_at: datetime


class NotificationDelivered(BaseModel):
    """The gateway reports the SMS reached the phone (from its delivery results)."""

    model_config = ConfigDict(extra="ignore")

    notification_id: uuid.UUID
    complaint_id: uuid.UUID
    worker_id: str
    provider: str
    delivered_at: datetime


class NotificationFailed(BaseModel):
    """An SMS finally failed (every retry and the failover provider): an alert for the duty officer."""

    model_config = ConfigDict(extra="ignore")

    notification_id: uuid.UUID
    complaint_id: uuid.UUID
    worker_id: str
    role: Literal["primary", "backup", "supervisor"] = "primary"
    attempts: int
    error: str  # what the gateway said, never the phone number
    failed_at: datetime


class WorkerResponded(BaseModel):
    """The worker tapped a button on the link page: 확인 (accepted), 도착 (on_site) or 완료 (done)."""

    model_config = ConfigDict(extra="ignore")

    notification_id: uuid.UUID
    complaint_id: uuid.UUID
    worker_id: str
    response: Literal["accepted", "on_site", "done"]
    note: str | None = None  # the worker's words, at most 500 characters
    responded_at: datetime


class EscalationRaised(BaseModel):
    """Nobody acknowledged in time: the next person is texted (backup, supervisor), or the duty officer is told."""

    model_config = ConfigDict(extra="ignore")

    complaint_id: uuid.UUID
    notification_id: uuid.UUID  # the unanswered notification
    stage: Literal["backup", "supervisor", "duty_officer"]
    reason: str
    raised_at: datetime
