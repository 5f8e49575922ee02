"""KMA's grid table as shipped in the package: lookups by name, the cells of a city."""

from pathlib import Path

import pytest

from weather import domain
from weather.grid_table import AmbiguousPlace, UnknownPlace, default_table

SHARED_TABLE = Path(__file__).resolve().parents[5] / "shared" / "data" / "kma" / "grid_table.csv"
PACKAGED_TABLE = Path(__file__).resolve().parents[2] / "src" / "weather" / "data" / "grid_table.csv"

# Read from the table: every 읍·면·동 of 김포시 and its cell.
GIMPO_CELLS = [(53, 128), (53, 129), (53, 130), (54, 128), (54, 129), (54, 130), (55, 127), (55, 128),
               (55, 129), (56, 127)]


@pytest.mark.skipif(not SHARED_TABLE.exists(), reason="shared data not available")
def test_the_packaged_copy_is_the_shared_table():
    assert PACKAGED_TABLE.read_bytes() == SHARED_TABLE.read_bytes()


def test_table_loads_from_the_package():
    table = default_table()
    assert len(table.places) == 3792


def test_gimpo_cells():
    # KMA's table puts Gimpo's 14 읍·면·동 in ten distinct cells (design notes say "eight": the table says ten).
    table = default_table()
    assert len(table.city("경기도 김포시")) == 14
    assert table.city_cells("경기도 김포시") == GIMPO_CELLS
    assert table.city_cells("김포시") == GIMPO_CELLS


@pytest.mark.parametrize(("query", "name", "cell"), [
    ("사우동", "경기도 김포시 사우동", (55, 128)),
    ("김포시 사우동", "경기도 김포시 사우동", (55, 128)),
    ("경기도 김포시 고촌읍", "경기도 김포시 고촌읍", (56, 127)),
    ("고촌", "경기도 김포시 고촌읍", (56, 127)),  # without the suffix
    ("통진읍", "경기도 김포시 통진읍", (53, 129)),
    ("김포시", "경기도 김포시", (55, 128)),
])
def test_lookup_in_the_city(query, name, cell):
    place = default_table().lookup(query, within="경기도 김포시")
    assert (place.name, place.cell) == (name, cell)


def test_table_is_the_authority_for_a_named_place():
    # 마두2동's representative point projects to (57, 128) but KMA grids it as (56, 128)
    place = default_table().lookup("마두2동")
    assert place.cell == (56, 128)
    assert domain.to_grid(place.lat, place.lon) == (57, 128)


def test_unknown_and_ambiguous_names():
    table = default_table()
    with pytest.raises(UnknownPlace):
        table.lookup("없는동")
    with pytest.raises(AmbiguousPlace) as info:
        table.lookup("중앙동")
    assert len(info.value.candidates) > 10 and "add the 시·군·구" in str(info.value)
    # inside the city first: 김포 has no 중앙동, so the whole country answers (ambiguous)
    with pytest.raises(AmbiguousPlace):
        table.lookup("중앙동", within="경기도 김포시")


def test_a_city_with_districts():
    cells = default_table().city_cells("경기도 수원시")
    assert (60, 121) in cells and len(cells) == 7
