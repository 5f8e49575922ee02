"""Open311 rules: status mapping, dates, expected times, the public view of a request. No I/O."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from sunmoon.events.classifier import COMPLAINT_TYPES
from sunmoon.logging import mask_phones_in

KST = timezone(timedelta(hours=9))
MAX_RANGE = timedelta(days=90)
MAX_RESULTS = 1000
JURISDICTION_ID = "gimpo.go.kr"

# expected_datetime = received_at + the resolution target of the urgency, from the labelling guide
# (TAXONOMY.md): urgent "danger now: act at once" -> 4 h, normal "within the day" -> 24 h,
# low "can wait for office hours" -> 72 h (covers a weekend night). Unknown before classification.
RESOLUTION_TARGET = {"urgent": timedelta(hours=4), "normal": timedelta(hours=24), "low": timedelta(hours=72)}

_NOTES = {
    "received": "접수되었습니다. 민원 유형을 분류하고 있습니다.",
    "classified": "{type} 민원으로 분류되어 담당자 배정 중입니다.",
    "dispatched": "현장 담당자에게 전달되었습니다.",
    "acknowledged": "현장 담당자가 확인하고 처리 중입니다.",
    "resolved": "처리가 완료되었습니다.",
}
SERVICE_NOTICE = "야간·휴일 민원은 긴급도에 따라 처리합니다: 긴급 4시간, 보통 24시간, 낮음 72시간 안을 목표로 합니다."
_W3C = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def w3c(value: datetime | None) -> str | None:
    """ISO 8601 / W3C with the Korean offset, seconds precision: 2026-11-30T03:12:45+09:00."""
    if value is None:
        return None
    return value.astimezone(KST).replace(microsecond=0).isoformat()


def parse_w3c(value: str, name: str) -> datetime:
    """A W3C date/time (``2026-11-30``, ``2026-11-30T03:00:00Z``, ``…+09:00``); no offset means KST."""
    text = value.strip()
    if not _W3C.match(text):
        raise ValueError(f"{name}: W3C 날짜 형식이 아닙니다 (not a W3C datetime, e.g. 2026-11-30T03:00:00+09:00)")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name}: 없는 날짜입니다 (invalid date {text!r})") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=KST)


def date_range(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """The search window: at most 90 days; by default the 90 days up to now."""
    if start is None and end is None:
        return now - MAX_RANGE, now + timedelta(minutes=1)
    if start is None:
        start = end - MAX_RANGE  # type: ignore[operator]
    if end is None:
        end = min(start + MAX_RANGE, now + timedelta(minutes=1))
    if end < start:
        raise ValueError("end_date 가 start_date 보다 앞섭니다 (end_date is before start_date)")
    if end - start > MAX_RANGE:
        raise ValueError("기간은 90일을 넘을 수 없습니다 (start_date to end_date may not span more than 90 days)")
    return start, end


def open311_status(status: str) -> str:
    return "closed" if status == "resolved" else "open"


def status_notes(row: Any) -> str:
    note = _NOTES[row["status"]].format(type=COMPLAINT_TYPES.get(row["type"] or "", "기타"))
    if row["status"] == "resolved" and row["resolution_note"]:
        note += " " + mask_phones_in(row["resolution_note"])
    return note


def expected(row: Any) -> datetime | None:
    target = RESOLUTION_TARGET.get(row["urgency"] or "")
    return row["received_at"] + target if target else None


def public_request(row: Any) -> dict[str, Any]:
    """The Open311 view of one request: never a name, phone, e-mail, device or account id."""
    code = row["type"] or row["service_code"]
    return {
        "service_request_id": str(row["id"]),
        "status": open311_status(row["status"]),
        "status_notes": status_notes(row),
        "service_name": COMPLAINT_TYPES.get(code, code),
        "service_code": code,
        "description": row["public_description"],
        "agency_responsible": row["department"],
        "service_notice": SERVICE_NOTICE,
        "requested_datetime": w3c(row["received_at"]),
        "updated_datetime": w3c(row["updated_at"]),
        "expected_datetime": w3c(expected(row)),
        "address": row["address"],
        "address_id": None,
        "zipcode": None,
        "lat": row["lat"],
        "long": row["lon"],
        "media_url": row["media_url"],
    }
