"""The KMA client: short-term forecast service (now-cast, ultra-short and short-term forecasts) and the
weather-warning service, as served by data.go.kr. httpx, time-outs, retries with back-off, paging.

Answers are read by :mod:`weather.kmaformat`; every failure is one of its typed exceptions:
:class:`KmaTransientError` (retried here with back-off, then raised), :class:`KmaNoData` (the
``latest_*`` methods fall back one base time), :class:`KmaRequestError`, :class:`KmaQuotaExceeded`
and :class:`KmaConfigurationError` (never retried: the caller stops, see :mod:`weather.poller`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx

from sunmoon.logging import get_logger

from . import domain
from .kmaformat import (
    Amount,
    KmaConfigurationError,
    KmaError,
    KmaNoData,
    KmaQuotaExceeded,
    KmaRequestError,
    KmaTransientError,
    Page,
    number_of,
    parse_page,
    parse_value,
)

__all__ = [
    "Amount", "ForecastItem", "KmaClient", "KmaConfigurationError", "KmaError", "KmaNoData",
    "KmaQuotaExceeded", "KmaRequestError", "KmaTransientError", "Nowcast", "Telegram",
    "normalize_service_key",
]

log = get_logger(__name__)

FORECAST_SERVICE = "VilageFcstInfoService_2.0"
WARNING_SERVICE = "WthrWrnInfoService"
WARNING_HISTORY_DAYS = 6  # the warning service keeps only the last six days of telegrams
MAX_PAGES = 50


def normalize_service_key(key: str) -> str:
    """data.go.kr shows every key twice: "Encoding" (``%2B``, ``%2F``, ``%3D``) and "Decoding"
    (``+``, ``/``, ``=``). httpx percent-encodes query values itself, so the encoded form would be
    encoded twice (``%252B``) and refused with code 30; turn it back into the decoded form."""
    key = key.strip()
    return unquote(key) if "%" in key else key


def _kma_time(value: Any) -> datetime | None:
    """``202609110600`` (a string or a number) -> KST datetime."""
    text = re.sub(r"\D", "", str(value or ""))
    if len(text) < 12:
        return None
    try:
        return datetime.strptime(text[:12], "%Y%m%d%H%M").replace(tzinfo=domain.KST)
    except ValueError:
        return None


_KOREAN_TIME = re.compile(r"(\d{4})\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일\s*(\d{1,2})\s*시\s*(?:(\d{1,2})\s*분)?")


def _korean_time(text: str | None) -> datetime | None:
    """``2026년 07월 15일 04시 00분`` (a telegram's effective time, t3) -> KST datetime."""
    m = _KOREAN_TIME.search(text or "")
    if not m:
        return None
    y, mo, d, h, mi = (int(g) if g else 0 for g in m.groups())
    try:
        return datetime(y, mo, d, h, mi, tzinfo=domain.KST)
    except ValueError:
        return None


@dataclass(frozen=True)
class Nowcast:
    """One now-cast (초단기실황) of one grid cell: KMA's observation for the hour ``base_at``."""

    nx: int
    ny: int
    base_at: datetime
    values: dict[str, float | Amount | None]  # category -> parsed value (T1H, RN1, REH, PTY, VEC, WSD ...)
    raw: dict[str, str] = field(default_factory=dict)  # category -> what KMA wrote

    def number(self, category: str) -> float | None:
        return number_of(self.values.get(category))


@dataclass(frozen=True)
class ForecastItem:
    category: str
    base_at: datetime
    forecast_at: datetime
    nx: int
    ny: int
    value: float | Amount | None
    raw: str


@dataclass(frozen=True)
class Telegram:
    """A warning telegram (or the nationwide status): ``in_force`` is its t6 text."""

    station: int | None
    announced_at: datetime
    seq: int
    title: str
    in_force: str
    effective_at: datetime | None = None
    preliminary: str = ""  # t7: 예비특보

    @property
    def key(self) -> tuple[datetime, int]:
        return self.announced_at, self.seq


def _telegram(item: dict[str, Any], station: int | None) -> Telegram | None:
    announced = _kma_time(item.get("tmFc"))
    if announced is None:
        return None
    stn = item.get("stnId")
    return Telegram(
        station=int(stn) if str(stn or "").strip().isdigit() else station,
        announced_at=announced,
        seq=int(str(item.get("tmSeq") or 0).strip() or 0),
        title=str(item.get("title") or item.get("t1") or ""),
        in_force=str(item.get("t6") or ""),
        effective_at=_kma_time(item.get("tmEf")) or _korean_time(item.get("t3")),
        preliminary=str(item.get("t7") or ""),
    )


class KmaClient:
    """One client per process; ``transport`` lets the service talk to the in-process fake."""

    def __init__(
        self,
        base_url: str,
        service_key: str,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 2.0,
        page_size: int = 1000,
        data_type: str = "JSON",
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = normalize_service_key(service_key)
        self.retries, self.backoff, self.page_size = retries, backoff, page_size
        self.data_type = data_type.upper()
        self._sleep = sleep
        # httpx logs every request URL at INFO, and the URL carries the service key: keep it out of the logs.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout), transport=transport,
                                       headers={"Accept": "application/json, text/xml;q=0.9"})
        self.requests = 0  # HTTP requests sent, retries included

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> KmaClient:
        return self

    async def __aexit__(self, *_exc: Any) -> None:
        await self.aclose()

    # -- transport ------------------------------------------------------------------------------
    async def _page(self, service: str, operation: str, params: dict[str, Any]) -> Page:
        """One page; time-outs, connection errors, 5xx and "try later" codes are retried with
        exponential back-off (backoff, 2*backoff, 4*backoff ...), then raised."""
        url = f"{self.base_url}/{service}/{operation}"
        query = {"serviceKey": self._key, "dataType": self.data_type, **params}
        for attempt in range(self.retries + 1):
            self.requests += 1
            try:
                response = await self._http.get(url, params=query)
                return parse_page(response.content, status=response.status_code, operation=operation)
            except httpx.TimeoutException:
                error: KmaTransientError = KmaTransientError(
                    f"no answer within {self._http.timeout.read}s", code="timeout", operation=operation)
            except httpx.TransportError as exc:  # connection refused, reset, DNS ...
                error = KmaTransientError(f"connection failed ({type(exc).__name__})", operation=operation)
            except KmaTransientError as exc:
                error = exc
            if attempt >= self.retries:
                raise error
            delay = self.backoff * (2 ** attempt)
            log.warning("KMA request failed, retrying", operation=operation, error=str(error),
                        attempt=attempt + 1, retry_in_s=delay)
            await self._sleep(delay)
        raise AssertionError("unreachable")

    async def _all_items(self, service: str, operation: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every item: pageNo 1, 2 ... until totalCount items are in (or a page comes back empty)."""
        items: list[dict[str, Any]] = []
        for page_no in range(1, MAX_PAGES + 1):
            page = await self._page(service, operation, {**params, "pageNo": page_no, "numOfRows": self.page_size})
            items.extend(page.items)
            if not page.items or len(items) >= page.total_count:
                return items
        log.warning("KMA paging stopped at the page limit", operation=operation, pages=MAX_PAGES)
        return items

    @staticmethod
    def _base_params(base: datetime, nx: int, ny: int) -> dict[str, Any]:
        base = domain.kst(base)
        return {"base_date": f"{base:%Y%m%d}", "base_time": f"{base:%H%M}", "nx": nx, "ny": ny}

    # -- short-term forecast service ----------------------------------------------------------
    async def nowcast(self, nx: int, ny: int, base: datetime) -> Nowcast:
        """getUltraSrtNcst for one base time (HH00 KST)."""
        items = await self._all_items(FORECAST_SERVICE, "getUltraSrtNcst", self._base_params(base, nx, ny))
        if not items:
            raise KmaNoData("answer without items", code="03", operation="getUltraSrtNcst")
        raw = {str(i.get("category")): str(i.get("obsrValue", "")) for i in items}
        return Nowcast(nx, ny, domain.kst(base).replace(minute=0, second=0, microsecond=0),
                       {c: parse_value(v) for c, v in raw.items()}, raw)

    async def latest_nowcast(self, nx: int, ny: int, now: datetime) -> Nowcast:
        """The newest now-cast released at ``now``; on 03 NO_DATA, the one of the hour before."""
        return await self._with_fallback("getUltraSrtNcst", domain.nowcast_base(now),
                                         lambda base: self.nowcast(nx, ny, base))

    async def _forecast(self, operation: str, nx: int, ny: int, base: datetime) -> list[ForecastItem]:
        items = await self._all_items(FORECAST_SERVICE, operation, self._base_params(base, nx, ny))
        out = []
        for i in items:
            at = _kma_time(f"{i.get('fcstDate', '')}{i.get('fcstTime', '')}")
            if at is None:
                continue
            out.append(ForecastItem(str(i.get("category")), domain.kst(base), at, int(i.get("nx", nx)),
                                    int(i.get("ny", ny)), parse_value(i.get("fcstValue")), str(i.get("fcstValue", ""))))
        return out

    async def ultra_forecast(self, nx: int, ny: int, base: datetime) -> list[ForecastItem]:
        """getUltraSrtFcst (six hours ahead) for one base time (HH30 KST)."""
        return await self._forecast("getUltraSrtFcst", nx, ny, base)

    async def latest_ultra_forecast(self, nx: int, ny: int, now: datetime) -> list[ForecastItem]:
        return await self._with_fallback("getUltraSrtFcst", domain.ultra_forecast_base(now),
                                         lambda base: self.ultra_forecast(nx, ny, base))

    async def village_forecast(self, nx: int, ny: int, base: datetime) -> list[ForecastItem]:
        """getVilageFcst (about three days ahead, ~800 rows: several pages) for one base time."""
        return await self._forecast("getVilageFcst", nx, ny, base)

    async def latest_village_forecast(self, nx: int, ny: int, now: datetime) -> list[ForecastItem]:
        return await self._with_fallback("getVilageFcst", domain.village_forecast_base(now),
                                         lambda base: self.village_forecast(nx, ny, base))

    @staticmethod
    async def _with_fallback(operation: str, base: datetime, fetch: Callable[[datetime], Awaitable[Any]]) -> Any:
        try:
            return await fetch(base)
        except KmaNoData:
            older = domain.previous_base(operation, base)
            log.info("KMA has no data for the newest base time yet, using the one before",
                     operation=operation, base=base.isoformat(), fallback=older.isoformat())
            return await fetch(older)

    # -- weather-warning service --------------------------------------------------------------
    async def warning_status(self) -> Telegram:
        """getPwnStatus: the nationwide warnings in force now (t6), no history needed."""
        items = await self._all_items(WARNING_SERVICE, "getPwnStatus", {})
        telegrams = [t for t in (_telegram(i, None) for i in items) if t]
        if not telegrams:
            raise KmaNoData("status without a readable item", code="03", operation="getPwnStatus")
        return max(telegrams, key=lambda t: t.key)

    @staticmethod
    def _window(station: int, since: date, until: date) -> dict[str, Any]:
        return {"stnId": station, "fromTmFc": f"{since:%Y%m%d}", "toTmFc": f"{until:%Y%m%d}"}

    async def warning_list(self, station: int, since: date, until: date) -> list[Telegram]:
        """getWthrWrnList: the telegrams a station announced between two dates (titles, no text).
        The service keeps six days; an empty window is 03 NO_DATA, returned here as []."""
        try:
            items = await self._all_items(WARNING_SERVICE, "getWthrWrnList", self._window(station, since, until))
        except KmaNoData:
            return []
        return [t for t in (_telegram(i, station) for i in items) if t]

    async def warning_messages(self, station: int, since: date, until: date) -> list[Telegram]:
        """getWthrWrnMsg: the full telegrams (t1-t7) a station announced between two dates."""
        try:
            items = await self._all_items(WARNING_SERVICE, "getWthrWrnMsg", self._window(station, since, until))
        except KmaNoData:
            return []
        return [t for t in (_telegram(i, station) for i in items) if t]

    async def newest_telegram(self, station: int, now: datetime) -> Telegram | None:
        """The newest telegram of ``station`` within the service's six days (title only), or None."""
        today = domain.kst(now).date()
        listed = await self.warning_list(station, today - timedelta(days=WARNING_HISTORY_DAYS - 1), today)
        return max(listed, key=lambda t: t.key) if listed else None

    async def telegram(self, station: int, header: Telegram) -> Telegram:
        """The full text of a telegram found with :meth:`newest_telegram`."""
        day = header.announced_at.date()
        messages = await self.warning_messages(station, day, day)
        same = [m for m in messages if m.key == header.key]
        if same:
            return same[0]
        if messages:
            return max(messages, key=lambda t: t.key)
        raise KmaNoData(f"telegram {header.seq} of {day} not found", code="03", operation="getWthrWrnMsg")
