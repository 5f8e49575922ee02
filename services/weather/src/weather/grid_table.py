"""KMA's table of every 시·도, 시·군·구 and 읍·면·동 with its forecast grid cell.

The table ships inside the package (``weather/data/grid_table.csv``, a copy of
``shared/data/kma/grid_table.csv``). For a named 읍·면·동 the table's cell is the authority:
the projection formula (:func:`weather.domain.to_grid`) puts 42 of its 3,792 representative points
in a neighbouring cell, because KMA moved those points later without re-gridding. The formula is
right for a point given as lat/lon.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_SUFFIXES = ("특별자치도", "특별자치시", "특별시", "광역시", "도", "시", "군", "구", "읍", "면", "동")


class UnknownPlace(LookupError):
    """No row of the table has this name."""


class AmbiguousPlace(LookupError):
    """Several rows have this name; ``candidates`` lists them (full names)."""

    def __init__(self, query: str, candidates: list[str]) -> None:
        shown = ", ".join(candidates[:8]) + (" ..." if len(candidates) > 8 else "")
        super().__init__(f"{query!r} names {len(candidates)} places: {shown}; add the 시·군·구")
        self.candidates = candidates


@dataclass(frozen=True)
class Place:
    area_code: str
    level1: str  # 시·도
    level2: str  # 시·군·구 (may be two words: 수원시 장안구)
    level3: str  # 읍·면·동
    nx: int
    ny: int
    lat: float
    lon: float

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(t for t in (self.level1, *self.level2.split(), self.level3) if t)

    @property
    def name(self) -> str:
        return " ".join(self.tokens)

    @property
    def cell(self) -> tuple[int, int]:
        return self.nx, self.ny


def _stem(token: str) -> str:
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) > len(suffix) + 1:
            return token[: -len(suffix)]
    return token


def _matches(query: tuple[str, ...], tokens: tuple[str, ...], *, loose: bool) -> bool:
    """Query tokens appear in order in the row's tokens, the last one being the row's last."""
    if not query or not tokens:
        return False

    def same(q: str, t: str) -> bool:
        return q == t or (loose and _stem(q) == _stem(t))

    if not same(query[-1], tokens[-1]):
        return False
    i = 0
    for t in tokens[:-1]:
        if i < len(query) - 1 and same(query[i], t):
            i += 1
    return i == len(query) - 1


def _under(city: tuple[str, ...], tokens: tuple[str, ...]) -> bool:
    return len(tokens) > len(city) and tokens[: len(city)] == city


class GridTable:
    def __init__(self, places: list[Place]) -> None:
        self.places = places

    @classmethod
    def from_csv(cls, text: str) -> GridTable:
        rows = csv.DictReader(io.StringIO(text))
        return cls([Place(r["area_code"], r["level1"], r["level2"], r["level3"], int(r["nx"]), int(r["ny"]),
                          float(r["lat"]), float(r["lon"])) for r in rows])

    def find(self, query: str, *, within: str | None = None) -> list[Place]:
        """Every row the name fits (exact names first; else without 시/군/구/읍/면/동 suffixes)."""
        q = tuple(query.split())
        pool = self.places
        if within:
            city = tuple(within.split())
            pool = [p for p in pool if p.tokens[: len(city)] == city]
        for loose in (False, True):
            found = [p for p in pool if _matches(q, p.tokens, loose=loose)]
            if found:
                return found
        return []

    def lookup(self, query: str, *, within: str | None = None) -> Place:
        """The one place a name means, looked for inside ``within`` (the city) first, then nationwide."""
        found = (self.find(query, within=within) if within else []) or self.find(query)
        if not found:
            raise UnknownPlace(f"no 시·군·구 or 읍·면·동 named {query!r} in KMA's grid table")
        if len(found) > 1:
            raise AmbiguousPlace(query, [p.name for p in found])
        return found[0]

    def city(self, city: str) -> list[Place]:
        """Every 읍·면·동 of a 시·군·구 (``경기도 김포시``, or ``경기도 수원시`` for all its 구); the
        city's own row if it lists none. Raises :class:`UnknownPlace` / :class:`AmbiguousPlace`."""
        prefix = tuple(city.split())
        parts = [p for p in self.places if _under(prefix, p.tokens) and p.level3]
        if parts:
            return parts
        own = self.lookup(city)
        return [p for p in self.places if _under(own.tokens, p.tokens) and p.level3] or [own]

    def city_cells(self, city: str) -> list[tuple[int, int]]:
        """The grid cells that cover a city: every cell of its 읍·면·동, sorted."""
        return sorted({p.cell for p in self.city(city)})


@lru_cache(maxsize=1)
def default_table() -> GridTable:
    """The table shipped in the package."""
    text = (resources.files("weather") / "data" / "grid_table.csv").read_text(encoding="utf-8")
    return GridTable.from_csv(text)
