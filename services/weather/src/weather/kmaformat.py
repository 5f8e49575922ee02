"""Reading what KMA's APIs on data.go.kr answer: values, pages and the three kinds of error. No I/O.

Three shapes come back (design NOTES §7):

* a normal answer, JSON or XML, ``response.header.resultCode == "00"`` and a ``body`` with
  ``items.item`` (a list, a single object, or ``""`` when empty), ``pageNo``, ``numOfRows``,
  ``totalCount``;
* a provider error: the same ``response.header`` with another code and **no body**, e.g.
  ``03 NO_DATA`` or ``10 최근 3일 간의 자료만 제공합니다.``;
* a gateway error from data.go.kr itself: XML ``<OpenAPI_ServiceResponse><cmmMsgHeader>`` with
  ``returnReasonCode`` (key, quota ...), **even when JSON was asked for**, usually with HTTP 200.

Every error becomes one of the exception classes below, by what the caller should do about it.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

MISSING = 900.0  # a value >= 900 or <= -900 means "missing" in every KMA category


# -- errors, by what to do about them ---------------------------------------------------------
class KmaError(Exception):
    """Anything that kept an answer from KMA. ``code`` is KMA's or data.go.kr's result code."""

    retry = False

    def __init__(self, message: str, *, code: str | None = None, operation: str | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.operation = message, code, operation

    def __str__(self) -> str:
        where = f"{self.operation}: " if self.operation else ""
        code = f"[{self.code}] " if self.code else ""
        return f"{where}{code}{self.message}"


class KmaTransientError(KmaError):
    """Time-out, connection error, HTTP 5xx, a garbled body, or a code that says "try later"
    (01 APPLICATION_ERROR, 02 DB_ERROR, 04 HTTP_ERROR, 05 SERVICETIME_OUT, 99): retry with back-off."""

    retry = True


class KmaNoData(KmaError):
    """03 NO_DATA: nothing for this base time (yet). For the newest base time, ask for the one before."""


class KmaRequestError(KmaError):
    """The provider refused the request itself (10 INVALID_REQUEST_PARAMETER, 11 missing parameter,
    e.g. "최근 3일 간의 자료만 제공합니다."): our bug, not KMA's; retrying the same request will not help."""


class KmaQuotaExceeded(KmaError):
    """22 LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS: the key's daily quota for this API is spent.
    Stop asking until the next midnight KST."""


class KmaConfigurationError(KmaError):
    """The key or the address is wrong (12, 20, 21, 30-33, HTTP 401/403/404). Retrying will not help:
    an operator has to act; ``hint`` says what to do."""

    def __init__(self, message: str, *, code: str | None = None, operation: str | None = None,
                 hint: str = "") -> None:
        super().__init__(message, code=code, operation=operation)
        self.hint = hint


PORTAL_PAGES = ("data.go.kr/data/15084084 (기상청_단기예보 조회서비스) and "
                "data.go.kr/data/15000415 (기상청_기상특보 조회서비스)")
CONFIGURATION_HINTS: dict[str, str] = {
    "12": "no such service or operation at this address: check WEATHER_KMA_BASE_URL "
          "(https://apis.data.go.kr/1360000)",
    "20": f"the key has no access to this API: apply for it (활용신청) on {PORTAL_PAGES}",
    "21": "data.go.kr has temporarily disabled this key: check 마이페이지 and the portal's notices",
    "30": "the key is not registered: copy WEATHER_KMA_SERVICE_KEY again from data.go.kr 마이페이지 "
          "(the Encoding or the Decoding form, both are accepted); a new key can take an hour or more "
          f"to become active, and each API needs its own 활용신청: {PORTAL_PAGES}",
    "31": "the key's period of use (활용기간) has expired: extend it (연장신청) on data.go.kr",
    "32": "this server's IP address is not registered for the key on data.go.kr",
    "33": "the call reached data.go.kr unsigned: WEATHER_KMA_SERVICE_KEY is empty or was mangled",
    "401": "data.go.kr refused the key (HTTP 401): check WEATHER_KMA_SERVICE_KEY",
    "403": "data.go.kr refused the key (HTTP 403): check WEATHER_KMA_SERVICE_KEY and the API's 활용신청",
    "404": "no such address: check WEATHER_KMA_BASE_URL (https://apis.data.go.kr/1360000)",
}
_TRANSIENT = {"01", "02", "04", "05", "99"}
_CONFIGURATION = {"12", "20", "21", "30", "31", "32", "33"}


def error_for(code: str, message: str, *, operation: str | None = None) -> KmaError:
    """The exception for a non-zero result code, whether the provider or the gateway sent it."""
    code = (code or "").strip().zfill(2)
    message = (message or "").strip() or "no message"
    if code == "03":
        return KmaNoData(message, code=code, operation=operation)
    if code == "22":
        return KmaQuotaExceeded(message, code=code, operation=operation)
    if code in _CONFIGURATION:
        return KmaConfigurationError(message, code=code, operation=operation, hint=CONFIGURATION_HINTS[code])
    if code in _TRANSIENT:
        return KmaTransientError(message, code=code, operation=operation)
    return KmaRequestError(message, code=code, operation=operation)


# -- values -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Amount:
    """A precipitation or snow amount KMA gives as text: ``강수없음``, ``1.0mm 미만``,
    ``30.0~50.0mm``, ``50.0mm 이상``, ``2.5mm``. ``low``/``high`` bound it (``high`` None: open
    above; ``high_exclusive``: "less than"); ``text`` is what KMA wrote."""

    text: str
    low: float | None
    high: float | None
    unit: str = "mm"
    high_exclusive: bool = False

    @property
    def exact(self) -> bool:
        return self.low is not None and self.low == self.high and not self.high_exclusive

    @property
    def estimate(self) -> float | None:
        """One number to store: the value itself, a range's middle, half of "less than X",
        the lower bound of "X or more"."""
        if self.low is None:
            return None
        if self.high is None:
            return self.low
        return (self.low + self.high) / 2


_NUMBER = r"(\d+(?:\.\d+)?)"
_UNIT = r"\s*(mm|cm)"
_NONE_WORDS = {"강수없음": "mm", "적설없음": "cm"}
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^{_NUMBER}{_UNIT}\s*미만$"), "under"),
    (re.compile(rf"^{_NUMBER}\s*~\s*{_NUMBER}{_UNIT}$"), "range"),
    (re.compile(rf"^{_NUMBER}{_UNIT}\s*이상$"), "over"),
    (re.compile(rf"^{_NUMBER}{_UNIT}$"), "exact"),
]


def parse_amount(text: str) -> Amount:
    text = text.strip()
    if text in _NONE_WORDS:
        return Amount(text, 0.0, 0.0, _NONE_WORDS[text])
    for pattern, kind in _PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        if kind == "under":
            return Amount(text, 0.0, float(m[1]), m[2], high_exclusive=True)
        if kind == "range":
            return Amount(text, float(m[1]), float(m[2]), m[3])
        if kind == "over":
            return Amount(text, float(m[1]), None, m[2])
        return Amount(text, float(m[1]), float(m[1]), m[2])
    return Amount(text, None, None, "")  # a wording we do not know: keep the text, no number


def parse_value(raw: Any) -> float | Amount | None:
    """A KMA value (always a string in JSON and XML) -> a number, an :class:`Amount`, or None.

    Missing values (>= 900 or <= -900, e.g. ``-998.9``) and empty strings are None.
    """
    if raw is None:
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        number = float(raw)
    else:
        text = str(raw).strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return parse_amount(text)
    if number != number or number >= MISSING or number <= -MISSING:  # NaN or missing marker
        return None
    return number


def number_of(value: float | Amount | None) -> float | None:
    """The number to store for a parsed value (an Amount's estimate)."""
    if isinstance(value, Amount):
        return value.estimate
    return value


# -- pages --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    page_no: int
    num_of_rows: int
    total_count: int
    data_type: str  # "JSON" or "XML"


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _looks_xml(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _gateway_error(text: str, operation: str | None) -> KmaError | None:
    """data.go.kr's ``OpenAPI_ServiceResponse`` (or a fragment of it) -> the error, else None."""
    code = re.search(r"<returnReasonCode>\s*([^<]*?)\s*</returnReasonCode>", text)
    if code is None:
        return None
    auth = re.search(r"<returnAuthMsg>\s*([^<]*?)\s*</returnAuthMsg>", text)
    err = re.search(r"<errMsg>\s*([^<]*?)\s*</errMsg>", text)
    message = " / ".join(m[1] for m in (err, auth) if m and m[1]) or "gateway error"
    return error_for(code[1], message, operation=operation)


def _parse_xml(body: bytes, operation: str | None) -> Page:
    text = body.decode("utf-8", errors="replace")
    gateway = _gateway_error(text, operation)
    if gateway is not None:
        raise gateway
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise KmaTransientError(f"unreadable XML answer: {exc}", operation=operation) from None
    if root.tag != "response":
        raise KmaTransientError(f"unexpected XML answer <{root.tag}>", operation=operation)
    code = (root.findtext("header/resultCode") or "").strip()
    if code != "00":
        raise error_for(code, root.findtext("header/resultMsg") or "", operation=operation)
    body_el = root.find("body")
    if body_el is None:
        raise KmaTransientError("answer 00 without a body", code=code, operation=operation)
    items = [{child.tag: (child.text or "") for child in item} for item in body_el.iterfind("items/item")]
    return Page(items, _int(body_el.findtext("pageNo"), 1), _int(body_el.findtext("numOfRows"), len(items)),
                _int(body_el.findtext("totalCount"), len(items)), "XML")


def _parse_json(body: bytes, operation: str | None) -> Page:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KmaTransientError(f"unreadable JSON answer: {exc}", operation=operation) from None
    response = doc.get("response") if isinstance(doc, dict) else None
    header = response.get("header") if isinstance(response, dict) else None
    if not isinstance(header, dict):
        raise KmaTransientError("JSON answer without response.header", operation=operation)
    code = str(header.get("resultCode", "")).strip()
    if code != "00":
        raise error_for(code, str(header.get("resultMsg", "")), operation=operation)
    body_doc = response.get("body")
    if not isinstance(body_doc, dict):
        raise KmaTransientError("answer 00 without a body", code=code, operation=operation)
    items_doc = body_doc.get("items")
    raw = items_doc.get("item", []) if isinstance(items_doc, dict) else []  # "" when empty
    items = [raw] if isinstance(raw, dict) else [i for i in raw if isinstance(i, dict)]
    return Page(items, _int(body_doc.get("pageNo"), 1), _int(body_doc.get("numOfRows"), len(items)),
                _int(body_doc.get("totalCount"), len(items)), "JSON")


def parse_page(body: bytes, *, status: int = 200, operation: str | None = None) -> Page:
    """One HTTP answer -> a :class:`Page`, or the :class:`KmaError` it means."""
    if status >= 500:
        raise KmaTransientError(f"HTTP {status} from the server", code=str(status), operation=operation)
    if not body.strip():
        if status in (401, 403, 404):
            raise _http_configuration_error(status, operation)
        raise KmaTransientError(f"empty answer (HTTP {status})", operation=operation)
    try:
        if _looks_xml(body):
            return _parse_xml(body, operation)
        if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            return _parse_json(body, operation)
    except KmaTransientError:
        if status in (401, 403, 404):
            raise _http_configuration_error(status, operation) from None
        raise
    if status in (401, 403, 404):
        raise _http_configuration_error(status, operation)
    snippet = body[:80].decode("utf-8", errors="replace")
    if status == 429:
        raise KmaTransientError(f"HTTP 429 (too many requests): {snippet}", code="429", operation=operation)
    raise KmaTransientError(f"unexpected answer (HTTP {status}): {snippet!r}", operation=operation)


def _http_configuration_error(status: int, operation: str | None) -> KmaConfigurationError:
    return KmaConfigurationError(f"HTTP {status}", code=str(status), operation=operation,
                                 hint=CONFIGURATION_HINTS[str(status)])
