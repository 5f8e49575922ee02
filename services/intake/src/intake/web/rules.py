"""The desk's pure rules: the night's window, when a complaint is overdue. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")
NIGHT_STARTS = time(18, 0)  # the after-hours desk opens at 18:00 KST
OPEN_STATUSES = ("received", "classified", "dispatched")  # nobody on site has confirmed yet


@dataclass(frozen=True)
class OverdueLimits:
    """Minutes from receipt to a worker's acknowledgement, by urgency; ``unclassified`` before classification."""

    urgent: int = 15
    normal: int = 60
    low: int = 180
    unclassified: int = 10

    @classmethod
    def from_settings(cls, s: object) -> OverdueLimits:
        return cls(urgent=s.overdue_minutes_urgent, normal=s.overdue_minutes_normal,  # type: ignore[attr-defined]
                   low=s.overdue_minutes_low, unclassified=s.overdue_minutes_unclassified)  # type: ignore[attr-defined]

    def minutes_for(self, urgency: str | None) -> int:
        return getattr(self, urgency, None) if urgency in ("urgent", "normal", "low") else self.unclassified

    def as_dict(self) -> dict[str, int]:
        return {"urgent": self.urgent, "normal": self.normal, "low": self.low, "unclassified": self.unclassified}


def night_start(now: datetime) -> datetime:
    """Start of "tonight": the latest 18:00 KST at or before ``now`` (in the daytime: last evening's)."""
    local = now.astimezone(KST)
    start = datetime.combine(local.date(), NIGHT_STARTS, tzinfo=KST)
    if local < start:
        start -= timedelta(days=1)
    return start


def is_overdue(status: str, urgency: str | None, received_at: datetime, now: datetime, limits: OverdueLimits) -> bool:
    """Still waiting for a worker (received, classified or dispatched) longer than its urgency allows."""
    if status not in OPEN_STATUSES:
        return False
    return now - received_at > timedelta(minutes=limits.minutes_for(urgency))


def elapsed_label(received_at: datetime, now: datetime) -> str:
    """'3분', '1시간 5분', '방금'."""
    minutes = int((now - received_at).total_seconds() // 60)
    if minutes < 1:
        return "방금"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}시간 {minutes}분" if hours else f"{minutes}분"
