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
