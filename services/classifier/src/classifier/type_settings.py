"""Administrators' settings of the complaint types: label, department, default urgency, active.

The types are the trained model's classes and stay fixed (``taxonomy.TYPES``); a row of
``type_settings`` overrides what a city may change about one without retraining. Every
output of the service (the preview, the stored classification, the classified event, the
type list) goes through :func:`apply` / :func:`effective`, so the settings hold everywhere.

- **department**: replaces the taxonomy's department.
- **default urgency**: used where the model defers to the default, i.e. its urgency equals
  the packaged default and no cue in the text decided it. A text that says it is dangerous
  stays urgent whatever the default.
- **active = false**: the type is not chosen; the most likely active type is, and the
  complaint is marked ``needs_review`` so the officer checks it. ``other`` is always active.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import asyncpg

from .domain import Classification
from .taxonomy import TYPES, TypeInfo

Db = asyncpg.Connection | asyncpg.Pool


@dataclasses.dataclass(frozen=True)
class TypeSetting:
    code: str
    label: str
    department: str
    default_urgency: str
    active: bool = True
    updated_by: str | None = None
    updated_at: Any = None

    @property
    def customised(self) -> bool:
        base = TYPES[self.code]
        return (self.label, self.department, self.default_urgency, self.active) != (
            base.label, base.department, base.default_urgency, True)


def packaged(code: str) -> TypeSetting:
    info: TypeInfo = TYPES[code]
    return TypeSetting(info.code, info.label, info.department, info.default_urgency)


async def load(conn: Db) -> dict[str, TypeSetting]:
    """Every type's effective setting (the taxonomy where no row overrides it), in taxonomy order."""
    rows = {r["code"]: r for r in await conn.fetch(
        "SELECT code, label, department, default_urgency, active, updated_by, updated_at FROM type_settings")}
    out: dict[str, TypeSetting] = {}
    for code in TYPES:
        r = rows.get(code)
        out[code] = TypeSetting(**dict(r)) if r else packaged(code)
    return out


async def save(conn: Db, setting: TypeSetting) -> TypeSetting:
    row = await conn.fetchrow(
        "INSERT INTO type_settings (code, label, department, default_urgency, active, updated_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO UPDATE SET label = EXCLUDED.label,"
        " department = EXCLUDED.department, default_urgency = EXCLUDED.default_urgency,"
        " active = EXCLUDED.active, updated_by = EXCLUDED.updated_by, updated_at = now()"
        " RETURNING code, label, department, default_urgency, active, updated_by, updated_at",
        setting.code, setting.label, setting.department, setting.default_urgency, setting.active,
        setting.updated_by)
    return TypeSetting(**dict(row))


def apply(result: Classification, settings: dict[str, TypeSetting]) -> Classification:
    """The classification as the stored settings want it (see the module's docstring)."""
    type_, changed = result.type, {}
    if not settings.get(type_, packaged(type_)).active:
        ranked = sorted(result.scores.items(), key=lambda kv: -kv[1]) if result.scores else []
        type_ = next((t for t, _ in ranked if t != result.type and settings.get(t, packaged(t)).active), "other")
        changed.update(type=type_, needs_review=True, type_terms=(),
                       confidence=round(float(result.scores.get(type_, 0.0)), 3),
                       candidates=tuple((t, p) for t, p in result.candidates
                                        if settings.get(t, packaged(t)).active))
    setting = settings.get(type_, packaged(type_))
    changed["department"] = setting.department
    if (not result.urgency_terms and result.urgency == TYPES[result.type].default_urgency
            and setting.default_urgency != result.urgency):
        changed["urgency"] = setting.default_urgency
    return dataclasses.replace(result, **changed)
