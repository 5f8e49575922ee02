"""The analytics catalogue: name -> (title, default range, query, shaping)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from . import queries

if TYPE_CHECKING:  # pandas (with numpy, ~60 MiB resident) is imported where a table is made, not at start
    import pandas as pd


@dataclass(frozen=True)
class Analytic:
    name: str
    title: str
    description: str
    default_days: int
    max_days: int
    run: Callable[..., Awaitable[tuple[pd.DataFrame, dict[str, Any]]]]


async def _patterns(db: Any, since: datetime, until: datetime, tz: ZoneInfo, **_: Any):
    from . import compute

    return compute.patterns(await queries.patterns(db, since, until, tz))


async def _response(db: Any, since: datetime, until: datetime, tz: ZoneInfo, **_: Any):
    from . import compute

    return compute.response_times(await queries.response_times(db, since, until))


async def _weather(db: Any, since: datetime, until: datetime, tz: ZoneInfo, **_: Any):
    from . import compute

    return compute.weather(await queries.weather(db, since, until))


async def _trends(db: Any, since: datetime, until: datetime, tz: ZoneInfo, **_: Any):
    from . import compute

    return compute.trends(await queries.monthly(db, since, until, tz))


async def _places(db: Any, since: datetime, until: datetime, tz: ZoneInfo, *, radius_m: float = 50.0,
                  min_count: int = 3, **_: Any):
    from . import compute

    rows = await queries.places(db, since, until)
    return await asyncio.to_thread(compute.repeat_places, rows, radius_m=radius_m, min_count=min_count)


CATALOG: dict[str, Analytic] = {a.name: a for a in (
    Analytic("patterns", "유형 × 요일 × 시각 × 읍·면·동별 접수",
             "Complaints by type, weekday (1 = Monday), hour (local) and district", 30, 366, _patterns),
    Analytic("repeat-places", "반복 민원 장소",
             "Places with min_count (3) or more complaints within radius_m (50 m) in the range (at most 31 days)",
             30, 31, _places),
    Analytic("response-times", "유형별·부서별 응답 시간 (분위수)",
             "Minutes to dispatch, acknowledgement and resolution: 50/90/95th percentiles by type and department",
             30, 366, _response),
    Analytic("weather", "기상과 민원 유형",
             "Each type's share of complaints under rain, heavy rain, frost, severe cold, a warning, and otherwise",
             90, 366, _weather),
    Analytic("trends", "월별 추이 (전월 대비)", "Complaints per month and type, with the change from the month before",
             365, 366, _trends),
)}


def default_range(analytic: Analytic, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    if analytic.name == "trends":  # whole months: from the first day of the month eleven months back
        local = now.astimezone(tz)
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        for _ in range(11):
            start = (start - timedelta(days=1)).replace(day=1)
        return start, now
    return now - timedelta(days=analytic.default_days), now
