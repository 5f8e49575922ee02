"""The fifteen complaint types as data: Korean label, responsible department, night-time urgency.

This table is the one place where a type's department and default urgency are written.
The labels are the shared ones (``sunmoon.events.classifier.COMPLAINT_TYPES``), so an SMS,
a report and this service always call a type by the same Korean name. What belongs to
which type is decided by the labelling guide (shared/design/TAXONOMY.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sunmoon.events.classifier import COMPLAINT_TYPES, URGENCY_LABELS

URGENCY_ORDER: tuple[str, ...] = ("low", "normal", "urgent")


@dataclass(frozen=True)
class TypeInfo:
    code: str
    label: str
    department: str  # the city department responsible (Korean name)
    default_urgency: str  # urgency when the text carries no cue either way


# code: (department, default urgency at night). "low" types can wait for office hours unless
# the text says otherwise; see domain.decide_urgency for the cues that move a complaint.
_DEPARTMENTS: dict[str, tuple[str, str]] = {
    "road_damage": ("도로과", "normal"),
    "water_supply": ("상하수도과", "normal"),
    "sewer_drainage": ("하수도과", "normal"),
    "illegal_parking": ("교통과", "low"),
    "noise": ("환경과", "normal"),
    "streetlight": ("건설과", "normal"),
    "traffic_facility": ("교통과", "normal"),
    "animal": ("축산과(동물보호)", "normal"),
    "waste": ("환경과", "low"),
    "tree_vegetation": ("공원녹지과", "normal"),
    "odor_pollution": ("환경과", "normal"),
    "public_order": ("복지정책과", "normal"),
    "facility_safety": ("안전총괄과", "normal"),
    "snow_ice": ("도로과", "normal"),
    "other": ("당직실", "low"),
}

if set(COMPLAINT_TYPES) != set(_DEPARTMENTS):  # pragma: no cover - a type added to shared/ without a department
    raise RuntimeError(f"department table out of step with COMPLAINT_TYPES: {set(COMPLAINT_TYPES) ^ set(_DEPARTMENTS)}")

TYPES: dict[str, TypeInfo] = {
    code: TypeInfo(code, label, *_DEPARTMENTS[code]) for code, label in COMPLAINT_TYPES.items()
}


def type_info(code: str) -> TypeInfo:
    return TYPES[code]


def urgency_label(urgency: str) -> str:
    return URGENCY_LABELS[urgency]


def unknown_type_message(code: str) -> str:
    return f"unknown complaint type {code!r}; known types: {', '.join(TYPES)}"
