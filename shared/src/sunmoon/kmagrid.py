"""KMA's forecast grid: WGS84 latitude/longitude <-> grid cell (nx, ny).

KMA's short-term forecast grid is a Lambert conformal conic projection with two standard
parallels; a cell is 5 km square and (nx, ny) counts cells from the grid's south-west corner,
starting at 1. The formula is the one KMA publishes with its short-term forecast API (constants
in the design notes). Shared because every service that places a complaint on the weather map
needs it; the weather service also knows KMA's own table, the authority for a named 읍·면·동.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Projection constants published by KMA.
EARTH_RADIUS_KM = 6371.00877
GRID_KM = 5.0
SLAT1, SLAT2 = 30.0, 60.0  # standard parallels (degrees)
OLON, OLAT = 126.0, 38.0  # origin (degrees)
XO, YO = 43, 136  # grid cell of the origin

# Extent of the KMA grid.
NX_MIN, NX_MAX = 1, 149
NY_MIN, NY_MAX = 1, 253

_DEG = math.pi / 180.0


@dataclass(frozen=True)
class _Lcc:
    re: float  # earth radius in grid units
    sn: float
    sf: float
    ro: float


def _projection() -> _Lcc:
    re = EARTH_RADIUS_KM / GRID_KM
    slat1, slat2, olat = SLAT1 * _DEG, SLAT2 * _DEG, OLAT * _DEG
    sn = math.log(math.cos(slat1) / math.cos(slat2)) / math.log(
        math.tan(math.pi / 4 + slat2 / 2) / math.tan(math.pi / 4 + slat1 / 2)
    )
    sf = math.tan(math.pi / 4 + slat1 / 2) ** sn * math.cos(slat1) / sn
    ro = re * sf / math.tan(math.pi / 4 + olat / 2) ** sn
    return _Lcc(re, sn, sf, ro)


_LCC = _projection()


class OutsideGrid(ValueError):
    """A place that falls outside KMA's forecast grid."""


def to_grid(lat: float, lon: float) -> tuple[int, int]:
    """WGS84 latitude/longitude -> KMA grid cell (nx, ny). Raises :class:`OutsideGrid`."""
    p = _LCC
    ra = p.re * p.sf / math.tan(math.pi / 4 + lat * _DEG / 2) ** p.sn
    theta = lon * _DEG - OLON * _DEG
    if theta > math.pi:
        theta -= 2 * math.pi
    if theta < -math.pi:
        theta += 2 * math.pi
    theta *= p.sn
    nx = math.floor(ra * math.sin(theta) + XO + 0.5)
    ny = math.floor(p.ro - ra * math.cos(theta) + YO + 0.5)
    if not in_grid(nx, ny):
        raise OutsideGrid(f"({lat}, {lon}) falls outside the KMA grid (cell {nx}, {ny})")
    return nx, ny


def to_latlon(nx: int, ny: int) -> tuple[float, float]:
    """Centre of a KMA grid cell -> WGS84 (lat, lon); the inverse of :func:`to_grid`."""
    p = _LCC
    xn = nx - XO
    yn = p.ro - (ny - YO)
    ra = math.copysign(math.hypot(xn, yn), p.sn)
    alat = 2 * math.atan((p.re * p.sf / ra) ** (1 / p.sn)) - math.pi / 2
    if abs(xn) <= 0.0:
        theta = 0.0
    elif abs(yn) <= 0.0:
        theta = math.copysign(math.pi / 2, xn)
    else:
        theta = math.atan2(xn, yn)
    alon = theta / p.sn + OLON * _DEG
    return alat / _DEG, alon / _DEG


def in_grid(nx: int, ny: int) -> bool:
    return NX_MIN <= nx <= NX_MAX and NY_MIN <= ny <= NY_MAX
