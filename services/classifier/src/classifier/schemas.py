"""The classifier's HTTP request and response models (they are the OpenAPI description)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sunmoon.events.classifier import ComplaintType, Urgency

from .domain import Classification
from .taxonomy import TYPES, urgency_label

MAX_API_CHARS = 20_000
TERMS_DESCRIPTION = ("The pieces of the text (spaces removed) that decided the type, strongest first, "
                     "then the cues that decided the urgency")


class ClassifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_API_CHARS,
                      description=f"The complaint in the caller's words (at most {MAX_API_CHARS:,} characters). "
                                  "Blank, foreign-language or garbled text is classified too: as `other`, "
                                  "marked `needs_review`.",
                      examples=["수도관이 터져서 물이 도로로 넘치고 있어요"])


class ManualOut(BaseModel):
    id: str = Field(description="manual-<type>-v<version>", examples=["manual-water_supply-v1"])
    type: ComplaintType
    type_label: str
    version: int
    title: str
    department: str = Field(description="The department to contact and hand over to")
    steps: list[str] = Field(description="What the duty officer does, in order")

    @classmethod
    def from_row(cls, row: Any) -> ManualOut:
        return cls(id=row["id"], type=row["type"], type_label=TYPES[row["type"]].label, version=row["version"],
                   title=row["title"], department=row["department"], steps=list(row["steps"]))


class Alternative(BaseModel):
    type: ComplaintType
    label: str
    score: float = Field(description="The model's probability for this type")


class ClassifyOut(BaseModel):
    type: ComplaintType
    label: str = Field(description="The type in Korean", examples=["상수도 누수·단수"])
    urgency: Urgency
    urgency_label: str = Field(examples=["긴급"])
    department: str = Field(description="The responsible department", examples=["상하수도과"])
    confidence: float = Field(ge=0, le=1, description="The calibrated probability that the type is right")
    needs_review: bool = Field(description="The model is unsure (confidence under the review threshold): "
                                           "the officer should choose among `candidates`")
    candidates: list[Alternative] = Field(description="The three most likely types, best first")
    matched_terms: list[str] = Field(description=TERMS_DESCRIPTION)
    urgency_terms: list[str] = Field(description="The cues that decided the urgency (empty: the type's default)")
    alternatives: list[Alternative] = Field(description="Runners-up, best first (at most 3)")
    model_version: str = Field(examples=["base-1a2b3c4d"])
    manual: ManualOut | None = Field(description="The handling manual of the type")

    @classmethod
    def build(cls, result: Classification, manual: ManualOut | None,
              labels: dict[str, str] | None = None) -> ClassifyOut:
        """``labels``: the administrators' Korean labels of the types (``type_settings``), if any."""
        label = (labels or {}).get
        return cls(
            type=result.type, label=label(result.type, result.label), urgency=result.urgency,
            urgency_label=urgency_label(result.urgency),
            department=result.department, confidence=result.confidence, needs_review=result.needs_review,
            candidates=[Alternative(type=t, label=label(t, TYPES[t].label), score=p)
                        for t, p in result.candidates],
            matched_terms=result.matched_terms,
            urgency_terms=list(result.urgency_terms),
            alternatives=[Alternative(type=t, label=label(t, TYPES[t].label), score=s)
                          for t, s in result.alternatives()],
            model_version=result.model_version, manual=manual,
        )


class TypeOut(BaseModel):
    code: ComplaintType
    label: str = Field(description="Korean label", examples=["도로·보도 파손"])
    department: str = Field(description="The responsible department", examples=["도로과"])
    default_urgency: Urgency = Field(description="Urgency when the text carries no cue either way")
    default_urgency_label: str
    active: bool = Field(True, description="false: the classifier does not choose this type (it picks the most "
                                           "likely active one and marks the complaint for review)")
    customised: bool = Field(False, description="An administrator changed it from the packaged taxonomy")
    updated_by: str | None = Field(None, description="Who changed it last")
    updated_at: datetime | None = None

    @classmethod
    def of(cls, info: Any) -> TypeOut:
        """From a ``taxonomy.TypeInfo`` or a ``type_settings.TypeSetting``."""
        return cls(code=info.code, label=info.label, department=info.department,
                   default_urgency=info.default_urgency, default_urgency_label=urgency_label(info.default_urgency),
                   active=getattr(info, "active", True), customised=getattr(info, "customised", False),
                   updated_by=getattr(info, "updated_by", None), updated_at=getattr(info, "updated_at", None))


class TypeSettingIn(BaseModel):
    """What an administrator may change about a type. The type itself is a class of the trained model:
    a new type needs new training data and a retrained model, not an edit."""

    model_config = ConfigDict(extra="forbid")

    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = Field(
        examples=["상수도 누수·단수"])
    department: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = Field(
        examples=["상하수도과"])
    default_urgency: Urgency = Field(description="Used where the model defers to the default (no cue in the text)")
    active: bool = True
    edited_by: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="Who makes the change", examples=["admin kim"])


class TypeList(BaseModel):
    types: list[TypeOut]


class ClassificationOut(BaseModel):
    complaint_id: uuid.UUID
    type: ComplaintType
    label: str
    urgency: Urgency
    urgency_label: str
    department: str
    confidence: float
    model_version: str
    manual_id: str | None
    matched_terms: list[str] = Field(description=TERMS_DESCRIPTION)
    received_event_id: uuid.UUID = Field(description="The intake.complaint.received.v1 event that was classified")
    classified_event_id: uuid.UUID = Field(description="The classifier.complaint.classified.v1 event published")
    classified_at: datetime
    needs_review: bool
    candidates: list[Alternative] = Field(description="The three most likely types the model offered")
    corrected_type: ComplaintType | None = Field(description="The type an officer chose instead, if any")
    corrected_at: datetime | None
    weather: dict[str, Any] | None = Field(description="The weather at the complaint's place and time "
                                                      "(known=false: no recent observation)")
    weather_raised: bool = Field(description="The weather raised the urgency one step")
    draft_worker_sms: str | None = Field(description="Template draft of the SMS to the field worker")
    draft_citizen_reply: str | None = Field(description="Template draft of the answer to the citizen")

    @classmethod
    def from_row(cls, row: Any) -> ClassificationOut:
        return cls(
            complaint_id=row["complaint_id"], type=row["type"], label=TYPES[row["type"]].label,
            urgency=row["urgency"], urgency_label=urgency_label(row["urgency"]), department=row["department"],
            confidence=row["confidence"], model_version=row["model_version"], manual_id=row["manual_id"],
            matched_terms=list(row["matched_terms"]), received_event_id=row["received_event_id"],
            classified_event_id=row["classified_event_id"], classified_at=row["classified_at"],
            needs_review=row["needs_review"],
            candidates=[Alternative(type=c["type"], label=TYPES[c["type"]].label, score=c["probability"])
                        for c in row["candidates"]],
            corrected_type=row["corrected_type"], corrected_at=row["corrected_at"],
            draft_worker_sms=row["draft_worker_sms"], draft_citizen_reply=row["draft_citizen_reply"],
            weather=row["weather"], weather_raised=row["weather_raised"],
        )
