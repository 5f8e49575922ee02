"""An offline gazetteer of Gimpo: its 읍·면·동 with KMA's representative points, its road names (도로명) and
법정동·리, and approximate 읍·면·동 boundaries; all from files shipped in ``data/`` (nothing is fetched).

- ``gimpo_places.csv``: the Gimpo rows of KMA's grid table (the city and its 14 읍·면·동, point, grid cell).
- ``gimpo_roads.csv``: road names from Korea Post's postcode data, by the 읍·면·동 they run through; roads have
  no coordinates of their own, so a road is placed at its 읍·면·동's point (``approximate``).
- ``gimpo_areas.geojson``: APPROXIMATE boundaries (Voronoi cells of the points, inside a rough outline), so
  "nearest point" and "inside the drawn cell" agree; ``scripts/gazetteer/`` rebuilds both derived files.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

CITY = "김포시"
PROVINCE = "경기도"
KIND_LABELS = {"읍": "읍", "면": "면", "동": "동", "road": "도로명", "legal": "법정동·리"}


@dataclass(frozen=True)
class Place:
    code: str
    name: str   # 사우동
    kind: str   # 읍 / 면 / 동
    lat: float
    lon: float
    nx: int
    ny: int

    @property
    def address(self) -> str:
        return f"{PROVINCE} {CITY} {self.name}"

    def as_json(self) -> dict[str, object]:
        return {**asdict(self), "address": self.address}


@dataclass(frozen=True)
class Match:
    """One autocomplete answer: a 읍·면·동, a road or a 법정동·리, with the 읍·면·동 it lies in and a point."""

    name: str          # 김포대로 / 마송리 / 사우동
    kind: str          # 읍 / 면 / 동 / road / legal
    area: str          # the 행정 읍·면·동 (for a 읍·면·동: itself)
    lat: float
    lon: float
    approximate: bool  # the point is the 읍·면·동's, not the road's or the 리's own
    weight: int = 0    # addresses on the road in that 읍·면·동 (ranking)

    @property
    def address(self) -> str:
        """The address to file: the 행정 읍·면·동 stays a word of its own (intake reads the district from it),
        so a road is written after it ('… 사우동 김포대로') and a 리 after its 읍·면."""
        if self.kind in ("읍", "면", "동") or (self.kind == "legal" and not self.name.endswith("리")):
            return f"{PROVINCE} {CITY} {self.name}"
        return f"{PROVINCE} {CITY} {self.area} {self.name}"

    @property
    def label(self) -> str:
        return self.name if self.kind in ("읍", "면", "동") else f"{self.name} ({self.area})"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "kind_label": KIND_LABELS[self.kind], "area": self.area,
                "label": self.label, "address": self.address, "lat": self.lat, "lon": self.lon,
                "approximate": self.approximate}


def _rows(filename: str) -> list[dict[str, str]]:
    text = (resources.files(__package__) / "data" / filename).read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


@lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    out = [Place(code=r["area_code"], name=r["level3"], kind=r["level3"][-1], lat=float(r["lat"]),
                 lon=float(r["lon"]), nx=int(r["nx"]), ny=int(r["ny"]))
           for r in _rows("gimpo_places.csv") if r["level2"] == CITY and r["level3"]]
    return tuple(sorted(out, key=lambda p: p.name))


@lru_cache(maxsize=1)
def city_center() -> tuple[float, float]:
    for r in _rows("gimpo_places.csv"):
        if r["level2"] == CITY and not r["level3"]:
            return float(r["lat"]), float(r["lon"])
    raise LookupError("the gazetteer has no row for the city itself")


def find(name: str) -> Place | None:
    name = name.strip()
    return next((p for p in places() if p.name == name), None)


def search(query: str, limit: int = 10) -> list[Place]:
    """읍·면·동 whose name starts with, then contains, the query ('사우' -> 사우동; '읍' -> every 읍)."""
    q = query.strip().replace(" ", "")
    if not q:
        return list(places())[:limit]
    starts = [p for p in places() if p.name.startswith(q)]
    contains = [p for p in places() if q in p.name and p not in starts]
    return (starts + contains)[:limit]


@lru_cache(maxsize=1)
def entries() -> tuple[Match, ...]:
    """Every name the desk can complete: the 읍·면·동, then roads and 법정동·리 (by 읍·면·동)."""
    by_name = {p.name: p for p in places()}
    out = [Match(p.name, p.kind, p.name, p.lat, p.lon, False, 1_000_000) for p in places()]
    legal: dict[tuple[str, str], int] = {}
    for r in _rows("gimpo_roads.csv"):
        p = by_name[r["area"]]
        out.append(Match(r["road"], "road", p.name, p.lat, p.lon, True, int(r["addresses"])))
        for name in r["legal_areas"].split():
            if name not in by_name:
                legal[(name, p.name)] = legal.get((name, p.name), 0) + int(r["addresses"])
    for (name, area), weight in legal.items():
        p = by_name[area]
        out.append(Match(name, "legal", area, p.lat, p.lon, True, weight))
    return tuple(out)


def _rank(m: Match, q: str) -> tuple[int, int, bool, int, str] | None:
    name = m.name.replace(" ", "")
    if name == q:
        tier = 0
    elif name.startswith(q):
        tier = 1
    elif q in name:
        tier = 2
    else:
        return None
    kind = 0 if m.kind in ("읍", "면", "동") else 1 if m.kind == "legal" else 2
    return tier, kind, m.name.endswith("번길"), -m.weight, m.name  # main roads before their 번길


def suggest(query: str, limit: int = 10) -> list[Match]:
    """Ranked completions: exact, then prefix, then substring matches; 읍·면·동 before 법정동·리 before roads,
    busier roads first. '김포대' -> 김포대로 (one row per 읍·면·동 it runs through)."""
    q = re.sub(r"\s+\d+(-\d+)?$", "", query.strip())  # '사우중로 1' (a building number) -> 사우중로
    q = q.replace(" ", "")
    if not q:
        return [m for m in entries() if m.kind in ("읍", "면", "동")][:limit]
    ranked = [(key, m) for m in entries() if (key := _rank(m, q)) is not None]
    ranked.sort(key=lambda pair: pair[0])
    return [m for _key, m in ranked[:limit]]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


@lru_cache(maxsize=1)
def areas_geojson() -> dict[str, Any]:
    text = (resources.files(__package__) / "data" / "gimpo_areas.geojson").read_text(encoding="utf-8")
    return json.loads(text)


def _inside(lat: float, lon: float, ring: list[list[float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def in_city(lat: float, lon: float) -> bool:
    """Inside the approximate city outline of ``gimpo_areas.geojson``."""
    outline = next(f for f in areas_geojson()["features"] if f["properties"].get("outline"))
    return _inside(lat, lon, outline["geometry"]["coordinates"][0])


def nearest(lat: float, lon: float) -> tuple[Place, float]:
    """The 읍·면·동 whose representative point is nearest (= whose approximate cell holds the point), km away."""
    best = min(places(), key=lambda p: distance_km(lat, lon, p.lat, p.lon))
    return best, distance_km(lat, lon, best.lat, best.lon)
