"""Which KMA warnings are in force for one area, read from a telegram's t6, and what changed. No I/O.

t6 ("특보 발효 현황") lists every warning in force, one line each::

    o 호우경보 : 경기도(김포, 고양, 파주), 인천(강화)
    o 호우주의보 : 서울, 경기도(안산, 시흥, 김포 제외)
    o 건조주의보 : 강원도

and "none" as ``o 없음`` or ``o 없 음``. A region is a whole province (``경기도``), some of its
areas (``경기도(김포, 파주)``), or all but some (``경기도(안산, 시흥 제외)``); parentheses nest
(``충청남도(보령(도서제외), 보령도서)``), so commas are split by depth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

LEVEL_RANK = {"주의보": 1, "경보": 2, "중대경보": 3}
_LEVELS = sorted(LEVEL_RANK, key=len, reverse=True)  # match 중대경보 before 경보
_BULLET = re.compile(r"^\s*[o○ㅇ●]\s*")
Status = Literal["issued", "changed", "lifted"]


@dataclass(frozen=True)
class WarningArea:
    """The city as KMA's warnings name it: ``area`` (김포) inside one of ``provinces`` (경기도, 경기)."""

    area: str
    provinces: frozenset[str]

    @classmethod
    def from_city(cls, level1: str, level2: str) -> WarningArea:
        base = level1
        for suffix in ("특별자치도", "특별자치시", "특별시", "광역시", "도"):
            if level1.endswith(suffix) and len(level1) > len(suffix) + 1:
                base = level1[: -len(suffix)]
                break
        names = {level1, base}
        if level1.endswith("특별자치도"):
            names |= {base + "자치도", base + "도"}
        city = (level2.split() or [""])[0]
        return cls(area=_short(city) or base, provinces=frozenset(n for n in names if n))


def _short(name: str) -> str:
    """김포시 -> 김포, 연천군 -> 연천 (KMA's warning areas drop the suffix)."""
    name = name.strip()
    return name[:-1] if len(name) > 2 and name[-1] in "시군" else name


@dataclass(frozen=True)
class InForce:
    kind: str  # 호우
    level: str  # 경보
    regions: tuple[str, ...]  # ("경기도(김포, 고양)", "인천")

    @property
    def name(self) -> str:
        return self.kind + self.level


def split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def parse_in_force(t6: str) -> list[InForce]:
    """Every warning line of a t6 text (``o 없음`` gives [])."""
    found = []
    for line in re.split(r"[\r\n]+", t6 or ""):
        line = _BULLET.sub("", line).strip()
        head, sep, regions = line.partition(":")
        if not sep:
            continue  # "없음", "없 음", or prose
        head = head.strip().replace(" ", "")
        level = next((lv for lv in _LEVELS if head.endswith(lv)), None)
        if level is None or len(head) == len(level):
            continue
        found.append(InForce(head[: -len(level)], level, tuple(split_top_level(regions.strip()))))
    return found


def _item_name(item: str) -> str:
    return re.sub(r"\(.*\)", "", item).strip()


def region_covers(region: str, where: WarningArea) -> bool:
    """Does one region of a t6 line include the area?"""
    name, paren, rest = region.partition("(")
    name = name.strip()
    if not paren:
        return name in where.provinces or _short(name) == where.area
    if name not in where.provinces:
        return _short(name) == where.area
    inner = rest[: rest.rfind(")")] if ")" in rest else rest
    items = split_top_level(inner)
    excluding = bool(items) and items[-1].replace(" ", "").endswith("제외")
    if excluding:
        items[-1] = re.sub(r"\s*제외$", "", items[-1].strip())
    named = {_short(_item_name(i)) for i in items}
    return (where.area not in named) if excluding else (where.area in named)


def warnings_for(t6: str, where: WarningArea) -> dict[str, str]:
    """kind -> level of the warnings in force for the area (the higher level if a kind is listed twice)."""
    out: dict[str, str] = {}
    for w in parse_in_force(t6):
        if any(region_covers(r, where) for r in w.regions):
            if w.kind not in out or LEVEL_RANK[w.level] > LEVEL_RANK[out[w.kind]]:
                out[w.kind] = w.level
    return out


@dataclass(frozen=True)
class Change:
    kind: str
    level: str  # for "lifted": the level that was in force
    status: Status


def diff(previous: dict[str, str], current: dict[str, str]) -> list[Change]:
    """What happened between two states (kind -> level): issued, changed (주의보 ↔ 경보), lifted."""
    changes = []
    for kind, level in sorted(current.items()):
        if kind not in previous:
            changes.append(Change(kind, level, "issued"))
        elif previous[kind] != level:
            changes.append(Change(kind, level, "changed"))
    changes.extend(Change(kind, level, "lifted") for kind, level in sorted(previous.items()) if kind not in current)
    return changes
