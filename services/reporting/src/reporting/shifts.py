"""Duty shifts (당직) and Korean dates. Pure: no I/O.

The duty day (당직일) starts at the morning handover (09:00 Asia/Seoul) and a shift always ends at
the next handover, when the night's report is handed over — the notifier's roster uses the same days:

- after a **working day** the shift runs from the evening (18:00) to the next morning's handover;
- a **Saturday, Sunday or public holiday** (``holidays`` KR calendar, plus local days off) is one
  whole-day shift, handover to handover.

So Friday's shift is Fri 18:00 → Sat 09:00, Saturday's Sat 09:00 → Sun 09:00, Sunday's Sun 09:00 →
Mon 09:00. Both times are settings, which also lets tests end a shift a few seconds from now.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = "월화수목금토일"
ShiftKind = Literal["weekday_night", "weekend", "holiday"]
KIND_LABELS = {"weekday_night": "평일 야간", "weekend": "주말", "holiday": "공휴일"}


@functools.lru_cache(maxsize=32)
def _public_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("KR", years=year, language="ko").items())


@dataclass(frozen=True)
class Shift:
    duty_date: date
    since: datetime
    until: datetime
    kind: ShiftKind
    holiday: str | None = None  # the holiday's Korean name

    @property
    def label(self) -> str:
        extra = f", {self.holiday}" if self.holiday else ""
        return f"{KIND_LABELS[self.kind]}{extra}"


@dataclass(frozen=True)
class Calendar:
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Seoul"))
    handover: time = time(9, 0)
    evening: time = time(18, 0)
    extra_holidays: frozenset[date] = frozenset()

    @classmethod
    def from_settings(cls, s) -> Calendar:  # noqa: ANN001 - ReportingSettings, kept import-free
        return cls(ZoneInfo(s.timezone), s.shift_handover, s.shift_evening, frozenset(s.extra_holidays))

    def holiday(self, d: date) -> str | None:
        if d in self.extra_holidays:
            return "휴무일"
        return _public_holidays(d.year).get(d)

    def shift_of(self, duty_date: date) -> Shift:
        """The after-hours shift that belongs to ``duty_date`` (it ends at the next day's handover)."""
        until = datetime.combine(duty_date + timedelta(days=1), self.handover, self.tz)
        name = self.holiday(duty_date)
        if name:
            return Shift(duty_date, datetime.combine(duty_date, self.handover, self.tz), until, "holiday", name)
        if duty_date.weekday() >= 5:
            return Shift(duty_date, datetime.combine(duty_date, self.handover, self.tz), until, "weekend")
        return Shift(duty_date, datetime.combine(duty_date, self.evening, self.tz), until, "weekday_night")

    def shifts_ending(self, after: datetime, upto: datetime) -> list[Shift]:
        """Shifts whose end lies in (after, upto], oldest first."""
        first = after.astimezone(self.tz).date() - timedelta(days=2)
        last = upto.astimezone(self.tz).date()
        out = []
        d = first
        while d <= last:
            s = self.shift_of(d)
            if after < s.until <= upto:
                out.append(s)
            d += timedelta(days=1)
        return out

    def matching_shift(self, since: datetime, until: datetime) -> Shift | None:
        """The shift with exactly these bounds, if there is one."""
        s = self.shift_of((until.astimezone(self.tz) - timedelta(days=1)).date())
        return s if (s.since, s.until) == (since, until) else None

    def is_month(self, since: datetime, until: datetime) -> bool:
        a, b = since.astimezone(self.tz), until.astimezone(self.tz)
        start = a.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        nxt = (start + timedelta(days=32)).replace(day=1)
        return a == start and b == nxt


# -- Korean dates -----------------------------------------------------------------------------------
def korean_datetime(at: datetime | None, tz: ZoneInfo, *, year: bool = True, weekday: bool = False) -> str:
    """2026년 7월 14일 22:05 (``year=False``: 7월 14일 22:05; ``weekday``: 7월 14일(화) 22:05)."""
    if at is None:
        return ""
    local = at.astimezone(tz)
    day = f"{local.month}월 {local.day}일" + (f"({WEEKDAYS[local.weekday()]})" if weekday else "")
    return (f"{local.year}년 " if year else "") + f"{day} {local:%H:%M}"


def korean_range(since: datetime, until: datetime, tz: ZoneInfo) -> str:
    """2026년 7월 14일(화) 18:00 ~ 7월 15일(수) 09:00 (the year again only when it changes)."""
    a, b = since.astimezone(tz), until.astimezone(tz)
    return (f"{korean_datetime(a, tz, weekday=True)} ~ "
            f"{korean_datetime(b, tz, year=a.year != b.year, weekday=True)}")


def korean_month(at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    return f"{local.year}년 {local.month}월"


def hours_between(since: datetime, until: datetime, tz: ZoneInfo) -> Iterable[datetime]:
    """The local hours [since, until) starts in, truncated to the hour."""
    at = since.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    while at < until:
        yield at
        at += timedelta(hours=1)
