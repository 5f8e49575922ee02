"""Pure rules for duplicates, linking, holding and (re-)dispatching. No I/O here.

The rules, in one place:

- **Duplicates**: open (not resolved) complaints of the same type within ``within_m`` metres
  (300 by default) received in the last ``hours`` (24), nearest first. The distance is the
  haversine distance on a sphere of the Earth's mean radius (good to ~0.5 % at these scales).
- **Linking**: a complaint may be linked to another (its *primary*) while it has not been
  dispatched itself and neither is resolved. A chain always links to the root: linking to a
  complaint that is itself linked links to that one's primary, and complaints already linked
  to the one being linked move to the root too. A linked complaint is never dispatched on
  its own; it follows the primary's status (dispatched, acknowledged, resolved).
- **Hold**: an officer may hold a complaint that has not been dispatched yet; it is then not
  dispatched automatically — not even an urgent one — until an officer dispatches it. A hold
  that comes after the dispatch request is refused (409): an urgent complaint is texted as soon
  as it is classified (within about a second), so holding it means holding it before that.
- **Dispatch**: an officer dispatches a held, unsure (needs review) or not yet dispatched
  complaint once it has a type, optionally to a worker of their choice. A complaint already
  dispatched is *re-dispatched* to another worker (``worker_id`` required, different from the
  current one): a new notification, the earlier escalation stops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .domain import status_rank

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
DEFAULT_WITHIN_M = 300
DEFAULT_HOURS = 24
FOLLOWED = ("dispatched", "acknowledged", "resolved")  # statuses a linked complaint takes from its primary


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Box:
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float


def bounding_box(lat: float, lon: float, radius_m: float) -> Box:
    """A lat/lon box that surely contains the circle (the index narrows, haversine decides)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 1e-6)))
    return Box(lat - dlat, lat + dlat, lon - dlon, lon + dlon)


class Refused(Exception):
    """The action is not possible in the complaint's state (HTTP 409); the message is Korean."""


def dispatch_requested(row: Any) -> bool:
    return row["dispatch_requested_at"] is not None or row["dispatched_at"] is not None


def check_link(child: Any, primary: Any) -> None:
    """May ``child`` be linked to ``primary`` (already resolved to the root)? Raises :class:`Refused`."""
    if child["id"] == primary["id"]:
        raise Refused("같은 민원끼리는 연결할 수 없습니다. (a complaint cannot be linked to itself)")
    if child["status"] == "resolved":
        raise Refused("이미 처리 완료된 민원은 연결할 수 없습니다. (the complaint is resolved)")
    if primary["status"] == "resolved":
        raise Refused("대표 민원이 이미 처리 완료되었습니다. 새 민원으로 접수하세요. (the primary is resolved)")
    if dispatch_requested(child):
        raise Refused("이미 출동 요청된 민원은 연결할 수 없습니다. (the complaint was dispatched already)")
    if child["duplicate_of"] is not None:
        raise Refused("이미 다른 민원에 연결되어 있습니다. (the complaint is linked already)")


def check_hold(row: Any) -> None:
    if row["status"] == "resolved":
        raise Refused("처리 완료된 민원은 보류할 수 없습니다. (the complaint is resolved)")
    if row["duplicate_of"] is not None:
        raise Refused("연결된 민원은 대표 민원을 따릅니다. 대표 민원을 보류하세요. (linked: hold the primary)")
    if dispatch_requested(row):
        raise Refused("이미 출동 요청되었습니다. 보류 대신 다른 근무자에게 재지시하거나 처리 완료하세요. "
                      "(already dispatched)")


@dataclass(frozen=True)
class DispatchPlan:
    attempt: int
    redispatch: bool


def plan_dispatch(row: Any, worker_id: str | None) -> DispatchPlan:
    """What an officer's dispatch means for this complaint; raises :class:`Refused`."""
    if row["status"] == "resolved":
        raise Refused("처리 완료된 민원은 출동 요청할 수 없습니다. (the complaint is resolved)")
    if row["duplicate_of"] is not None:
        raise Refused("연결된 민원은 대표 민원과 함께 출동합니다. 대표 민원을 출동 요청하세요. "
                      "(linked: dispatch the primary)")
    if row["type"] is None:
        raise Refused("아직 분류되지 않았습니다. 유형을 먼저 지정하세요. (no type yet: set the classification first)")
    if not dispatch_requested(row):
        return DispatchPlan(attempt=row["dispatch_attempt"] + 1, redispatch=False)
    if not worker_id:
        raise Refused("이미 출동 요청되었습니다. 재지시할 근무자를 선택하세요. (already dispatched: choose worker_id)")
    if worker_id == row["dispatch_worker_id"]:
        raise Refused("지금 담당 근무자와 같은 사람입니다. 다른 근무자를 선택하세요. (same worker as now)")
    return DispatchPlan(attempt=max(row["dispatch_attempt"], 1) + 1, redispatch=True)


def catch_up(child_status: str, primary_status: str) -> list[str]:
    """The statuses a newly linked complaint must pass through to reach its primary's."""
    return [s for s in FOLLOWED if status_rank(child_status) < status_rank(s) <= status_rank(primary_status)]
