"""Duty shifts and Korean dates (pure)."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from reporting.shifts import Calendar, korean_datetime, korean_range

KST = ZoneInfo("Asia/Seoul")
CAL = Calendar()


def kst(*args) -> datetime:
    return datetime(*args, tzinfo=KST)


@pytest.mark.parametrize(("duty_date", "since", "until", "kind", "holiday"), [
    (date(2026, 7, 14), kst(2026, 7, 14, 18), kst(2026, 7, 15, 9), "weekday_night", None),  # Tuesday
    (date(2026, 7, 17), kst(2026, 7, 17, 9), kst(2026, 7, 18, 9), "holiday", "제헌절"),  # a Friday holiday
    (date(2026, 7, 18), kst(2026, 7, 18, 9), kst(2026, 7, 19, 9), "weekend", None),  # Saturday
    (date(2026, 7, 19), kst(2026, 7, 19, 9), kst(2026, 7, 20, 9), "weekend", None),  # Sunday
    (date(2026, 7, 24), kst(2026, 7, 24, 18), kst(2026, 7, 25, 9), "weekday_night", None),  # a plain Friday
    (date(2026, 9, 25), kst(2026, 9, 25, 9), kst(2026, 9, 26, 9), "holiday", "추석"),
])
def test_shift_of_a_duty_date(duty_date, since, until, kind, holiday):
    s = CAL.shift_of(duty_date)
    assert (s.since, s.until, s.kind, s.holiday) == (since, until, kind, holiday)


def test_shifts_cover_every_after_hours_minute_and_end_at_handover():
    shifts = CAL.shifts_ending(kst(2026, 7, 13, 9), kst(2026, 7, 21, 9))
    assert [s.duty_date.day for s in shifts] == [13, 14, 15, 16, 17, 18, 19, 20]
    assert all(s.until.time() == time(9, 0) for s in shifts)
    for a, b in zip(shifts, shifts[1:], strict=False):  # gaps are exactly office hours of working days
        assert b.since == a.until or (b.since - a.until).total_seconds() == 9 * 3600


def test_shifts_ending_is_half_open_and_ordered():
    end = kst(2026, 7, 15, 9)
    assert CAL.shifts_ending(end, kst(2026, 7, 15, 12)) == []
    assert [s.until for s in CAL.shifts_ending(kst(2026, 7, 15, 8), end)] == [end]


def test_settings_move_the_boundaries_and_add_days_off():
    cal = Calendar(KST, time(8, 30), time(19, 0), frozenset({date(2026, 7, 14)}))
    s = cal.shift_of(date(2026, 7, 14))
    assert (s.since, s.until, s.kind, s.holiday) == (kst(2026, 7, 14, 8, 30), kst(2026, 7, 15, 8, 30), "holiday",
                                                      "휴무일")
    assert cal.shift_of(date(2026, 7, 15)).since == kst(2026, 7, 15, 19)


def test_matching_shift_and_month():
    s = CAL.shift_of(date(2026, 7, 14))
    assert CAL.matching_shift(s.since, s.until) == s
    assert CAL.matching_shift(s.since, kst(2026, 7, 15, 10)) is None
    assert CAL.is_month(kst(2026, 7, 1), kst(2026, 8, 1)) and CAL.is_month(kst(2026, 12, 1), kst(2027, 1, 1))
    assert not CAL.is_month(kst(2026, 7, 1), kst(2026, 7, 31))


def test_korean_dates():
    at = datetime(2026, 7, 14, 13, 5, tzinfo=UTC)
    assert korean_datetime(at, KST) == "2026년 7월 14일 22:05"
    assert korean_datetime(at, KST, year=False, weekday=True) == "7월 14일(화) 22:05"
    assert korean_range(kst(2026, 12, 31, 18), kst(2027, 1, 1, 9), KST) == \
        "2026년 12월 31일(목) 18:00 ~ 2027년 1월 1일(금) 09:00"
    assert korean_datetime(None, KST) == ""
