"""The duty report as a PDF (WeasyPrint): A4, the city and the period in every page's header,
page numbers, the summary, the chart, and the list of complaints on landscape pages.

The Korean font ships with the package and is embedded (subset) in the PDF through @font-face;
the chart is a PNG drawn with the same font. Nothing depends on the fonts of the machine.

The list of complaints is a seven-column table while it is short; a long one is set in a fixed-pitch
font, one line a complaint (see pdf_list.py: WeasyPrint's cost grows with the number of cells).
"""

from __future__ import annotations

import base64
import html
import logging
from pathlib import Path
from string import Template

import pandas as pd

from .. import labels
from ..fonts import BOLD, MONO, REGULAR
from ..shifts import korean_datetime
from .chart import hourly_png
from .model import ReportData
from .pdf_list import list_section

# WeasyPrint reports every step of every document at INFO; keep its warnings (unsupported CSS), not that.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)
CSS_TEMPLATE = Template((Path(__file__).with_name("report.css")).read_text(encoding="utf-8"))


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _css_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def render_pdf(data: ReportData, *, list_limit: int = 1500, compact_from: int = 300) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    css = CSS_TEMPLATE.substitute(
        regular=REGULAR.as_uri(), bold=BOLD.as_uri(), mono=MONO.as_uri(),
        header_left=_css_string(f"{data.city} {data.title}"), header_right=_css_string(data.period),
        footer_left=_css_string(labels.PRIVACY_SHORT),
        footer_right=_css_string(f"생성 {korean_datetime(data.generated_at, data.tz)}"))
    document = HTML(string=report_html(data, list_limit=list_limit, compact_from=compact_from),
                    base_url=str(REGULAR.parent))
    return document.write_pdf(stylesheets=[CSS(string=css, font_config=fonts)], font_config=fonts,
                              pdf_identifier=data.report_id.bytes, uncompressed_pdf=False)


def report_html(data: ReportData, *, list_limit: int = 1500, compact_from: int = 300) -> str:
    t = data.totals
    by_status = t["by_status"]
    parts = [
        '<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8">',
        f"<title>{_e(data.city)} {_e(data.title)} {_e(data.period)}</title>",
        f'<meta name="author" content="{_e(data.city)}"><meta name="generator" content="Sun to Moon reporting">',
        "</head><body>",
        f"<h1>{_e(data.city)} {_e(data.title)}</h1>",
        f'<p class="period">{_e(data.period)}</p>',
        f'<p class="meta">생성 {_e(korean_datetime(data.generated_at, data.tz))} · '
        f'{"교대 시 자동 생성" if data.automatic else "요청에 따라 생성"} · 보고서 번호 {_e(data.report_id)}</p>',
        f'<p class="kpi"><span>총 접수 <b>{data.total}</b>건</span>'
        f'<span>완료 <b>{by_status["resolved"]}</b>건</span>'
        f'<span>긴급 <b>{t["by_urgency"]["urgent"]}</b>건</span></p>',
        '<table class="grid"><tbody><tr><td>',
        _pairs("처리 상태별", "상태", [(labels.STATUS_LABELS[k], v) for k, v in by_status.items()]),
        "</td><td>",
        _pairs("유형별", "유형", sorted(((labels.type_label(None if k == "unclassified" else k), v)
                                       for k, v in t["by_type"].items() if v), key=lambda kv: (-kv[1], kv[0]))),
        "</td><td>",
        _pairs("긴급도별", "긴급도", [(labels.urgency_label(None if k == "unclassified" else k), v)
                                   for k, v in t["by_urgency"].items()]),
        "</td></tr></tbody></table>",
        "<h2>응답 시간 (분)</h2>", _frame(data.response),
        "<h2>기상 특보 (접수 당시 발효 중)</h2>",
        _frame(data.warnings, empty="기간 중 접수된 민원에 발효 특보 없음"),
        _weather(data), _surges(data),
        "<h2>팀별 통보</h2>", _frame(data.teams, empty="기간 중 통보 없음"),
        f"<h2>{_e(data.hourly_caption)}</h2>", _chart(data),
        list_section(data, limit=list_limit, compact_from=compact_from),
        f'<p class="privacy">{_e(labels.PRIVACY_NOTE)}</p>',
        "</body></html>",
    ]
    return "".join(parts)


def _pairs(title: str, head: str, rows: list[tuple[str, int]]) -> str:
    body = "".join(f'<tr><td>{_e(k)}</td><td class="n">{v}</td></tr>' for k, v in rows) or \
        '<tr><td colspan="2">없음</td></tr>'
    return (f'<h2>{_e(title)}</h2><table class="small"><thead><tr><th>{_e(head)}</th><th class="n">건수</th>'
            f"</tr></thead><tbody>{body}</tbody></table>")


def _fmt(v: object) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:,.1f}"
    return _e(v)


def _frame(frame: pd.DataFrame | None, *, empty: str = "없음") -> str:
    if frame is None or frame.empty:
        return f'<p class="note">{_e(empty)}</p>'
    head = "".join(f'<th class="{"n" if i else ""}">{_e(c)}</th>' for i, c in enumerate(frame.columns))
    rows = "".join("<tr>" + "".join(f'<td class="{"n" if i else ""}">{_fmt(v)}</td>' for i, v in enumerate(r))
                   + "</tr>" for r in frame.itertuples(index=False, name=None))
    return f'<table class="small"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _weather(data: ReportData) -> str:
    w = data.weather or {}
    if not w.get("n"):
        return ""
    items = [("최대 1시간 강수량", w.get("max_precipitation_mm"), "mm"), ("최저 기온", w.get("min_temperature_c"), "℃"),
             ("최고 기온", w.get("max_temperature_c"), "℃"), ("최대 풍속", w.get("max_wind_speed_ms"), "m/s")]
    text = " · ".join(f"{k} {v:g}{u}" for k, v, u in items if v is not None)
    return f'<p class="note">기상 관측(기간 중, 시 전역): {_e(text)}</p>'


def _surges(data: ReportData) -> str:
    if not data.surges:
        return ""
    rows = [(s["district"], labels.HAZARD_LABELS.get(s["grp"], s["grp"]), s["count"],
             korean_datetime(s["detected_at"], data.tz, year=False)) for s in data.surges]
    return "<h2>급증 감지</h2>" + _frame(pd.DataFrame(rows, columns=["읍·면·동", "유형군", "건수", "감지 시각"]))


def _chart(data: ReportData) -> str:
    if data.hourly is None or data.hourly.empty or not len(data.hourly.columns):
        return '<p class="note">기간 중 접수 없음</p>'
    png = hourly_png(data.hourly)
    return f'<img class="chart" alt="{_e(data.hourly_caption)}" src="data:image/png;base64,' \
           f'{base64.b64encode(png).decode()}">'
