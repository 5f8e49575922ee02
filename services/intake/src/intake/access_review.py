"""The monthly review of access records for the supervisor (접속기록 월간 점검): who accessed personal data how
often, and the accesses worth a question. Rendered by the desk (/desk/access-log/review) and by
``python -m intake access-log review`` (HTML file), from the same data and templates.

Unusual accesses (each finding says why):
- bulk: ``BULK_REVEALS`` or more reveals by one person within 60 minutes (marked 심야 when 00:00–06:00 KST);
- many: one person's reveals in the month above ``max(MANY_MIN, 3 x the median per person)``;
- weak reason: a reveal whose reason is shorter than 4 characters or a bare word like "확인";
- not handled: a reveal of a complaint received while that person was not on duty — no successful sign-in of
  theirs from 14 hours before to 1 hour after its receipt (the desk does not record who filed a complaint, so
  being signed in around its receipt is the evidence of handling it).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

KST = ZoneInfo("Asia/Seoul")
BULK_REVEALS = 10
MANY_MIN = 30
WEAK_REASONS = {"확인", "열람", "조회", "보기", "그냥", "업무", "test", "테스트", "."}
ROLE_LABELS = {"duty_officer": "당직 근무자", "supervisor": "당직 책임자", "admin": "관리자", "service": "연계 시스템",
               "analytics": "분석", "api": "API(신원 없음)", "system": "시스템"}
ACTION_LABELS = {"view": "조회(API)", "reveal": "열람", "export": "내보내기", "report": "보고서", "purge": "삭제"}
TEMPLATES = Path(__file__).resolve().parent / "web" / "templates"
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class BadMonth(ValueError):
    pass


def month_range(month: str) -> tuple[datetime, datetime]:
    """'2026-11' -> [start, end) in KST."""
    m = _MONTH.match(month or "")
    if not m:
        raise BadMonth(f"월은 YYYY-MM 형식으로 적어 주세요 (예: 2026-11); got {month!r}")
    y, mo = int(m[1]), int(m[2])
    start = datetime(y, mo, 1, tzinfo=KST)
    end = datetime(y + (mo == 12), 1 if mo == 12 else mo + 1, 1, tzinfo=KST)
    return start, end


def previous_month(now: datetime) -> str:
    first = now.astimezone(KST).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


@dataclass
class Finding:
    kind: str
    actor: str
    at: datetime
    detail: str
    record_ids: list[int] = field(default_factory=list)


@dataclass
class Review:
    month: str
    start: datetime
    end: datetime
    total: int
    by_action: dict[str, int]
    people: list[dict[str, Any]]          # name, role, per action, total; most reveals first
    findings: list[Finding]
    head_id: int | None
    head_hash: str | None
    chain_ok: bool | None = None
    chain_text: str = ""

    @property
    def last_day(self) -> datetime:
        return self.end - timedelta(days=1)

    @property
    def revealers(self) -> list[dict[str, Any]]:
        return [p for p in self.people if p["reveal"]]

    @property
    def max_reveals(self) -> int:
        return max((p["reveal"] for p in self.people), default=0)


def weak_reason(reason: str) -> bool:
    r = (reason or "").strip()
    return len(r) < 4 or r.lower() in WEAK_REASONS


async def build(conn: Any, month: str) -> Review:
    start, end = month_range(month)
    rows = await conn.fetch(
        "SELECT r.id, r.at, r.actor, r.actor_role, r.action, r.complaint_id, r.reason,"
        " (r.action = 'reveal' AND r.actor_id IS NOT NULL AND c.received_at IS NOT NULL AND NOT EXISTS ("
        "   SELECT 1 FROM desk_login_attempts a WHERE a.name = r.actor AND a.succeeded"
        "   AND a.at BETWEEN c.received_at - interval '14 hours' AND c.received_at + interval '1 hour')) AS unhandled"
        " FROM access_records r LEFT JOIN complaints c ON c.id = r.complaint_id"
        " WHERE r.at >= $1 AND r.at < $2 ORDER BY r.id", start, end)
    head = await conn.fetchrow("SELECT id, hash FROM access_records ORDER BY id DESC LIMIT 1")
    by_action = Counter(r["action"] for r in rows)
    per: dict[str, dict[str, Any]] = {}
    reveals: dict[str, list[Any]] = defaultdict(list)
    findings: list[Finding] = []
    for r in rows:
        p = per.setdefault(r["actor"], {"name": r["actor"], "total": 0,
                                        "role": ROLE_LABELS.get(r["actor_role"], r["actor_role"]),
                                        **{a: 0 for a in ACTION_LABELS}})
        p[r["action"]] += 1
        p["total"] += 1
        if r["action"] != "reveal":
            continue
        reveals[r["actor"]].append(r)
        if weak_reason(r["reason"]):
            findings.append(Finding("사유 부실", r["actor"], r["at"], f"사유 '{r['reason']}' — 민원 "
                                    f"{str(r['complaint_id'])[:8]}", [r["id"]]))
        if r["unhandled"]:
            findings.append(Finding("담당 외 열람", r["actor"], r["at"],
                                    f"민원 {str(r['complaint_id'])[:8]} 접수 전후에 근무(로그인) 기록이 없음", [r["id"]]))
    findings += _bulk(reveals)
    counts = [len(v) for v in reveals.values()]
    if counts:
        limit = max(MANY_MIN, 3 * statistics.median(counts))
        for actor, rs in reveals.items():
            if len(rs) > limit:
                findings.append(Finding("다수 열람", actor, rs[-1]["at"],
                                        f"이달 열람 {len(rs)}건 (기준 {limit:g}건 초과)", [x["id"] for x in rs[:50]]))
    people = sorted(per.values(), key=lambda p: (-p["reveal"], -p["total"], p["name"]))
    findings.sort(key=lambda f: (f.at, f.kind))
    return Review(month=month, start=start, end=end, total=len(rows), by_action=dict(by_action), people=people,
                  findings=findings, head_id=head["id"] if head else None,
                  head_hash=bytes(head["hash"]).hex() if head else None)


def _bulk(reveals: dict[str, list[Any]]) -> list[Finding]:
    out: list[Finding] = []
    for actor, rs in reveals.items():
        i = 0
        while i < len(rs):
            j = i
            while j + 1 < len(rs) and rs[j + 1]["at"] - rs[i]["at"] <= timedelta(minutes=60):
                j += 1
            if j - i + 1 >= BULK_REVEALS:
                local = rs[i]["at"].astimezone(KST)
                night = "심야 " if local.hour < 6 else ""
                out.append(Finding(f"{night}대량 열람", actor, rs[i]["at"],
                                   f"{local:%m-%d %H:%M}부터 60분 안에 {j - i + 1}건",
                                   [x["id"] for x in rs[i:j + 1]]))
                i = j + 1
            else:
                i += 1
    return out


def render_html(review: Review) -> str:
    """The standalone report (a file for the supervisor: printable, no scripts)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    return env.get_template("access_review_report.html").render(r=review, labels=ACTION_LABELS, kst=kst_text,
                                                                generated_at=datetime.now(KST))


def kst_text(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(KST).strftime(fmt) if value else ""
