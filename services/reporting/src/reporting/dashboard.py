"""The analytics dashboard: charts and tables a supervisor looks at rather than reads (GET /dashboard).

Server-rendered (Korean HTML, PNG charts drawn with the shipped font), no JavaScript and nothing
from a CDN, so it works on a city's closed network. Its numbers are the analytics of
``/api/v1/analytics`` (same queries), which also export them as CSV and Excel.
"""

from __future__ import annotations

import asyncio
import html
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse

from sunmoon.http import page_csp
from sunmoon.events import utcnow

from .analytics.service import CATALOG
from .reports.chart import hourly_png

if TYPE_CHECKING:  # pandas (with numpy, ~60 MiB resident) is imported where a table is made, not at start
    import pandas as pd

router = APIRouter(tags=["dashboard"])
Days = Annotated[int, Query(ge=1, le=366, description="how many days back from now")]


async def _run(request: Request, name: str, days: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    until = utcnow()
    a = CATALOG[name]
    return await a.run(request.app.state.runtime.pool, until - timedelta(days=min(days, a.max_days)), until,
                       request.app.state.reports.tz)


@router.get("/dashboard/charts/{chart}.png", summary="One dashboard chart (PNG)", response_class=Response,
            responses={200: {"content": {"image/png": {}}, "description": "The chart, a PNG image"},
                       404: {"description": "Unknown chart: hours or months"}})
async def chart(request: Request, chart: str, days: Days = 30) -> Response:
    import pandas as pd

    if chart == "hours":
        df, _ = await _run(request, "patterns", days)
        table = (df.pivot_table(index="hour", columns="type_label", values="count", aggfunc="sum", fill_value=0)
                 .reindex(range(24), fill_value=0) if not df.empty else pd.DataFrame(index=range(24)))
    elif chart == "months":
        df, _ = await _run(request, "trends", max(days, 365))
        df = df[df["type"] != "all"] if not df.empty else df
        table = (df.pivot_table(index="month", columns="type_label", values="count", aggfunc="sum", fill_value=0)
                 if not df.empty else pd.DataFrame(index=[]))
    else:
        raise HTTPException(404, f"no chart {chart!r}; there are: hours, months")
    if len(table.columns) > 7:  # the seven biggest types, the rest together
        top = table.sum().sort_values(ascending=False).index[:6]
        table = table[top].assign(기타=table.drop(columns=top).sum(axis=1))
    png = await asyncio.to_thread(hourly_png, table, dpi=110)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


def _table(df: pd.DataFrame, columns: dict[str, str], limit: int = 10) -> str:
    import pandas as pd

    if df.empty:
        return "<p class='empty'>해당 기간 자료가 없습니다.</p>"
    head = "".join(f"<th>{html.escape(label)}</th>" for label in columns.values())
    rows = "".join("<tr>" + "".join(f"<td>{html.escape('' if pd.isna(r[c]) else str(r[c]))}</td>" for c in columns)
                   + "</tr>" for _, r in df.head(limit).iterrows())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


@router.get("/dashboard", response_class=HTMLResponse, summary="The analytics dashboard (Korean HTML page)")
async def dashboard(request: Request, days: Days = 30) -> HTMLResponse:
    places, _ = await _run(request, "repeat-places", min(days, 31))
    times, _ = await _run(request, "response-times", days)
    city = html.escape(request.app.state.reports.settings.city_name)
    place_cols = {c: label for c, label in (("district", "읍·면·동"), ("count", "건수"), ("types", "유형"),
                                             ("lat", "위도"), ("lon", "경도")) if c in places.columns}
    time_cols = {c: label for c, label in (("type_label", "유형"), ("department", "부서"), ("stage", "구간"),
                                            ("count", "건수"), ("p50_minutes", "중앙값(분)"),
                                            ("p90_minutes", "90%(분)")) if c in times.columns}
    page = f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{city} 당직 민원 분석</title>
<style>
body {{ font-family: sans-serif; margin: 1rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.1rem; margin-top: 2rem; }}
img {{ max-width: 100%; height: auto; border: 1px solid #ddd; }}
table {{ border-collapse: collapse; width: 100%; font-size: .9rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; }}
th {{ background: #f3f5f9; }} .empty {{ color: #666; }} nav a {{ margin-right: 1rem; }}
</style></head><body>
<h1>{city} 당직 민원 분석 — 최근 {days}일</h1>
<nav><a href="?days=7">7일</a><a href="?days=30">30일</a><a href="?days=90">90일</a><a href="?days=365">1년</a>
<a href="/api/v1/analytics">분석 목록(JSON·CSV·Excel)</a></nav>
<h2>시간대별 접수 (유형별)</h2>
<img src="/dashboard/charts/hours.png?days={days}" alt="시간대별 유형별 민원 접수 건수 막대그래프">
<h2>월별 추이 (유형별, 최근 1년)</h2>
<img src="/dashboard/charts/months.png?days=365" alt="월별 유형별 민원 접수 건수 막대그래프">
<h2>반복 민원 장소 (30일 내 50 m 안에서 3건 이상: 낮에 고칠 곳)</h2>
{_table(places, place_cols)}
<h2>처리 시간 (접수 → 출동 → 확인)</h2>
{_table(times, time_cols, limit=20)}
<p><small>개인정보(이름·전화번호·상세 주소)는 이 분석에 들어 있지 않습니다.</small></p>
</body></html>"""
    return HTMLResponse(page, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                       "Content-Security-Policy": page_csp(page)})  # no script; <style> by hash


def install(app: FastAPI) -> None:
    app.include_router(router)
