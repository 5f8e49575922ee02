"""Unit tests of who gets the text (pure, no I/O)."""

from sunmoon.events.classifier import COMPLAINT_TYPES

from notifier import demo_roster
from notifier.domain import Team, Worker, select_recipient

ROAD = Team("road", "도로·시설 당직", ("road_damage", "facility_safety"))
ROAD_NORTH = Team("road-north", "도로(북부)", ("road_damage",), ("통진읍", "하성면"))
WATER = Team("water", "상하수도 당직", ("water_supply", "sewer_drainage"))
DUTY = Team("duty", "당직 총괄", tuple(COMPLAINT_TYPES), fallback=True)
TEAMS = [DUTY, ROAD, ROAD_NORTH, WATER]
WORKERS = [
    Worker("r2", "road", "backup"), Worker("r1", "road", "primary"),
    Worker("n1", "road-north", "primary"),
    Worker("wa1", "water", "primary", active=False), Worker("wa2", "water", "backup"),
    Worker("d1", "duty", "supervisor"),
]


def pick(type_, district=None, teams=TEAMS, workers=WORKERS):
    s = select_recipient(teams, workers, type_, district)
    return (s.team.id, s.worker.id, s.fallback) if s else None


def test_primary_of_the_team_for_the_type():
    assert pick("road_damage", "사우동") == ("road", "r1", False)
    assert pick("facility_safety", None) == ("road", "r1", False)


def test_team_with_an_area_wins_inside_its_area_only():
    assert pick("road_damage", "통진읍") == ("road-north", "n1", False)
    assert pick("road_damage", "풍무동") == ("road", "r1", False)
    assert pick("road_damage", None) == ("road", "r1", False)


def test_backup_when_the_primary_is_inactive():
    assert pick("water_supply", "사우동") == ("water", "wa2", False)


def test_fallback_to_duty_supervisor_when_nobody_covers_the_type():
    assert pick("noise", "사우동") == ("duty", "d1", True)
    assert pick("other") == ("duty", "d1", True)
    assert pick("not-a-type") == ("duty", "d1", True)


def test_fallback_when_the_type_team_has_nobody_active():
    workers = [w for w in WORKERS if w.team_id != "water"]
    assert pick("sewer_drainage", "사우동", workers=workers) == ("duty", "d1", True)


def test_nobody_at_all():
    assert pick("road_damage", "사우동", workers=[]) is None
    assert pick("noise", teams=[ROAD, WATER]) is None


def test_area_team_without_workers_falls_through_to_city_team():
    workers = [w for w in WORKERS if w.team_id != "road-north"]
    assert pick("road_damage", "통진읍", workers=workers) == ("road", "r1", False)


def test_demo_roster_covers_every_type_without_falling_back_except_other():
    workers = [e.worker for e in demo_roster.ENTRIES]
    for type_ in COMPLAINT_TYPES:
        s = select_recipient(demo_roster.TEAMS, workers, type_, "사우동")
        assert s is not None
        assert s.fallback == (type_ == "other"), type_
        assert s.worker.role == ("supervisor" if type_ == "other" else "primary")
    assert select_recipient(demo_roster.TEAMS, workers, "road_damage", "하성면").team.id == "road-north"
    assert select_recipient(demo_roster.TEAMS, workers, "sewer_drainage", "사우동").team.id == "water"
    assert len({e.phone for e in demo_roster.ENTRIES}) == len(demo_roster.ENTRIES)
