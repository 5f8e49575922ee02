"""Events published by intake (stream INTAKE, subjects ``intake.>``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["phone", "visit", "web", "open311"]
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
    # Additive (v1 stays compatible): an officer's choice of worker, the dispatch's number for this
    # complaint (1 = first; a re-dispatch is a new notification), the dispatch it replaces, and the
    # complaints linked to this one as duplicates (they are never texted themselves).
    worker_id: str | None = Field(default=None, max_length=64)
    attempt: int | None = Field(default=None, ge=1)
    redispatch_of: uuid.UUID | None = None  # event id of the dispatch request this one replaces
    linked_complaint_ids: list[uuid.UUID] = Field(default_factory=list)


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


class ComplaintLinked(_Payload):
    """A complaint was linked to another as a duplicate (same problem, same place, same night).

    The linked complaint keeps its own row and is counted as a complaint, but it shares the
    primary's dispatch: nobody is texted for it, and its status follows the primary's
    (dispatched, acknowledged, resolved). ``primary_id`` is always the root of the chain.
    """

    complaint_id: uuid.UUID
    primary_id: uuid.UUID
    linked_at: datetime
    distance_m: float | None = Field(default=None, ge=0)
    linked_by: str = "officer"  # 'officer' (desk), 'api'
