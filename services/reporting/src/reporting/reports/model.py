"""What a report says, computed from the read model's rows (pandas). Pure: no I/O.

Both renderers (Excel and PDF) take a :class:`ReportData` and only lay it out, so the two
formats always tell the same numbers.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from .. import domain, labels
from ..shifts import Shift, hours_between, korean_month, korean_range
from .queries import COMPLAINT_COLUMNS, NOTIFICATION_COLUMNS

TITLES = {"shift": "당직일지", "month": "월간 민원 보고서", "range": "민원 처리 보고서"}
INTERVALS = (  # (label, from column, to column)
    ("접수 → 통보", "received_at", "dispatched_at"),
    ("통보 → 확인", "dispatched_at", "acknowledged_at"),
    ("접수 → 확인", "received_at", "acknowledged_at"),
    ("접수 → 완료", "received_at", "resolved_at"),
)
CHART_TYPES = 6  # the most frequent types get their own colour; the rest are "그 밖의 유형"
CHRONOLOGICAL_HOURS = 48  # up to this range the chart shows each hour; beyond it, the hour of day


@dataclass
class ReportData:
    report_id: uuid.UUID
    city: str
    kind: str
    since: datetime
    until: datetime
    tz: ZoneInfo
    generated_at: datetime
    automatic: bool
    shift: Shift | None
    complaints: pd.DataFrame  # one row per complaint, labels added, oldest first
    notifications: pd.DataFrame  # the SMS log
    surges: list[dict[str, Any]] = field(default_factory=list)
    weather: dict[str, Any] = field(default_factory=dict)
    totals: dict[str, Any] = field(default_factory=dict)
    response: pd.DataFrame | None = None
    warnings: pd.DataFrame | None = None
    teams: pd.DataFrame | None = None
    hourly: pd.DataFrame | None = None
    hourly_caption: str = ""

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    @property
    def period(self) -> str:
        if self.kind == "month":
            return korean_month(self.since, self.tz)
        text = korean_range(self.since, self.until, self.tz)
        return f"{text} ({self.shift.label})" if self.shift else text

    @property
    def total(self) -> int:
        return int(self.totals["total"])

    def departments(self) -> dict[str, pd.DataFrame]:
        """Each department's complaints for the hand-over: open ones first, then by time."""
        c = self.complaints
        out: dict[str, pd.DataFrame] = {}
        for name, group in c.groupby("department_label", sort=True):
            out[str(name)] = group.sort_values(["done", "received_at"], kind="stable")
        return out


def _frame(rows: Sequence[tuple], columns: Sequence[str]) -> pd.DataFrame:
    df = pd.DataFrame.from_records(list(rows), columns=list(columns))
    for col in df.columns:
        if col.endswith("_at"):
            df[col] = pd.to_datetime(df[col], utc=True)
    return df


def build(*, report_id: uuid.UUID, city: str, kind: str, since: datetime, until: datetime, tz: ZoneInfo,
          generated_at: datetime, automatic: bool, shift: Shift | None, complaint_rows: Sequence[tuple],
          notification_rows: Sequence[tuple], surges: list[dict[str, Any]] | None = None,
          weather: dict[str, Any] | None = None) -> ReportData:
    c = _frame(complaint_rows, COMPLAINT_COLUMNS)
    n = _frame(notification_rows, NOTIFICATION_COLUMNS)
    c["type_label"] = c["type"].map(labels.type_label)
    c["urgency_label"] = c["urgency"].map(labels.urgency_label)
    c["status_label"] = c["status"].map(labels.STATUS_LABELS)
    c["outcome"] = c["status"].map(labels.OUTCOME_LABELS)
    c["channel_label"] = c["channel"].map(lambda v: labels.CHANNEL_LABELS.get(v, v or ""))
    c["department_label"] = c["department"].fillna(labels.NO_DEPARTMENT)
    c["district"] = c["district"].fillna("")
    c["summary"] = c["summary"].fillna("")
    c["done"] = c["status"].eq("resolved")
    c["warnings_text"] = c["warnings"].map(lambda w: ", ".join(w) if isinstance(w, list | tuple) else "")
    n["role_label"] = n["role"].map(lambda v: labels.ROLE_LABELS.get(v, v or ""))
    n["type_label"] = n["type"].map(lambda v: labels.type_label(v) if isinstance(v, str) else "")
    n["ack_minutes"] = (n["acknowledged_at"] - n["sent_at"]).dt.total_seconds() / 60
    c["notified"] = _notified(c, n)
    data = ReportData(report_id, city, kind, since, until, tz, generated_at, automatic, shift, c, n,
                      surges or [], weather or {})
    data.totals = domain.summarize(
        (s, t if isinstance(t, str) else None, u if isinstance(u, str) else None, 1)
        for s, t, u in zip(c["status"], c["type"], c["urgency"], strict=True))
    data.response = _response(c)
    data.warnings = _warnings(c)
    data.teams = _teams(n)
    data.hourly, data.hourly_caption = _hourly(c, since, until, tz)
    return data


def _notified(c: pd.DataFrame, n: pd.DataFrame) -> pd.Series:
    """'하수과 당직(담당), 하수과 당직(예비)' per complaint, in the order they were texted."""
    if n.empty:
        return pd.Series([""] * len(c), index=c.index, dtype=object)
    sent = n.dropna(subset=["team"])
    text = (sent["team"] + "(" + sent["role_label"] + ")").groupby(sent["complaint_id"]).agg(
        lambda s: ", ".join(dict.fromkeys(s)))
    return c["complaint_id"].map(text).fillna("")


def _response(c: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for label, a, b in INTERVALS:
        minutes = (c[b] - c[a]).dt.total_seconds().div(60).dropna()
        minutes = minutes[minutes >= 0]
        rows.append({"구간": label, "건수": int(minutes.size),
                     "평균(분)": round(float(minutes.mean()), 1) if minutes.size else None,
                     "중앙값(분)": round(float(minutes.median()), 1) if minutes.size else None,
                     "90%(분)": round(float(minutes.quantile(0.9)), 1) if minutes.size else None,
                     "최대(분)": round(float(minutes.max()), 1) if minutes.size else None})
    return pd.DataFrame(rows)


def _warnings(c: pd.DataFrame) -> pd.DataFrame:
    """Warnings in force when complaints came in (the classifier's weather context)."""
    cols = ["특보", "민원(건)", "기상으로 긴급 상향(건)"]
    if c.empty:
        return pd.DataFrame(columns=cols)
    w = c[["warnings", "weather_raised"]].explode("warnings").dropna(subset=["warnings"])
    if w.empty:
        return pd.DataFrame(columns=cols)
    g = w.groupby("warnings").agg(n=("warnings", "size"), raised=("weather_raised", "sum")).reset_index()
    g = g.sort_values(["n", "warnings"], ascending=[False, True])
    return pd.DataFrame({cols[0]: g["warnings"], cols[1]: g["n"].astype(int), cols[2]: g["raised"].astype(int)})


def _teams(n: pd.DataFrame) -> pd.DataFrame:
    cols = ["팀", "통보(건)", "확인(건)", "확인까지 중앙값(분)", "예비·감독 통보(건)"]
    sent = n.dropna(subset=["team"])
    if sent.empty:
        return pd.DataFrame(columns=cols)
    g = sent.groupby("team").agg(sent=("notification_id", "size"), acked=("acknowledged_at", "count"),
                                 median=("ack_minutes", "median"),
                                 escalated=("role", lambda r: int((r != "primary").sum()))).reset_index()
    g = g.sort_values(["sent", "team"], ascending=[False, True])
    return pd.DataFrame({cols[0]: g["team"], cols[1]: g["sent"].astype(int), cols[2]: g["acked"].astype(int),
                         cols[3]: g["median"].round(1), cols[4]: g["escalated"].astype(int)})


def _hourly(c: pd.DataFrame, since: datetime, until: datetime, tz: ZoneInfo) -> tuple[pd.DataFrame, str]:
    """Complaints per hour by type: each hour of a shift, or the hour of day over a longer range."""
    chronological = until - since <= timedelta(hours=CHRONOLOGICAL_HOURS)
    if chronological:
        hours = list(hours_between(since, until, tz))
        index = [f"{h.hour}시\n{h.day}일" if h.hour == 0 or i == 0 else f"{h.hour}시" for i, h in enumerate(hours)]
        keys = [h.replace(tzinfo=None) for h in hours]
        caption = "시간대별·유형별 접수 (1시간 단위)"
    else:
        keys = list(range(24))
        index = [f"{h}시" for h in keys]
        caption = "시각별·유형별 접수 (기간 합계)"
    if c.empty:
        return pd.DataFrame(index=index), caption
    local = c["received_at"].dt.tz_convert(tz)
    bucket = local.dt.floor("h").dt.tz_localize(None) if chronological else local.dt.hour
    top = c["type_label"].value_counts().index[:CHART_TYPES]
    kind = c["type_label"].where(c["type_label"].isin(top), "그 밖의 유형")
    table = pd.crosstab(bucket, kind).reindex(keys, fill_value=0)
    order = [t for t in top if t in table.columns] + [t for t in table.columns if t not in top]
    table = table[order]
    table.index = index
    return table, caption
