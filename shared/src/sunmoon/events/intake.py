"""Events published by intake (stream INTAKE, subjects ``intake.>``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["phone", "visit", "web"]
Status = Literal["received", "classified", "dispatched", "acknowledged", "resolved"]

# Forward order of a complaint's life; a status never moves backwards.
STATUS_ORDER: tuple[str, ...] = ("received", "classified", "dispatched", "acknowledged", "resolved")


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ComplaintReceived(_Payload):
    """A complaint was filed. Carries no name and no phone number in clear.

    ``address`` is the place of the problem (shown on maps and in SMS);
    the complainant's own details stay encrypted in intake's store.
    """

    complaint_id: uuid.UUID
    description: str = Field(min_length=1)
    channel: Channel
    received_at: datetime
    address: str | None = None
    district: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    has_callback: bool = False


class ComplaintDispatchRequested(_Payload):
    """Intake asks the notifier to text the on-call worker for this complaint."""

    complaint_id: uuid.UUID
    type: str
    urgency: Literal["urgent", "normal", "low"]
    department: str | None = None
    address: str | None = None
    district: str | None = None
    lat: float | None = None
    lon: float | None = None
    callback_masked: str | None = None  # e.g. 010-****-5678, never the full number
    summary: str = ""
    requested_by: str = "auto"


class ComplaintStatusChanged(_Payload):
    complaint_id: uuid.UUID
    status: Status
    previous_status: Status | None = None
    changed_at: datetime
    reason: str | None = None


class ComplaintReclassified(_Payload):
    """An officer changed the type (or urgency) the classifier had suggested.

    Carries the complaint's text (already scrubbed of phone numbers, as in ``received``)
    so that the classifier can keep it as a labelled example for the next ``retrain``.
    """

    complaint_id: uuid.UUID
    description: str = Field(min_length=1)
    type: str
    urgency: Literal["urgent", "normal", "low"]
    previous_type: str | None = None
    previous_urgency: Literal["urgent", "normal", "low"] | None = None
    model_version: str | None = None  # the model whose suggestion was corrected
    corrected_at: datetime
    note: str | None = None
