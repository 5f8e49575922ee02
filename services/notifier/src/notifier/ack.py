"""The link a field worker opens from the SMS: ``/ack/{token}``, a small Korean page for a phone.

Three large buttons — 확인 (accepted), 도착 (on site), 완료 (done) — and an optional note,
in one plain HTML form: no JavaScript needed. ``GET`` only shows the page (messenger apps
fetch links for previews, so a GET must change nothing); a button ``POST``s, which records
that response and writes the events to the outbox in the same transaction (see
``handlers.respond``).

The link is signed, expiring and single-use:

- signed: the token is 128 random bits (``secrets.token_urlsafe(16)``) and only its SHA-256 is
  stored. Forging a link means guessing one of the few live tokens out of 2^128, which is what a
  signature's forgery resistance gives; unlike an HMAC it needs no server key to keep or rotate,
  keeps the SMS short (22 characters) and a stolen database reveals no usable link. A token of the
  wrong shape is refused before any database lookup; a well-formed forged one costs one indexed
  lookup and gets the 404 page.
- expiring: ``NOTIFIER_ACK_TTL_HOURS`` (24 h) after the SMS a Korean 410 page.
- single-use: 확인 → 도착 → 완료 go forward only (a step may be skipped), each at most once; a
  repeated tap or a step behind one recorded changes nothing. Once 완료 is recorded the link is
  spent: every later open shows "이미 처리된 링크입니다" (410) with no buttons and changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from html import escape
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from sunmoon.http import page_csp

from . import domain, handlers

router = APIRouter(tags=["acknowledgement"])
KST = timezone(timedelta(hours=9), "KST")
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
           "X-Content-Type-Options": "nosniff"}
HTML_ONLY: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "The page"},
    404: {"content": {"text/html": {}}, "description": "Unknown link"},
    409: {"content": {"text/html": {}}, "description": "A later step is already recorded (never backwards)"},
    410: {"content": {"text/html": {}}, "description": "Link expired, or spent (완료 was recorded)"},
    422: {"content": {"text/html": {}}, "description": "Unknown button or a note over 500 characters"},
}
MAX_FORM_BYTES = 8 * 1024

UNKNOWN = ("확인 링크를 찾을 수 없습니다", "주소가 잘못되었거나 없는 링크입니다. 문자에 있는 주소를 다시 확인해 주세요.")
EXPIRED = ("확인 기간이 지났습니다", "이 링크는 문자 발송 후 {hours}시간 동안만 쓸 수 있습니다. 당직실에 전화로 알려 주세요.")
TOO_LONG = ("메모가 너무 깁니다", f"메모는 {handlers.NOTE_MAX}자까지 쓸 수 있습니다. 줄여서 다시 보내 주세요.")
SPENT = ("이미 처리된 링크입니다", "이 민원은 {at}에 '완료'로 처리되었습니다. 더 누를 것이 없습니다.")
ALREADY = {"accepted": "이미 확인했습니다", "on_site": "이미 도착을 알렸습니다", "done": "이미 완료를 알렸습니다"}
DONE_MESSAGES = {
    "accepted": ("확인되었습니다", "당직실에 확인 사실이 전달되었습니다. 현장에 도착하면 '도착'을 눌러 주세요."),
    "on_site": ("도착이 기록되었습니다", "당직실에 도착 사실이 전달되었습니다. 처리가 끝나면 '완료'를 눌러 주세요."),
    "done": ("완료가 기록되었습니다", "당직실에 처리 완료가 전달되었습니다. 수고하셨습니다."),
}


@router.get("/ack/{token}", response_class=HTMLResponse, responses=HTML_ONLY,
            summary="The worker's page (Korean, for a phone): the complaint and the 확인/도착/완료 buttons")
async def ack_page(token: str, request: Request) -> HTMLResponse:
    """Shows the complaint (type, place, time), what was already recorded and the buttons. Changes nothing."""
    result = await handlers.inspect_token(request.app.state.runtime.pool, token)
    if result.outcome == "unknown":
        return _page(*UNKNOWN, status=404)
    if result.outcome == "expired":
        return _expired(request, result)
    if result.outcome == "spent":
        return _spent(result)
    if result.outcome == "already":
        title, message = "이미 확인된 민원입니다", f"{_kst(result.acknowledged_at)}에 확인되었습니다."
    else:
        title, message = "당직 민원 확인", "문자를 받았으면 '확인'을 눌러 주세요. 도착·완료 때도 이 화면을 쓰세요."
    return _page(title, message, details=_details(result.notification), extra=_form(result))


@router.post("/ack/{token}", response_class=HTMLResponse, responses=HTML_ONLY,
             summary="Record a button (response=accepted|on_site|done, optional note); each once")
async def ack_confirm(token: str, request: Request) -> HTMLResponse:
    """A form post (``application/x-www-form-urlencoded``): ``response`` (default ``accepted``) and
    ``note`` (at most 500 characters). The first tap acknowledges the notification; a repeated tap
    only says when it was recorded."""
    form = await _form_fields(request)
    if form is None:
        return _page(*TOO_LONG, status=422)
    response = form.get("response") or "accepted"
    if response not in handlers.RESPONSE_LABELS:
        return _page("알 수 없는 버튼입니다", "확인, 도착, 완료 가운데 하나를 눌러 주세요.", status=422)
    try:
        note = handlers.clean_note(form.get("note"))
    except ValueError:
        return _page(*TOO_LONG, status=422)
    async with request.app.state.runtime.pool.acquire() as conn, conn.transaction():
        result = await handlers.respond(conn, token, response, note)
    if result.outcome == "unknown":
        return _page(*UNKNOWN, status=404)
    if result.outcome == "expired":
        return _expired(request, result)
    if result.outcome == "spent":
        return _spent(result)
    label = handlers.RESPONSE_LABELS[response]
    if result.outcome == "out_of_order":
        later = [handlers.RESPONSE_LABELS[r] for r in result.responses]
        return _page("이미 다음 단계가 기록되었습니다",
                     f"'{later[-1]}'이(가) 이미 기록되어 '{label}'은(는) 기록하지 않았습니다. 순서를 거꾸로 할 수 없습니다.",
                     details=_details(result.notification), extra=_form(result), status=409)
    if result.outcome == "already":
        at = result.responses[response]["responded_at"]
        title, message = ALREADY[response], f"{_kst(at)}에 '{label}'이(가) 이미 기록되었습니다. 다시 누르지 않아도 됩니다."
    else:
        title, message = DONE_MESSAGES[response]
    if response == handlers.FINAL_RESPONSE:  # the link is spent: no buttons any more
        return _page(title, message, details=_details(result.notification), extra=_notes(result))
    return _page(title, message, details=_details(result.notification), extra=_form(result))


async def _form_fields(request: Request) -> dict[str, str] | None:
    """The posted form (url-encoded, no multipart dependency); an empty body is {}, too large None."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items() if v}


def _expired(request: Request, result: handlers.AckResult) -> HTMLResponse:
    hours = f"{request.app.state.settings.ack_ttl_hours:g}"
    title, message = EXPIRED
    return _page(title, message.format(hours=hours), details=_details(result.notification), status=410)


def _spent(result: handlers.AckResult) -> HTMLResponse:
    title, message = SPENT
    at = _kst(result.responses[handlers.FINAL_RESPONSE]["responded_at"])
    return _page(title, message.format(at=at), details=_details(result.notification), extra=_notes(result),
                 status=410)


def _kst(at: datetime | None) -> str:
    return at.astimezone(KST).strftime("%Y-%m-%d %H:%M") if at else "-"


def _details(n: Any) -> list[tuple[str, str]]:
    return [
        ("유형", f"{domain.urgency_label(n['urgency'])} · {domain.type_label(n['complaint_type'])}"),
        ("장소", n["place"]),
        ("요청 시각", _kst(n["created_at"])),
    ]


def _form(result: handlers.AckResult) -> str:
    """The note and the three buttons; a recorded one shows its time and is disabled, so is a skipped one."""
    buttons = []
    for value, label in handlers.RESPONSE_LABELS.items():
        done = result.responses.get(value)
        if done is not None:
            buttons.append(f'<button type="submit" name="response" value="{value}" class="b-{value} done" disabled>'
                           f'{label} ✓<small>{_kst(done["responded_at"])[11:]}</small></button>')
        elif not handlers.step_allowed(value, result.responses):
            buttons.append(f'<button type="submit" name="response" value="{value}" class="b-{value} skipped" '
                           f'disabled>{label}</button>')
        else:
            buttons.append(f'<button type="submit" name="response" value="{value}" class="b-{value}">{label}</button>')
    return (f'{_notes(result)}<form method="post">'
            f'<label for="note">메모 (선택, {handlers.NOTE_MAX}자까지)</label>'
            f'<textarea id="note" name="note" maxlength="{handlers.NOTE_MAX}" rows="3" '
            f'placeholder="예: 맨홀 뚜껑 임시 조치함"></textarea>'
            f'<div class="buttons">{"".join(buttons)}</div></form>')


def _notes(result: handlers.AckResult) -> str:
    """The notes the worker left with each answer."""
    notes = "".join(
        f"<li><b>{handlers.RESPONSE_LABELS[k]}</b> {escape(r['note'])}</li>"
        for k, r in result.responses.items() if r["note"])
    return f'<ul class="notes">{notes}</ul>' if notes else ""


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
label{{display:block;font-weight:600;margin:1rem 0 .25rem}}
textarea{{box-sizing:border-box;width:100%;font-size:1.05rem;padding:.6rem;border:1px solid #bbb;border-radius:.5rem}}
.buttons{{display:grid;grid-template-columns:repeat(3,1fr);gap:.6rem;margin-top:1rem}}
button{{min-height:4.5rem;font-size:1.4rem;font-weight:700;border:0;border-radius:.75rem;color:#fff}}
button small{{display:block;font-size:.8rem;font-weight:400}}
.b-accepted{{background:#1d4ed8}} .b-on_site{{background:#b45309}} .b-done{{background:#15803d}}
button.done,button.skipped{{opacity:.55}}
.notes{{background:#fff;border-radius:.75rem;padding:.75rem 1rem .75rem 2rem}}
</style></head>
<body><main><h1>{escape(title)}</h1><p>{escape(message)}</p>{facts}{extra}</main></body></html>
"""
    return HTMLResponse(body, status_code=status,  # CSP: no script, this page's <style> by hash
                        headers={**HEADERS, "Content-Security-Policy": page_csp(body)})


def install(app: FastAPI) -> None:
    app.include_router(router)
