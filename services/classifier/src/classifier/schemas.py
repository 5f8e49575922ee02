"""The classifier's HTTP request and response models (they are the OpenAPI description)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sunmoon.events.classifier import ComplaintType, Urgency

from .domain import MAX_TEXT_CHARS, Classification
from .taxonomy import TYPES, TypeInfo, urgency_label

TERMS_DESCRIPTION = ("The pieces of the text (spaces removed) that decided the type, strongest first, "
                     "then the cues that decided the urgency")


class ClassifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS,
                      description=f"The complaint in the caller's words (1-{MAX_TEXT_CHARS} characters)",
                      examples=["수도관이 터져서 물이 도로로 넘치고 있어요"])

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text is blank: give the complaint in the caller's words")
        return v


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
    score: float = Field(description="The lexicon's evidence for this type (the sum of its terms' weights)")


class ClassifyOut(BaseModel):
    type: ComplaintType
    label: str = Field(description="The type in Korean", examples=["상수도 누수·단수"])
    urgency: Urgency
    urgency_label: str = Field(examples=["긴급"])
    department: str = Field(description="The responsible department", examples=["상하수도과"])
    confidence: float = Field(ge=0, le=1, description="How sure the model is: low when few terms matched or "
                                                      "another type has evidence too; 0.1 when nothing matched")
    matched_terms: list[str] = Field(description=TERMS_DESCRIPTION)
    urgency_terms: list[str] = Field(description="The cues that decided the urgency (empty: the type's default)")
    alternatives: list[Alternative] = Field(description="Runners-up with evidence, best first (at most 3)")
    model_version: str = Field(examples=["lexicon-1"])
    manual: ManualOut | None = Field(description="The handling manual of the type")

    @classmethod
    def build(cls, result: Classification, manual: ManualOut | None) -> ClassifyOut:
        return cls(
            type=result.type, label=result.label, urgency=result.urgency, urgency_label=urgency_label(result.urgency),
            department=result.department, confidence=result.confidence, matched_terms=result.matched_terms,
            urgency_terms=list(result.urgency_terms),
            alternatives=[Alternative(type=t, label=TYPES[t].label, score=s) for t, s in result.alternatives()],
            model_version=result.model_version, manual=manual,
        )


class TypeOut(BaseModel):
    code: ComplaintType
    label: str = Field(description="Korean label", examples=["도로·보도 파손"])
    department: str = Field(description="The responsible department", examples=["도로과"])
    default_urgency: Urgency = Field(description="Urgency when the text carries no cue either way")
    default_urgency_label: str

    @classmethod
    def of(cls, info: TypeInfo) -> TypeOut:
        return cls(code=info.code, label=info.label, department=info.department,  # type: ignore[arg-type]
                   default_urgency=info.default_urgency,  # type: ignore[arg-type]
                   default_urgency_label=urgency_label(info.default_urgency))


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

    @classmethod
    def from_row(cls, row: Any) -> ClassificationOut:
        return cls(
            complaint_id=row["complaint_id"], type=row["type"], label=TYPES[row["type"]].label,
            urgency=row["urgency"], urgency_label=urgency_label(row["urgency"]), department=row["department"],
            confidence=row["confidence"], model_version=row["model_version"], manual_id=row["manual_id"],
            matched_terms=list(row["matched_terms"]), received_event_id=row["received_event_id"],
            classified_event_id=row["classified_event_id"], classified_at=row["classified_at"],
        )
