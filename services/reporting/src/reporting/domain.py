"""Reporting's pure rules: the status order, report ranges and summary counting. No I/O here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sunmoon.events.classifier import COMPLAINT_TYPES, URGENCY_LABELS
from sunmoon.events.intake import STATUS_ORDER

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
