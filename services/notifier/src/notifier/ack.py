"""The acknowledgement link a field worker opens from the SMS: ``/ack/{token}``.

``GET`` only shows the page (messenger apps fetch links for previews, so a GET
must change nothing); the button ``POST``s, which marks the notification
acknowledged once and writes ``notifier.notification.acknowledged.v1`` to the
outbox in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from html import escape
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from . import domain, handlers

router = APIRouter(tags=["acknowledgement"])
KST = timezone(timedelta(hours=9), "KST")
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
HTML_ONLY: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "The page"},
    404: {"content": {"text/html": {}}, "description": "Unknown link"},
    410: {"content": {"text/html": {}}, "description": "Link expired (24 h after the SMS)"},
}

UNKNOWN = ("확인 링크를 찾을 수 없습니다", "주소가 잘못되었거나 없는 링크입니다. 문자에 있는 주소를 다시 확인해 주세요.")
EXPIRED = ("확인 기간이 지났습니다", "이 링크는 문자 발송 후 24시간 동안만 쓸 수 있습니다. 당직실에 전화로 알려 주세요.")


@router.get("/ack/{token}", response_class=HTMLResponse, responses=HTML_ONLY,
            summary="Acknowledgement page (Korean, for the field worker's phone)")
async def ack_page(token: str, request: Request) -> HTMLResponse:
    """Shows the complaint (type, place, time) and a "확인했습니다" button. Changes nothing."""
    result = await handlers.inspect_token(request.app.state.runtime.pool, token)
    if result.outcome == "unknown":
        return _page(*UNKNOWN, status=404)
    n = result.notification
    if result.outcome == "expired":
        return _page(*EXPIRED, details=_details(n), status=410)
    if result.outcome == "already":
        return _page("이미 확인된 민원입니다", f"{_kst(result.acknowledged_at)}에 확인되었습니다.", details=_details(n))
    button = '<form method="post"><button type="submit">확인했습니다</button></form>'
    return _page("당직 민원 확인", "현장 확인 후 아래 버튼을 눌러 주세요.", details=_details(n), extra=button)


@router.post("/ack/{token}", response_class=HTMLResponse, responses=HTML_ONLY,
             summary="Confirm the notification (once)")
async def ack_confirm(token: str, request: Request) -> HTMLResponse:
    """Marks the notification acknowledged and announces it; a second press only says it was done."""
    async with request.app.state.runtime.pool.acquire() as conn, conn.transaction():
        result = await handlers.acknowledge(conn, token)
    if result.outcome == "unknown":
        return _page(*UNKNOWN, status=404)
    n = result.notification
    if result.outcome == "expired":
        return _page(*EXPIRED, details=_details(n), status=410)
    if result.outcome == "already":
        return _page("이미 확인된 민원입니다", f"{_kst(result.acknowledged_at)}에 이미 확인되었습니다.",
                     details=_details(n))
    return _page("확인되었습니다", "당직실에 확인 사실이 전달되었습니다. 감사합니다.", details=_details(n))


def _kst(at: datetime | None) -> str:
    return at.astimezone(KST).strftime("%Y-%m-%d %H:%M") if at else "-"


def _details(n: Any) -> list[tuple[str, str]]:
    return [
        ("유형", f"{domain.urgency_label(n['urgency'])} · {domain.type_label(n['complaint_type'])}"),
        ("장소", n["place"]),
        ("요청 시각", _kst(n["created_at"])),
    ]


def _page(title: str, message: str, *, details: list[tuple[str, str]] | None = None, extra: str = "",
          status: int = 200) -> HTMLResponse:
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in details or [])
    facts = f"<dl>{rows}</dl>" if rows else ""
    body = f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{escape(title)} - Sun to Moon 당직 민원</title>
<style>
body{{margin:0;font-family:system-ui,-apple-system,"Apple SD Gothic Neo","Noto Sans KR",sans-serif;
background:#f3f4f6;color:#111}}
main{{max-width:28rem;margin:0 auto;padding:1.5rem 1rem}}
h1{{font-size:1.4rem;margin:0 0 .5rem}} p{{font-size:1.05rem;line-height:1.5}}
dl{{background:#fff;border-radius:.75rem;padding:1rem;display:grid;grid-template-columns:auto 1fr;gap:.5rem 1rem}}
dt{{color:#555}} dd{{margin:0;font-weight:600;word-break:keep-all}}
button{{width:100%;font-size:1.25rem;padding:1rem;border:0;border-radius:.75rem;background:#1d4ed8;color:#fff}}
</style></head>
<body><main><h1>{escape(title)}</h1><p>{escape(message)}</p>{facts}{extra}</main></body></html>
"""
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def install(app: FastAPI) -> None:
    app.include_router(router)
