"""The duty report as an Excel workbook (openpyxl, write-only mode: 30,000 rows in seconds).

Sheets: 요약 (totals, response times, weather, teams), 민원 목록 (every complaint), SMS 기록 (the
notifications, no phone numbers), then one sheet per department for the hand-over. Dates are real
Excel dates shown the Korean way (2026년 7월 14일 22:05), in the city's time zone.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from copy import copy
from typing import Any

import pandas as pd

from .. import labels
from ..shifts import korean_datetime
from .model import ReportData

KOREAN_DATE = 'yyyy"년" m"월" d"일" hh:mm'
HEADER_FILL = "2F5597"
SECTION_FILL = "DDEBF7"
OPEN_FILL = "FFF2CC"

# (header, width, value) for the list sheets; value is a column name or a function of the row
LIST_COLUMNS: list[tuple[str, float, str]] = [
    ("접수 시각", 21, "received_at"), ("유형", 17, "type_label"), ("긴급도", 7, "urgency_label"),
    ("읍·면·동", 10, "district"), ("담당 부서", 13, "department_label"), ("통보 (팀·역할)", 26, "notified"),
    ("통보 시각", 21, "dispatched_at"), ("확인 시각", 21, "acknowledged_at"), ("완료 시각", 21, "resolved_at"),
    ("결과", 14, "outcome"), ("요약", 44, "summary"), ("접수 경로", 8, "channel_label"), ("문자(건)", 8, "sms_count"),
    ("발효 특보", 14, "warnings_text"), ("민원 번호", 37, "complaint_id"),
]
SMS_COLUMNS: list[tuple[str, float, str]] = [
    ("발송 시각", 21, "sent_at"), ("팀", 18, "team"), ("역할", 7, "role_label"), ("발송 경로", 10, "provider"),
    ("종류", 6, "message_kind"), ("확인 시각", 21, "acknowledged_at"), ("확인까지(분)", 11, "ack_minutes"),
    ("유형", 17, "type_label"), ("읍·면·동", 10, "district"), ("민원 번호", 37, "complaint_id"),
]
_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


class _Styles:
    """The workbook's styles. Styling a cell makes openpyxl hash its style objects to find their ids;
    for the tens of thousands of date cells the ids are found once and the style array is copied."""

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.header_font = Font(bold=True, color="FFFFFF")
        self.header_fill = PatternFill("solid", fgColor=HEADER_FILL)
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.title_font = Font(bold=True, size=16)
        self.bold = Font(bold=True)
        self.big = Font(bold=True, size=14)
        self.section_fill = PatternFill("solid", fgColor=SECTION_FILL)
        self.open_fill = PatternFill("solid", fgColor=OPEN_FILL)
        self.note_font = Font(italic=True, size=9, color="595959")
        self.thin = Border(bottom=Side(style="thin", color="9BC2E6"))
        self._arrays: dict[str, Any] = {}

    def cell(self, ws: Any, value: Any, kind: str) -> Any:
        """A cell with one of the repeated styles: ``date``, ``open`` (an unfinished complaint's outcome)."""
        from openpyxl.cell import WriteOnlyCell

        c = WriteOnlyCell(ws, value)
        array = self._arrays.get(kind)
        if array is not None:
            c._style = copy(array)  # noqa: SLF001 - see the class docstring
            return c
        if kind == "date":
            c.number_format = KOREAN_DATE
        else:
            c.fill, c.font = self.open_fill, self.bold
        self._arrays[kind] = copy(c._style)  # noqa: SLF001
        return c


def render_xlsx(data: ReportData) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    st = _Styles()
    _summary_sheet(wb, data, st)
    _table_sheet(wb, "민원 목록", LIST_COLUMNS, data.complaints, data, st)
    _table_sheet(wb, "SMS 기록", SMS_COLUMNS, data.notifications, data, st)
    used = {"요약", "민원 목록", "SMS 기록"}
    for name, frame in data.departments().items():
        title = _sheet_title(name, used)
        _table_sheet(wb, title, [c for c in LIST_COLUMNS if c[2] != "department_label"], frame, data, st,
                     highlight_open=True)
    wb.properties.title = f"{data.city} {data.title} {data.period}"
    wb.properties.creator = "Sun to Moon reporting"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_title(name: str, used: set[str]) -> str:
    base = _SHEET_CHARS.sub("·", name).strip("'")[:28] or "부서"
    title, i = base, 2
    while title in used:
        title, i = f"{base[:26]}~{i}", i + 1
    used.add(title)
    return title


def _local_column(series: pd.Series, data: ReportData) -> list[Any]:
    """Aware times -> the city's wall clock, naive (Excel has no time zones); NaT -> None."""
    local = series.dt.tz_convert(data.tz).dt.tz_localize(None)
    return [None if pd.isna(v) else v.to_pydatetime() for v in local]


def _cell(ws: Any, value: Any, *, font: Any = None, fill: Any = None, fmt: str | None = None,
          align: Any = None, border: Any = None) -> Any:
    from openpyxl.cell import WriteOnlyCell

    c = WriteOnlyCell(ws, value)
    if font is not None:
        c.font = font
    if fill is not None:
        c.fill = fill
    if fmt is not None:
        c.number_format = fmt
    if align is not None:
        c.alignment = align
    if border is not None:
        c.border = border
    return c


def _table_sheet(wb: Any, title: str, columns: Sequence[tuple[str, float, str]], frame: pd.DataFrame,
                 data: ReportData, st: _Styles, *, highlight_open: bool = False) -> None:
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    for i, (_h, width, _k) in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(frame), 1) + 1}"
    ws.append([_cell(ws, h, font=st.header_font, fill=st.header_fill, align=st.center) for h, _w, _k in columns])
    keys = [k for _h, _w, k in columns]
    values = [_local_column(frame[k], data) if k.endswith("_at") else [_plain(v) for v in frame[k]] for k in keys]
    dates = [k.endswith("_at") for k in keys]
    outcome = keys.index("outcome") if highlight_open and "outcome" in keys else -1
    open_rows = (~frame["done"]).tolist() if outcome >= 0 else [False] * len(frame)
    for r, is_open in enumerate(open_rows):
        row = []
        for c, (column, is_date) in enumerate(zip(values, dates, strict=True)):
            v = column[r]
            if is_date:
                row.append(None if v is None else st.cell(ws, v, "date"))
            elif c == outcome and is_open:
                row.append(st.cell(ws, v, "open"))
            else:
                row.append(v)
        ws.append(row)


def _plain(v: Any) -> Any:
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 1)
    if isinstance(v, str | int | bool):
        return v
    if hasattr(v, "item"):  # a numpy scalar
        return _plain(v.item())
    return str(v)


def _summary_sheet(wb: Any, data: ReportData, st: _Styles) -> None:
    ws = wb.create_sheet("요약")
    for col, width in zip("ABCDEF", (26, 20, 14, 16, 18, 16), strict=True):
        ws.column_dimensions[col].width = width
    t = data.totals
    ws.append([_cell(ws, f"{data.city} {data.title}", font=st.title_font)])
    ws.append([_cell(ws, "기간", font=st.bold), data.period])
    ws.append([_cell(ws, "생성", font=st.bold), korean_datetime(data.generated_at, data.tz),
               "교대 시 자동 생성" if data.automatic else "요청에 따라 생성"])
    ws.append([_cell(ws, "보고서 번호", font=st.bold), str(data.report_id)])
    ws.append([])
    ws.append([_cell(ws, "총 접수", font=st.big), _cell(ws, data.total, font=st.big), "건"])
    ws.append([])
    _section(ws, st, "처리 상태별", ["상태", "건수"],
             [(labels.STATUS_LABELS[k], v) for k, v in t["by_status"].items()])
    _section(ws, st, "유형별", ["유형", "건수"],
             sorted(((labels.type_label(None if k == "unclassified" else k), v)
                     for k, v in t["by_type"].items() if v), key=lambda kv: (-kv[1], kv[0])))
    _section(ws, st, "긴급도별", ["긴급도", "건수"],
             [(labels.urgency_label(None if k == "unclassified" else k), v) for k, v in t["by_urgency"].items()])
    _section_frame(ws, st, "응답 시간 (분)", data.response)
    _section_frame(ws, st, "기상 특보 (접수 당시 발효 중)", data.warnings, empty="기간 중 접수된 민원에 발효 특보 없음")
    w = data.weather or {}
    if w.get("n"):
        _section(ws, st, "기상 관측 (기간 중, 시 전역)", ["항목", "값"], [
            ("최대 1시간 강수량(mm)", w.get("max_precipitation_mm")), ("최저 기온(℃)", w.get("min_temperature_c")),
            ("최고 기온(℃)", w.get("max_temperature_c")), ("최대 풍속(m/s)", w.get("max_wind_speed_ms"))])
    if data.surges:
        _section(ws, st, "급증 감지", ["읍·면·동", "유형군", "건수", "감지 시각"], [
            (s["district"], labels.HAZARD_LABELS.get(s["grp"], s["grp"]), s["count"],
             korean_datetime(s["detected_at"], data.tz)) for s in data.surges])
    _section_frame(ws, st, "팀별 통보", data.teams, empty="기간 중 통보 없음")
    ws.append([_cell(ws, labels.PRIVACY_NOTE, font=st.note_font)])


def _section(ws: Any, st: _Styles, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
             empty: str | None = None) -> None:
    ws.append([_cell(ws, title, font=st.bold, fill=st.section_fill)])
    ws.append([_cell(ws, h, font=st.header_font, fill=st.header_fill, align=st.center) for h in header])
    n = 0
    for row in rows:
        ws.append([_plain(v) for v in row])
        n += 1
    if not n and empty:
        ws.append([empty])
    ws.append([])


def _section_frame(ws: Any, st: _Styles, title: str, frame: pd.DataFrame | None, empty: str | None = None) -> None:
    frame = frame if frame is not None else pd.DataFrame()
    _section(ws, st, title, list(frame.columns), frame.itertuples(index=False, name=None), empty)
