"""An offline gazetteer of Gimpo's 읍·면·동: name, representative point and KMA grid cell.

The rows were copied from KMA's grid table (``data/gimpo_places.csv``); nothing is read from outside the
package at run time, and no geocoder is called.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources

CITY = "김포시"
PROVINCE = "경기도"


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


@lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    text = (resources.files(__package__) / "data" / "gimpo_places.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    out = [Place(code=r["area_code"], name=r["level3"], kind=r["level3"][-1], lat=float(r["lat"]),
                 lon=float(r["lon"]), nx=int(r["nx"]), ny=int(r["ny"]))
           for r in rows if r["level2"] == CITY and r["level3"]]
    return tuple(sorted(out, key=lambda p: p.name))


@lru_cache(maxsize=1)
def city_center() -> tuple[float, float]:
    text = (resources.files(__package__) / "data" / "gimpo_places.csv").read_text(encoding="utf-8")
    for r in csv.DictReader(line for line in text.splitlines() if not line.startswith("#")):
        if r["level2"] == CITY and not r["level3"]:
            return float(r["lat"]), float(r["lon"])
    raise LookupError("the gazetteer has no row for the city itself")


def find(name: str) -> Place | None:
    name = name.strip()
    return next((p for p in places() if p.name == name), None)


def search(query: str, limit: int = 10) -> list[Place]:
    """Places whose name starts with, then contains, the query ('사우' -> 사우동; '읍' -> every 읍)."""
    q = query.strip().replace(" ", "")
    if not q:
        return list(places())[:limit]
    starts = [p for p in places() if p.name.startswith(q)]
    contains = [p for p in places() if q in p.name and p not in starts]
    return (starts + contains)[:limit]
