"""Request and response models of the manual-editing and guidance endpoints (``api_guidance``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from sunmoon.events.classifier import URGENCY_LABELS, ComplaintType, Urgency

from .domain import MAX_TEXT_CHARS
from .guidance import agencies_of
from .taxonomy import TYPES, unknown_type_message

MAX_LINES = 20  # per list of a manual
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _not_blank(v: str) -> str:
    if not v.strip():
        raise ValueError("text is blank: give the complaint in the caller's words")
    return v


ComplaintText = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS,
                                     description="The complaint in the caller's words"), AfterValidator(_not_blank)]


class Agency(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Short = Field(examples=["한국전력공사"])
    phone: str = Field("", max_length=20, pattern=r"^[0-9+\-() ]*$",
                       description="A national number (123, 1544-4500); empty: the duty room's own contact list",
                       examples=["123"])
    when: Line = Field(description="When to call them", examples=["전선이 끊어졌거나 정전일 때"])


class AgencyOut(BaseModel):
    name: str
    phone: str = Field(description="Empty: the number is local (the duty room's contact list)")
    when: str


class ManualIn(BaseModel):
    """A new version of a type's manual: every list needs at least one line."""

    model_config = ConfigDict(extra="forbid")

    title: Short = Field(examples=["상수도 누수·단수 야간 대응"])
    department: Short = Field(description="The department to contact and hand over to", examples=["상하수도과"])
    steps: list[Line] = Field(min_length=1, max_length=MAX_LINES, description="What the duty officer does, in order")
    phone_checks: list[Line] = Field(min_length=1, max_length=MAX_LINES, description="What to ask on the phone")
    tell_citizen: list[Line] = Field(min_length=1, max_length=MAX_LINES, description="What to tell the citizen")
    after_hours_team: Short = Field(description="The night team to call out", examples=["상하수도 야간 긴급복구반"])
    agencies: list[Agency] = Field(min_length=1, max_length=MAX_LINES, description="Outside agencies to call")
    edited_by: Short = Field(description="Who wrote this version", examples=["당직실 김OO"])
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = Field(
        None, description="Why this version")
    base_version: int | None = Field(None, ge=1, description="The version this edit started from: when given and "
                                                            "no longer the newest, the edit is refused with 409")


class ManualDetailOut(BaseModel):
    id: str = Field(examples=["manual-water_supply-v2"])
    type: ComplaintType
    type_label: str
    version: int
    title: str
    department: str
    steps: list[str]
    phone_checks: list[str]
    tell_citizen: list[str]
    after_hours_team: str | None
    agencies: list[AgencyOut]
    edited_by: str | None
    note: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> ManualDetailOut:
        return cls(id=row["id"], type=row["type"], type_label=TYPES[row["type"]].label, version=row["version"],
                   title=row["title"], department=row["department"], steps=list(row["steps"]),
                   phone_checks=list(row["phone_checks"] or []), tell_citizen=list(row["tell_citizen"] or []),
                   after_hours_team=row["after_hours_team"], agencies=[AgencyOut(**a) for a in agencies_of(row)],
                   edited_by=row["edited_by"], note=row["note"], created_at=row["created_at"])


class ManualVersions(BaseModel):
    type: ComplaintType
    type_label: str
    versions: list[ManualDetailOut] = Field(description="Newest first")


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: ComplaintText = Field(examples=["맨홀 뚜껑이 열려 있어요"])


class Section(BaseModel):
    section: Literal["steps", "phone_checks", "tell_citizen", "agencies"]
    text: str
    score: float = Field(ge=0, le=1, description="Shared character 2/3-grams, weighted by rarity in the manual")


class LookupOut(BaseModel):
    manual: ManualDetailOut
    sections: list[Section] = Field(description="The manual's lines that fit the text, best first (at most 3)")


class DraftsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: ComplaintText = Field(examples=["수도관이 터져서 물이 도로로 넘치고 있어요"])
    type: str = Field(description="Complaint type code", examples=["water_supply"])
    urgency: str = Field(description="urgent, normal or low", examples=["urgent"])
    address: str | None = Field(None, max_length=300, examples=["경기도 김포시 고촌읍 신곡리 123-4"])

    @field_validator("type")
    @classmethod
    def _known_type(cls, v: str) -> str:
        if v not in TYPES:
            raise ValueError(unknown_type_message(v))
        return v

    @field_validator("urgency")
    @classmethod
    def _known_urgency(cls, v: str) -> str:
        if v not in URGENCY_LABELS:
            known = ", ".join(f"{k} ({label})" for k, label in URGENCY_LABELS.items())
            raise ValueError(f"unknown urgency {v!r}; known urgencies: {known}")
        return v


class DraftsOut(BaseModel):
    worker_sms: str = Field(description="For the field worker; one SMS when it fits 90 EUC-KR bytes")
    worker_sms_bytes: int = Field(description="Length in EUC-KR bytes")
    worker_sms_kind: Literal["SMS", "LMS"]
    citizen_reply: str
    source: Literal["llm", "template"]
    fallback_reason: str | None = Field(description="Why the LLM was not used (null when it was)")
    type: ComplaintType
    urgency: Urgency
    manual_id: str | None
