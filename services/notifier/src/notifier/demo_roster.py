"""A realistic demonstration roster for Gimpo (fictional names; 010-0xxx numbers are never issued).

Every one of the fifteen complaint types is covered; road damage in the northern
읍·면 goes to its own team, and the duty supervisors (당직 총괄) take whatever no
other team has anybody on call for.

Shifts (see roster.py): in every team the first worker is the primary on weekday nights and in
office hours and the second on weekends; on public holidays the first is primary again, with
the other duty supervisor (so each kind has its own crew). The duty supervisors 안재성
(w-duty-1, weekdays) and 송미경 (w-duty-2, weekends and holidays) supervise every team.
"""

from __future__ import annotations

from sunmoon.events.classifier import COMPLAINT_TYPES

from .domain import Team, Worker
from .handlers import RosterEntry
from .roster import Shift

NORTH = ("통진읍", "월곶면", "하성면", "대곶면", "양촌읍")

TEAMS: list[Team] = [
    Team("road", "도로·시설 당직", ("road_damage", "facility_safety")),
    Team("road-north", "도로·시설 당직(북부 읍·면)", ("road_damage", "facility_safety"), NORTH),
    Team("water", "상하수도 당직", ("water_supply", "sewer_drainage")),
    Team("traffic", "교통 당직", ("traffic_facility", "streetlight", "illegal_parking")),
    Team("environment", "환경 당직", ("waste", "odor_pollution", "noise")),
    Team("green", "녹지·동물 당직", ("tree_vegetation", "animal")),
    Team("disaster", "재난안전 당직", ("snow_ice",)),
    Team("welfare", "생활안전 당직", ("public_order",)),
    Team("duty", "당직 총괄", tuple(COMPLAINT_TYPES), fallback=True),
]

_PEOPLE: list[tuple[str, str, str, str, str]] = [
    # worker id, team, role, name, phone
    ("w-road-1", "road", "primary", "김민준", "010-0101-2031"),
    ("w-road-2", "road", "backup", "이서연", "010-0101-4172"),
    ("w-north-1", "road-north", "primary", "박지훈", "010-0102-3358"),
    ("w-north-2", "road-north", "backup", "최수빈", "010-0102-7714"),
    ("w-water-1", "water", "primary", "정우진", "010-0103-1629"),
    ("w-water-2", "water", "backup", "강하은", "010-0103-5840"),
    ("w-traffic-1", "traffic", "primary", "조현우", "010-0104-2267"),
    ("w-traffic-2", "traffic", "backup", "윤지아", "010-0104-9013"),
    ("w-env-1", "environment", "primary", "장도윤", "010-0105-3481"),
    ("w-env-2", "environment", "backup", "임채원", "010-0105-6605"),
    ("w-green-1", "green", "primary", "한승민", "010-0106-1752"),
    ("w-green-2", "green", "backup", "오예린", "010-0106-8396"),
    ("w-disaster-1", "disaster", "primary", "서준호", "010-0107-2544"),
    ("w-disaster-2", "disaster", "backup", "신가영", "010-0107-4918"),
    ("w-welfare-1", "welfare", "primary", "권태양", "010-0108-3307"),
    ("w-welfare-2", "welfare", "backup", "황보람", "010-0108-6129"),
    ("w-duty-1", "duty", "supervisor", "안재성", "010-0109-1185"),
    ("w-duty-2", "duty", "supervisor", "송미경", "010-0109-7462"),
]

ENTRIES: list[RosterEntry] = [
    RosterEntry(Worker(id=wid, team_id=team, role=role), name=name, phone=phone)  # type: ignore[arg-type]
    for wid, team, role, name, phone in _PEOPLE
]


def _shifts() -> list[Shift]:
    out = []
    for team in TEAMS:
        first, second = [e.worker.id for e in ENTRIES if e.worker.team_id == team.id]
        if team.fallback:  # the duty supervisors stand in for each other
            crews = {"day": (first, second, None), "weekday_night": (first, second, None),
                     "weekend": (second, first, None), "holiday": (second, first, None)}
        else:
            crews = {"day": (first, second, "w-duty-1"), "weekday_night": (first, second, "w-duty-1"),
                     "weekend": (second, first, "w-duty-2"), "holiday": (first, second, "w-duty-2")}
        for kind, (primary, backup, supervisor) in crews.items():
            out.append(Shift(id=0, team_id=team.id, kind=kind, on_date=None, primary=primary, backup=backup,
                             supervisor=supervisor))
    return out


SHIFTS: list[Shift] = _shifts()
