"""Unit tests of the shift rules (pure, no I/O): which shift an instant is in, and who is on call."""

from datetime import UTC, date, datetime

import pytest

from sunmoon.events.classifier import COMPLAINT_TYPES

from notifier import demo_roster, roster
from notifier.domain import Team, Worker
from notifier.roster import KST, Shift, Snapshot, choose, holiday_name, shift_at


def kst(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=KST)


def test_the_holidays_package_knows_the_korean_holidays_used_here():
    assert holiday_name(date(2026, 9, 25)) == "추석"
    assert holiday_name(date(2026, 10, 3)) == "개천절"  # a Saturday
    assert "대체" in holiday_name(date(2026, 10, 5))  # its substitute holiday, a Monday
    assert holiday_name(date(2026, 10, 6)) is None


@pytest.mark.parametrize("at, kind, duty_date", [
    (kst(2026, 10, 7, 10), "day", date(2026, 10, 7)),                 # Wednesday, office hours
    (kst(2026, 10, 7, 17, 59), "day", date(2026, 10, 7)),
    (kst(2026, 10, 7, 18), "weekday_night", date(2026, 10, 7)),       # the night after a working day
    (kst(2026, 10, 8, 3), "weekday_night", date(2026, 10, 7)),        # ... until the 09:00 handover
    (kst(2026, 10, 8, 9), "day", date(2026, 10, 8)),
    (kst(2026, 10, 16, 23), "weekday_night", date(2026, 10, 16)),     # Friday night is a weekday night
    (kst(2026, 10, 17, 8, 59), "weekday_night", date(2026, 10, 16)),  # ... until Saturday 09:00
    (kst(2026, 10, 17, 9), "weekend", date(2026, 10, 17)),            # Saturday
    (kst(2026, 10, 18, 23), "weekend", date(2026, 10, 18)),           # Sunday night
    (kst(2026, 10, 19, 8, 30), "weekend", date(2026, 10, 18)),        # Monday before the handover
    (kst(2026, 9, 25, 22), "holiday", date(2026, 9, 25)),             # 추석 night
    (kst(2026, 9, 23, 23), "weekday_night", date(2026, 9, 23)),       # the night before 추석 연휴
    (kst(2026, 9, 24, 12), "holiday", date(2026, 9, 24)),             # 추석 전날, a Thursday
    (kst(2026, 10, 3, 14), "holiday", date(2026, 10, 3)),             # 개천절 on a Saturday: holiday wins
    (kst(2026, 10, 5, 23), "holiday", date(2026, 10, 5)),             # substitute holiday (Monday)
    (kst(2026, 10, 6, 2), "holiday", date(2026, 10, 5)),              # the night after a holiday is the holiday's
    (kst(2026, 10, 6, 18, 30), "weekday_night", date(2026, 10, 6)),
])
def test_shift_of_an_instant(at, kind, duty_date):
    slot = shift_at(at)
    assert (slot.kind, slot.duty_date) == (kind, duty_date)
    assert slot.starts_at <= at < slot.ends_at


def test_times_in_utc_and_naive_times_are_korean():
    # 2026-09-25 13:30 UTC is 22:30 KST on 추석
    assert shift_at(datetime(2026, 9, 25, 13, 30, tzinfo=UTC)).kind == "holiday"
    assert shift_at(datetime(2026, 10, 7, 10)).kind == "day"  # naive: KST
    slot = shift_at(kst(2026, 9, 25, 22))
    assert slot.holiday == "추석" and slot.starts_at == kst(2026, 9, 25, 9) and slot.ends_at == kst(2026, 9, 26, 9)


DUTY = Team("duty", "당직 총괄", tuple(COMPLAINT_TYPES), fallback=True)
WATER = Team("water", "상하수도", ("sewer_drainage", "water_supply"))
NORTH = Team("water-north", "상하수도(북부)", ("sewer_drainage",), ("통진읍",))
PEOPLE = {w.id: w for w in [
    Worker("a", "water", "primary"), Worker("b", "water", "backup"), Worker("c", "water", "primary"),
    Worker("n", "water-north", "primary"), Worker("s", "duty", "supervisor"), Worker("t", "duty", "supervisor"),
]}
SHIFTS = [
    Shift(1, "water", "weekday_night", None, "a", "b", "s"),
    Shift(2, "water", "weekend", None, "b", "c", "t"),
    Shift(3, "water", "holiday", None, "c", "a", "t"),
    Shift(4, "water", "weekday_night", date(2026, 10, 7), "c", None, "s"),   # exception for one night
    Shift(5, "water", None, date(2026, 10, 8), "b", "a", None),               # exception for a whole duty date
]


def crew(at, type_="sewer_drainage", district="사우동", shifts=SHIFTS, workers=PEOPLE, teams=(WATER, NORTH, DUTY)):
    c = choose(Snapshot(list(teams), workers, list(shifts)), type_, district, at)
    return None if c is None else (c.team.id, c.source, c.primary, c.backup, c.supervisor, c.first)


def test_weekday_night_weekend_and_holiday_crews():
    assert crew(kst(2026, 10, 6, 22)) == ("water", "shift", "a", "b", "s", ("primary", "a"))
    assert crew(kst(2026, 10, 10, 22)) == ("water", "shift", "b", "c", "t", ("primary", "b"))   # Saturday
    assert crew(kst(2026, 9, 25, 22)) == ("water", "shift", "c", "a", "t", ("primary", "c"))    # 추석 night
    # 개천절 (a Saturday) 03:00 is still Friday's weekday night; from 09:00 the holiday crew
    assert crew(kst(2026, 10, 3, 3)) == ("water", "shift", "a", "b", "s", ("primary", "a"))
    assert crew(kst(2026, 10, 3, 9)) == ("water", "shift", "c", "a", "t", ("primary", "c"))


def test_date_exceptions_win():
    assert crew(kst(2026, 10, 7, 23)) == ("water", "exception", "c", None, "s", ("primary", "c"))
    assert crew(kst(2026, 10, 8, 11)) == ("water", "exception", "b", "a", None, ("primary", "b"))  # day, whole date
    assert crew(kst(2026, 10, 8, 20)) == ("water", "exception", "b", "a", None, ("primary", "b"))  # and its night


def test_a_kind_without_assignment_borrows_or_uses_standing_roles():
    # office hours: no 'day' assignment -> the weekday night's crew
    assert crew(kst(2026, 10, 6, 11)) == ("water", "shift", "a", "b", "s", ("primary", "a"))
    # a holiday without a holiday assignment -> the weekend crew
    no_holiday = [s for s in SHIFTS if s.kind != "holiday"]
    assert crew(kst(2026, 9, 25, 22), shifts=no_holiday)[2:5] == ("b", "c", "t")
    # no shifts at all: the team's standing roles (first primary and backup by id, no supervisor)
    assert crew(kst(2026, 9, 25, 22), shifts=[]) == ("water", "standing", "a", "b", None, ("primary", "a"))


def test_inactive_workers_are_skipped_and_the_chain_moves_up():
    workers = {**PEOPLE, "a": Worker("a", "water", "primary", active=False)}
    c = choose(Snapshot([WATER, DUTY], workers, SHIFTS), "sewer_drainage", None, kst(2026, 10, 6, 22))
    assert c.first == ("backup", "b") and c.next_of("backup") is None and c.next_of("supervisor") == "s"
    assert c.chain == (("backup", "b"), ("supervisor", "s"))


def test_area_team_first_and_fallback_when_nobody_covers_or_is_active():
    assert crew(kst(2026, 10, 6, 22), district="통진읍")[:2] == ("water-north", "standing")
    assert crew(kst(2026, 10, 6, 22), type_="noise") == ("duty", "standing", None, None, "s", ("supervisor", "s"))
    nobody = {k: Worker(w.id, w.team_id, w.role, active=w.team_id == "duty") for k, w in PEOPLE.items()}
    # the shift's supervisor is still there: texted first
    assert crew(kst(2026, 10, 6, 22), workers=nobody) == ("water", "shift", "a", "b", "s", ("supervisor", "s"))
    assert crew(kst(2026, 10, 6, 22), workers=nobody, shifts=[])[0] == "duty"
    assert crew(kst(2026, 10, 6, 22), workers={}) is None


def test_demo_roster_has_every_kind_for_every_team_and_covers_every_type():
    snapshot = Snapshot(demo_roster.TEAMS, {e.worker.id: e.worker for e in demo_roster.ENTRIES}, demo_roster.SHIFTS)
    for team in demo_roster.TEAMS:
        assert {s.kind for s in demo_roster.SHIFTS if s.team_id == team.id} == set(roster.KINDS)
    at = {"weekday_night": kst(2026, 10, 6, 22), "weekend": kst(2026, 10, 10, 22), "holiday": kst(2026, 9, 25, 22),
          "day": kst(2026, 10, 6, 11)}
    for kind, when in at.items():
        for type_ in COMPLAINT_TYPES:
            c = choose(snapshot, type_, "사우동", when)
            assert c is not None and c.source == "shift" and c.slot.kind == kind
            assert c.fallback == (type_ == "other")
    water = {k: choose(snapshot, "sewer_drainage", "사우동", when) for k, when in at.items()}
    assert [(water[k].primary, water[k].supervisor) for k in ("weekday_night", "weekend", "holiday")] == [
        ("w-water-1", "w-duty-1"), ("w-water-2", "w-duty-2"), ("w-water-1", "w-duty-2")]
