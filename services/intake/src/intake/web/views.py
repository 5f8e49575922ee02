"""How the desk shows a complaint: Korean labels, the board's JSON rows."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sunmoon.events.classifier import COMPLAINT_TYPES, URGENCY_LABELS

from .. import domain
from .rules import KST, OverdueLimits, elapsed_label, is_overdue

STATUS_LABELS = {"received": "접수", "classified": "분류됨", "dispatched": "출동 요청",
                 "acknowledged": "현장 확인", "resolved": "처리 완료"}
# between dispatch and done the board says how far the field got (field_progress.py)
FIELD_LABELS = {"delivered": "문자 전달됨", "on_site": "현장 도착", "done": "현장 조치 완료"}
CHANNEL_LABELS = {"phone": "전화", "visit": "방문", "web": "인터넷", "open311": "Open311(앱·연계)"}


def kst(value: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    return value.astimezone(KST).strftime(fmt) if value else ""


def stage_label(row: Any) -> str:
    """received · classified · dispatched · delivered · acknowledged · on site · done (worker) · resolved."""
    status, response = row["status"], row.get("field_response")
    if status != "resolved" and response in ("on_site", "done"):
        return FIELD_LABELS[response]
    if status == "dispatched" and row.get("sms_delivered_at") is not None:
        return FIELD_LABELS["delivered"]
    return STATUS_LABELS.get(status, status)


def board_item(row: Any, now: datetime, limits: OverdueLimits, labels: Any = None) -> dict[str, Any]:
    """One row of the board (and the map); ``labels``: a ``types_cache.TypeCatalog`` (the classifier's
    current labels, inactive types included), else the shared static labels."""
    type_label = labels.label(row["type"]) if labels is not None else COMPLAINT_TYPES.get(row["type"] or "", "")
    return {
        "id": str(row["id"]),
        "received_at": row["received_at"].isoformat(),
        "received_local": kst(row["received_at"], "%H:%M"),
        "updated_at": row["updated_at"].isoformat(),
        "status": row["status"], "status_label": stage_label(row),
        "channel": row["channel"], "channel_label": CHANNEL_LABELS.get(row["channel"], row["channel"]),
        "type": row["type"], "type_label": type_label if row["type"] else "",
        "urgency": row["urgency"], "urgency_label": URGENCY_LABELS.get(row["urgency"], "") if row["urgency"] else "",
        "place": row["district"] or row["address"] or "",
        "lat": row["lat"], "lon": row["lon"],
        "summary": domain.summary_of(row["description"], 60),
        "needs_review": row["needs_review"], "corrected": row["corrected_at"] is not None,
        "duplicate_of": str(row.get("duplicate_of")) if row.get("duplicate_of") else None,  # linked: shares a dispatch
        "held": row.get("held_at") is not None,
        "overdue": is_overdue(row["status"], row["urgency"], row["received_at"], now, limits),
        "elapsed": elapsed_label(row["received_at"], now),
    }


_REASONS = [
    (re.compile(r"^model (.+)$"), lambda m: f"자동 분류 (모델 {m[1]})"),
    (re.compile(r"^SMS to (\S+) (.+)$"), lambda m: f"현장 근무자에게 문자 발송 ({m[1]} {m[2]})"),
    (re.compile(r"^acknowledged by (.+)$"), lambda m: f"현장 근무자 확인 ({m[1]})"),
    (re.compile(r"^SMS delivered to (\S+) via (.+)$"), lambda m: f"문자 전달 확인 ({m[1]}, {m[2]})"),
    (re.compile(r"^type set by officer: (\w+)(.*)$"),
     lambda m: f"담당자가 유형 지정: {COMPLAINT_TYPES.get(m[1], m[1])}{m[2]}"),
    (re.compile(r"^resolved by officer$"), lambda m: "담당자가 처리 완료"),
]


def reason_ko(reason: str | None) -> str:
    """The status history's reasons (written in English by intake's handlers) for the Korean screen."""
    if not reason:
        return ""
    for pattern, render in _REASONS:
        m = pattern.match(reason)
        if m:
            return render(m)
    return reason
