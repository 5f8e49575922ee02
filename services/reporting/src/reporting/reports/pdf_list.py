"""The list of complaints in the PDF, in one of two layouts.

WeasyPrint spends about half a millisecond of CPU on every table cell with its own text (styles, line
breaking, drawing), so a 1,000-complaint list as a seven-column table would take four seconds alone.

- **table** (up to ``compact_from`` complaints, a normal shift): seven columns in the report's font,
  every cell cut to fit its column (measured with the font's own advance widths) so it stays one line;
- **compact** (longer lists): one cell a complaint, its fields aligned in NanumGothicCoding, a
  fixed-pitch font in which a Hangul syllable is exactly two ASCII cells wide: about a millisecond a
  complaint, header row repeated on every page.

Both cut the list to ``limit`` complaints (urgent and unfinished first), saying so; the Excel file
always lists all.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from datetime import datetime

import pandas as pd

from ..fonts import BOLD, MONO
from .model import ReportData

HEADER = ("접수", "유형 · 긴급도", "읍·면·동 · 부서", "통보 (팀·역할)", "통보 / 확인 / 완료", "결과", "요약")
WIDTHS_PCT = (7, 14, 14, 14, 13, 10, 28)  # table layout: percent of the landscape page's width
PAGE_PT = (297 - 20) / 25.4 * 72  # A4 landscape less the margins, in points
FONT_PT = 7.5
PADDING_PT = 6
# compact layout: (header, width in cells); one cell = half an em, 7 pt -> 220 cells a line
COMPACT = (("접수", 11), ("유형", 22), ("긴급도", 6), ("읍·면·동", 10), ("부서", 14), ("통보 (팀·역할)", 24),
           ("통보 / 확인 / 완료", 22), ("결과", 16), ("요약", 70))


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=False)


@functools.lru_cache(maxsize=2)
def _advances(path: str) -> tuple[dict[int, float], float]:
    """Advance widths in em of every character of a font, and the widest."""
    from fontTools.ttLib import TTFont

    font = TTFont(path, lazy=True)
    upm = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    widths = {code: metrics[glyph][0] / upm for code, glyph in font.getBestCmap().items()}
    return widths, max(widths.values())


def fit(text: str, room_em: float, font: str = str(BOLD)) -> str:
    """``text`` cut (with …) to at most ``room_em`` ems of ``font``."""
    widths, widest = _advances(font)
    total = 0.0
    for i, ch in enumerate(text):
        total += widths.get(ord(ch), widest)
        if total > room_em:
            cut, used = text[:i], total - widths.get(ord(ch), widest)
            ellipsis = widths.get(0x2026, widest)
            while cut and used + ellipsis > room_em:
                used -= widths.get(ord(cut[-1]), widest)
                cut = cut[:-1]
            return cut + "…"
    return text


def pad(text: str, cells: int) -> str:
    """``text`` cut to ``cells`` fixed-pitch cells and padded with spaces to exactly that width."""
    widths, _ = _advances(str(MONO))
    out, used = [], 0
    for ch in fit(text, cells / 2, str(MONO)):
        w = round(widths.get(ord(ch), 1.0) * 2)  # a glyph the font lacks comes from the fallback: 2 cells
        out.append(ch)
        used += w
    return "".join(out) + " " * max(0, cells - used)


def _clock(at: datetime | None, ref: datetime, data: ReportData) -> str:
    if at is None or at is pd.NaT:
        return "—"
    local = at.astimezone(data.tz)
    if ref.astimezone(data.tz).date() == local.date():
        return f"{local:%H:%M}"
    return f"{local.day}일 {local:%H:%M}"


def _chosen(data: ReportData, limit: int) -> tuple[pd.DataFrame, str]:
    c = data.complaints
    note = f"전체 {len(c)}건"
    if len(c) > limit:
        rank = c["urgency"].eq("urgent").astype(int) * 2 + (~c["done"]).astype(int)
        c = (c.assign(_rank=rank).sort_values(["_rank", "received_at"], ascending=[False, True], kind="stable")
             .head(limit).sort_values("received_at", kind="stable"))
        note += f" 중 {limit}건 (긴급·미완료 우선). 전체 목록은 Excel 파일에 있습니다"
    return c, note


def _fields(r: object, data: ReportData) -> tuple[str, ...]:
    received = r.received_at.astimezone(data.tz)
    times = " / ".join(_clock(v, r.received_at, data) for v in (r.dispatched_at, r.acknowledged_at, r.resolved_at))
    return (f"{received.month}/{received.day} {received:%H:%M}", r.type_label, r.urgency_label,
            r.district or "—", r.department_label, r.notified or "—", times, r.outcome, r.summary)


def list_section(data: ReportData, *, limit: int, compact_from: int) -> str:
    c, note = _chosen(data, limit)
    compact = len(c) > compact_from
    body = _compact(c, data) if compact else _table(c, data)
    return (f'<section class="list"><h2>민원 목록</h2><p class="note">{_e(note)}</p>{body}</section>')


def _row_class(i: int, r: object) -> str:
    cls = " ".join(k for k, on in (("e", i % 2), ("u", r.urgency == "urgent"), ("o", not r.done)) if on)
    return f' class="{cls}"' if cls else ""


def _table(c: pd.DataFrame, data: ReportData) -> str:
    room = [(PAGE_PT * w / 100 - PADDING_PT) / FONT_PT for w in WIDTHS_PCT]
    cols = "".join(f'<col style="width:{w}%">' for w in WIDTHS_PCT)
    head = "".join(f"<th>{_e(h)}</th>" for h in HEADER)
    rows = []
    for i, r in enumerate(c.itertuples(index=False)):
        t, type_, urgency, district, dept, notified, times, outcome, summary = _fields(r, data)
        cells = [_e(fit(v, w)) for v, w in zip(
            (t, f"{type_} · {urgency}", f"{district} · {dept}", notified, times, outcome, summary), room, strict=True)]
        rows.append(f"<tr{_row_class(i, r)}><td>{cells[0]}</td><td class=\"t\">{cells[1]}</td><td>{cells[2]}</td>"
                    f"<td>{cells[3]}</td><td>{cells[4]}</td><td class=\"r\">{cells[5]}</td><td>{cells[6]}</td></tr>")
    return (f'<table class="list"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _line(values: Sequence[str]) -> str:
    return " ".join(pad(v, w) for v, (_h, w) in zip(values, COMPACT, strict=True)).rstrip()


def _compact(c: pd.DataFrame, data: ReportData) -> str:
    head = _e(_line([h for h, _w in COMPACT]))
    rows = "".join(f"<tr{_row_class(i, r)}><td>{_e(_line(_fields(r, data)))}</td></tr>"
                   for i, r in enumerate(c.itertuples(index=False)))
    return (f'<table class="compact"><thead><tr><th>{head}</th></tr></thead><tbody>{rows}</tbody></table>')
