"""Reporting's pure rules: the status order, report ranges and summary counting. No I/O here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sunmoon.events.classifier import COMPLAINT_TYPES, URGENCY_LABELS
from sunmoon.events.intake import STATUS_ORDER
from sunmoon.events.reporting import ComplaintState

UNCLASSIFIED = "unclassified"
DEFAULT_RANGE = timedelta(hours=24)
MAX_RANGE = timedelta(days=366)

# The column that keeps when a complaint first reached each status ('received' comes
# from the received event itself, not from a status change).
STATUS_STAMPS: dict[str, str] = {
    "classified": "classified_at",
    "dispatched": "dispatched_at",
    "acknowledged": "acknowledged_at",
    "resolved": "resolved_at",
}


def later_status(current: str, new: str) -> str:
    """The status after ``new`` arrives: a late or repeated event never moves it back."""
    return new if STATUS_ORDER.index(new) > STATUS_ORDER.index(current) else current


class BadRange(ValueError):
    """A report range that makes no sense."""


@dataclass(frozen=True)
class Range:
    since: datetime
    until: datetime


def report_range(since: datetime | None, until: datetime | None, now: datetime) -> Range:
    """[since, until) with defaults: until = now, since = until - 24 h. Raises :class:`BadRange`."""
    until = until or now
    since = since or until - DEFAULT_RANGE
    if since >= until:
        raise BadRange("since must be before until")
    if until - since > MAX_RANGE:
        raise BadRange(f"the range may span at most {MAX_RANGE.days} days")
    return Range(since, until)


def summarize(groups: Iterable[tuple[str, str | None, str | None, int]]) -> dict[str, Any]:
    """Count (status, type, urgency, n) groups into totals by status, type and urgency.

    Every known key is present (0 when absent) so a report always has the same shape;
    a complaint not yet classified counts as ``unclassified`` by type and by urgency.
    """
    by_status = dict.fromkeys(STATUS_ORDER, 0)
    by_type = dict.fromkeys([*COMPLAINT_TYPES, UNCLASSIFIED], 0)
    by_urgency = dict.fromkeys([*URGENCY_LABELS, UNCLASSIFIED], 0)
    total = 0
    for status, type_, urgency, n in groups:
        total += n
        by_status[status] = by_status.get(status, 0) + n
        by_type[type_ or UNCLASSIFIED] = by_type.get(type_ or UNCLASSIFIED, 0) + n
        by_urgency[urgency or UNCLASSIFIED] = by_urgency.get(urgency or UNCLASSIFIED, 0) + n
    return {"total": total, "by_status": by_status, "by_type": by_type, "by_urgency": by_urgency}


# -- what the read model keeps of a received complaint ---------------------------------------------
SUMMARY_LENGTH = 40
_MASKED_OR_PHONE = re.compile(
    r"(?<![\d*])(?:\+?82[- ]?)?0\d{1,2}[- .)]?[\d*]{3,4}[- .]?[\d*]{4}(?![\d*])"  # 010-1234-5678, 010-****-5678
    r"|(?<!\d)\+?\d[\d \-.]{5,}\d(?!\d)"  # a long number (an account, an ID): 7 digits or more, see below
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def _number(m: re.Match[str]) -> str:
    text = m.group(0)
    return "(번호)" if "*" in text or sum(c.isdigit() for c in text) >= 7 else text


def summarize_description(text: str, length: int = SUMMARY_LENGTH) -> str:
    """A short summary for the duty report: one line, numbers and e-mail addresses removed.

    Intake already masks phone numbers (010-****-5678); the summary drops even the masked
    form, and any long number or e-mail address, so nothing that identifies a person is kept.
    """
    one_line = " ".join(text.split())
    cleaned = _EMAIL.sub("(메일)", _MASKED_OR_PHONE.sub(_number, one_line))
    return cleaned if len(cleaned) <= length else cleaned[: length - 1].rstrip() + "…"


def round_place(value: float | None) -> float | None:
    """The place of the problem to 4 decimals (about 11 m): enough to find repeat places."""
    return None if value is None else round(value, 4)


# -- the analytics feed (reporting.analytics.complaint_state.v1) ---------------------------------------
STATE_FIELDS = (
    "status", "channel", "type", "urgency", "department", "district", "nx", "ny", "received_at", "classified_at",
    "dispatched_at", "acknowledged_at", "resolved_at", "sms_count", "warnings", "precipitation_mm",
    "temperature_c", "weather_raised",
)


def state_of(row: Any) -> dict[str, Any]:
    """The analytics view of a read-model row: exactly the fields ComplaintState carries."""
    state = {k: row[k] for k in STATE_FIELDS}
    state["warnings"] = list(state["warnings"] or [])
    return state


def complaint_state(complaint_id: Any, row: Any, change: str, changed_at: datetime) -> ComplaintState:
    """Build the feed event from the row; the model forbids any field it does not know (no PII can slip in)."""
    return ComplaintState(complaint_id=complaint_id, change=change, changed_at=changed_at, **state_of(row))
