"""The KMA grid projection against KMA's own table of every 시·군·구 and 읍·면·동."""

import csv
from pathlib import Path

import pytest

from weather import domain

# KMA's table lives in the shared data folder beside the repository (../shared/data/kma/).
GRID_TABLE = Path(__file__).resolve().parents[5] / "shared" / "data" / "kma" / "grid_table.csv"


def _rows():
    with GRID_TABLE.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _has_coordinates(row) -> bool:
    # 이어도 (Ieodo) is listed with its cell but lat/lon 0/0: there is no point to project.
    return float(row["lat"]) != 0 and float(row["lon"]) != 0


def _cell(row):
    try:
        return domain.to_grid(float(row["lat"]), float(row["lon"]))
    except domain.OutsideGrid:
        return None


@pytest.mark.skipif(not GRID_TABLE.exists(), reason="KMA grid table not available")
def test_formula_reproduces_kma_table_except_exactly_42_rows():
    rows = _rows()
    assert len(rows) == 3792
    mismatches = [r for r in rows if _cell(r) != (int(r["nx"]), int(r["ny"]))]
    # 42 rows differ: two 이어도 rows without coordinates, and 40 동/읍/면 whose representative point KMA
    # moved later without re-gridding (the table's cell is the authority for a named place).
    # The formula must reproduce every other row: a change of constants or rounding breaks this count.
    assert len(mismatches) == 42, [(r["level2"], r["level3"]) for r in mismatches]
    assert sum(not _has_coordinates(r) for r in mismatches) == 2


@pytest.mark.skipif(not GRID_TABLE.exists(), reason="KMA grid table not available")
def test_mismatches_are_at_most_one_cell_off():
    for r in filter(_has_coordinates, _rows()):
        nx, ny = domain.to_grid(float(r["lat"]), float(r["lon"]))
        assert abs(nx - int(r["nx"])) <= 1 and abs(ny - int(r["ny"])) <= 1, r


@pytest.mark.parametrize(("lat", "lon", "cell"), [
    (37.56356944444444, 126.98000833333333, (60, 127)),  # 서울특별시
    (38.0, 126.0, (43, 136)),  # the projection's origin is cell (XO, YO)
    (33.4996213, 126.5311884, (53, 38)),  # 제주시
])
def test_known_places(lat, lon, cell):
    assert domain.to_grid(lat, lon) == cell


def test_inverse_returns_a_point_inside_the_same_cell():
    for nx, ny in [(55, 128), (60, 127), (1, 1), (149, 253), (43, 136), (98, 76)]:
        lat, lon = domain.to_latlon(nx, ny)
        assert domain.to_grid(lat, lon) == (nx, ny)


def test_outside_the_grid_is_refused():
    with pytest.raises(domain.OutsideGrid):
        domain.to_grid(10.0, 100.0)


def test_precipitation_type_codes():
    assert domain.precipitation_type_problem(1) is None
    problem = domain.precipitation_type_problem(4)
    assert problem and "비" in problem and "4" in problem
