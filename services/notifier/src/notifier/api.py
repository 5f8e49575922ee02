"""The notifier's JSON API (FastAPI). OpenAPI docs at /docs; the acknowledgement pages are in ack.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request

from sunmoon.crypto import DecryptionError, FieldCipher, mask_name, mask_phone
from sunmoon.logging import get_logger

from . import domain, repository
from .schemas import NotificationOut, NotificationPage, RosterOut, SmsOut, SmsPage, TeamOut, WorkerOut

log = get_logger(__name__)
router = APIRouter(prefix="/api/v1")


def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


def _cipher(request: Request) -> FieldCipher:
    return request.app.state.cipher


Pool = Annotated[Any, Depends(_pool)]
Cipher = Annotated[FieldCipher, Depends(_cipher)]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Offset = Annotated[int, Query(ge=0, description="Rows to skip")]


@router.get("/roster", response_model=RosterOut, tags=["roster"], summary="Teams and field workers on call")
async def get_roster(pool: Pool, cipher: Cipher) -> RosterOut:
    """Every team (complaint types, area) with its workers; names and phone numbers masked."""
    teams, workers = await repository.roster_rows(pool)
    members: dict[str, list[WorkerOut]] = {}
    for w in workers:
        members.setdefault(w["team_id"], []).append(WorkerOut(
            id=w["id"], role=w["role"], active=w["active"],
            name=_masked(cipher, w["name_enc"], "name", w["id"], mask_name),
            phone=_masked(cipher, w["phone_enc"], "phone", w["id"], mask_phone),
        ))
    return RosterOut(teams=[
        TeamOut(id=t["id"], name=t["name"], types=list(t["types"]),
                type_labels=[domain.type_label(x) for x in t["types"]],
                districts=list(t["districts"]) if t["districts"] is not None else None,
                fallback=t["fallback"], workers=members.get(t["id"], []))
        for t in teams
    ])


@router.get("/notifications", response_model=NotificationPage, tags=["notifications"],
            summary="SMS notifications, newest first")
async def list_notifications(
    pool: Pool, cipher: Cipher,
    complaint_id: Annotated[uuid.UUID | None, Query(description="Only this complaint's notifications")] = None,
    status: Literal["pending", "sent", "acknowledged", "failed"] | None = None,
    limit: Limit = 50, offset: Offset = 0,
) -> NotificationPage:
    """Who was texted for which complaint, and whether they confirmed. Worker names are masked
    and acknowledgement tokens are never shown."""
    rows = await repository.list_notifications(pool, complaint_id=complaint_id, status=status,
                                               limit=limit, offset=offset)
    items = [NotificationOut(
        **{k: r[k] for k in NotificationOut.model_fields if k not in ("worker_name", "text")},
        worker_name=_masked(cipher, r["name_enc"], "name", r["worker_id"], mask_name),
        text=domain.hide_token(r["text"]),
    ) for r in rows]
    return NotificationPage(items=items, limit=limit, offset=offset)


@router.get("/sms", response_model=SmsPage, tags=["console gateway"],
            summary="Messages the console SMS gateway 'sent' (development and demonstrations)")
async def list_sms(pool: Pool, cipher: Cipher, limit: Limit = 50, offset: Offset = 0) -> SmsPage:
    """What the console gateway recorded instead of sending, newest first: recipient masked,
    text as sent, including the acknowledgement link a demonstrator can open. Empty when
    another gateway is configured."""
    rows = await repository.list_console_sms(pool, limit=limit, offset=offset)
    items = [SmsOut(
        id=r["id"], idempotency_key=r["idempotency_key"], sender=r["sender"], text=r["text"],
        kind=r["kind"], bytes=r["bytes"], created_at=r["created_at"],
        recipient=_masked(cipher, r["recipient_phone_enc"], "recipient_phone", r["idempotency_key"],
                          mask_phone, table="sms_messages"),
    ) for r in rows]
    return SmsPage(items=items, limit=limit, offset=offset)


def _masked(cipher: FieldCipher, blob: bytes, column: str, row_id: str, mask: Callable[[str], str],
            *, table: str = "workers") -> str:
    try:
        return mask(cipher.decrypt(blob, table=table, column=column, row_id=row_id).reveal())
    except DecryptionError as exc:
        log.error("stored personal data does not decrypt", table=table, column=column, row_id=row_id,
                  error=str(exc))
        return "[복호화 실패]"


def install(app: FastAPI) -> None:
    app.include_router(router)
