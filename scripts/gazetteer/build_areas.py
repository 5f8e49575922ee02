"""Build the desk's APPROXIMATE 읍·면·동 boundaries of Gimpo (web/data/gimpo_areas.geojson).

No open boundary data of Gimpo's 읍·면·동 could be found in the package registries this project may use
(PyPI, npm; ``admdongkor`` only downloads boundaries from the internet at run time), so this script derives
honest approximations from what the project ships: KMA's representative point of each 읍·면·동
(web/data/gimpo_places.csv). Each area is the Voronoi cell of its point (every place nearer to that point
than to any other), clipped to an approximate city outline: the convex hull of the points pushed outward by
``--margin-km``. The real boundaries follow rivers and roads; these do not. The GeoJSON and the map say so.

Usage:  python scripts/gazetteer/build_areas.py [--margin-km 3.0] [--out PATH]
Pure Python (no GIS libraries); the output is deterministic, so a rerun changes nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "services" / "intake" / "src" / "intake" / "web" / "data"
KM_PER_DEG_LAT = 111.32

Point = tuple[float, float]  # (x, y) in km on a local plane


def read_places(path: Path) -> tuple[Point, list[tuple[str, str, float, float]]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    center, places = None, []
    for r in csv.DictReader(lines):
        if not r["level3"]:
            center = (float(r["lat"]), float(r["lon"]))
        else:
            places.append((r["area_code"], r["level3"], float(r["lat"]), float(r["lon"])))
    if center is None:
        raise SystemExit("the gazetteer has no row for the city itself")
    return center, places


def to_plane(lat: float, lon: float, center: tuple[float, float]) -> Point:
    return ((lon - center[1]) * KM_PER_DEG_LAT * math.cos(math.radians(center[0])),
            (lat - center[0]) * KM_PER_DEG_LAT)


def to_lonlat(p: Point, center: tuple[float, float]) -> list[float]:
    lon = center[1] + p[0] / (KM_PER_DEG_LAT * math.cos(math.radians(center[0])))
    lat = center[0] + p[1] / KM_PER_DEG_LAT
    return [round(lon, 6), round(lat, 6)]


def convex_hull(points: list[Point]) -> list[Point]:
    """Andrew's monotone chain; counter-clockwise, no repeated first point."""
    pts = sorted(set(points))

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def outline(points: list[Point], margin_km: float, segments: int = 6) -> list[Point]:
    """The hull grown by ``margin_km`` (a Minkowski sum with a circle, arcs as short chords): convex."""
    grown: list[Point] = []
    for x, y in convex_hull(points):
        for i in range(segments * 4):
            a = 2 * math.pi * i / (segments * 4)
            grown.append((x + margin_km * math.cos(a), y + margin_km * math.sin(a)))
    return convex_hull(grown)


def clip(polygon: list[Point], keep: Point, other: Point) -> list[Point]:
    """Sutherland-Hodgman: the part of ``polygon`` nearer to ``keep`` than to ``other``."""
    mx, my = (keep[0] + other[0]) / 2, (keep[1] + other[1]) / 2
    nx, ny = other[0] - keep[0], other[1] - keep[1]

    def inside(p: Point) -> bool:
        return (p[0] - mx) * nx + (p[1] - my) * ny <= 0

    def meet(a: Point, b: Point) -> Point:
        da = (a[0] - mx) * nx + (a[1] - my) * ny
        db = (b[0] - mx) * nx + (b[1] - my) * ny
        t = da / (da - db)
        return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))

    out: list[Point] = []
    for i, cur in enumerate(polygon):
        prev = polygon[i - 1]
        if inside(cur):
            if not inside(prev):
                out.append(meet(prev, cur))
            out.append(cur)
        elif inside(prev):
            out.append(meet(prev, cur))
    return out


def build(places_csv: Path, margin_km: float) -> dict:
    center, places = read_places(places_csv)
    plane = [to_plane(lat, lon, center) for _c, _n, lat, lon in places]
    city = outline(plane, margin_km)
    features = []
    for i, (code, name, lat, lon) in enumerate(places):
        cell = city
        for j, other in enumerate(plane):
            if j != i:
                cell = clip(cell, plane[i], other)
        ring = [to_lonlat(p, center) for p in cell]
        ring.append(ring[0])
        features.append({"type": "Feature", "properties": {"code": code, "name": name, "approximate": True,
                                                           "label_lat": lat, "label_lon": lon},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    ring = [to_lonlat(p, center) for p in city]
    ring.append(ring[0])
    features.append({"type": "Feature", "properties": {"code": "4157000000", "name": "김포시", "approximate": True,
                                                       "outline": True},
                     "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection",
            "note": ("APPROXIMATE: Voronoi cells of KMA's representative points of Gimpo's 읍·면·동, clipped to their "
                     f"convex hull grown by {margin_km} km; not the legal boundaries "
                     "(built by scripts/gazetteer/build_areas.py)"),
            "features": features}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--places", type=Path, default=DATA / "gimpo_places.csv", help="the gazetteer's CSV")
    parser.add_argument("--margin-km", type=float, default=3.0, help="how far the outline lies beyond the points")
    parser.add_argument("--out", type=Path, default=DATA / "gimpo_areas.geojson", help="where to write the GeoJSON")
    args = parser.parse_args()
    data = build(args.places, args.margin_km)
    args.out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(data['features']) - 1} areas and the outline")


if __name__ == "__main__":
    main()
