"""What the API and the command line accept as one observation (no I/O)."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from weather.schemas import ObservationIn


def _errors(**fields):
    with pytest.raises(ValidationError) as info:
        ObservationIn(**fields)
    return {".".join(map(str, e["loc"])) or "<root>": e["msg"] for e in info.value.errors()}


def test_grid_cell_or_lat_lon():
    by_cell = ObservationIn(nx=55, ny=128, observed_at="2026-01-15T03:00:00+09:00", temperature_c=-3.5)
    assert by_cell.to_command().nx == 55
    by_coords = ObservationIn(lat=37.56356944444444, lon=126.98000833333333,
                              observed_at="2026-01-15T03:00:00+09:00", precipitation_mm=1.5)
    cmd = by_coords.to_command()
    assert (cmd.nx, cmd.ny) == (60, 127)
    assert cmd.source == "manual" and cmd.precipitation_mm == 1.5


def test_naive_time_is_kst():
    obs = ObservationIn(nx=55, ny=128, observed_at="2026-01-15T03:00:00", temperature_c=1)
    assert obs.observed_at.utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize(("fields", "where"), [
    ({"nx": 55, "ny": 300}, "ny"),
    ({"nx": 0, "ny": 128}, "nx"),
    ({"nx": 55, "ny": 128, "temperature_c": 80}, "temperature_c"),
    ({"nx": 55, "ny": 128, "humidity_pct": 101}, "humidity_pct"),
    ({"nx": 55, "ny": 128, "precipitation_mm": -1}, "precipitation_mm"),
    ({"nx": 55, "ny": 128, "wind_speed_ms": -0.1}, "wind_speed_ms"),
    ({"nx": 55, "ny": 128, "precipitation_type": 4}, "precipitation_type"),
    ({"nx": 55, "ny": 128, "source": "KMA API!"}, "source"),
    ({"lat": 10.0, "lon": 126.9}, "lat"),
])
def test_out_of_range_names_the_field(fields, where):
    fields = {"observed_at": "2026-01-15T03:00:00+09:00", "temperature_c": 1.0, **fields}
    assert where in _errors(**fields)


@pytest.mark.parametrize(("fields", "message"), [
    ({"nx": 55, "ny": 128, "lat": 37.5, "lon": 126.9, "temperature_c": 1}, "not both"),
    ({"nx": 55, "temperature_c": 1}, "both nx and ny"),
    ({"lat": 37.5, "temperature_c": 1}, "both lat and lon"),
    ({"temperature_c": 1}, "give the place"),
    ({"nx": 55, "ny": 128}, "at least one measured value"),
])
def test_place_and_values_rules(fields, message):
    errors = _errors(observed_at="2026-01-15T03:00:00+09:00", **fields)
    assert any(message in m for m in errors.values()), errors


def test_future_and_nan_are_refused():
    future = datetime.now(UTC) + timedelta(hours=2)
    assert "observed_at" in _errors(nx=55, ny=128, observed_at=future, temperature_c=1)
    assert "temperature_c" in _errors(nx=55, ny=128, observed_at="2026-01-15T03:00:00+09:00",
                                      temperature_c=float("nan"))
