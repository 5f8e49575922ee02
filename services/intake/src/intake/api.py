"""Intake's HTTP API (FastAPI). OpenAPI docs at /docs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from sunmoon.crypto import DecryptionError, FieldCipher, mask_name, mask_phone
from sunmoon.events import utcnow
from sunmoon.events.classifier import COMPLAINT_TYPES, URGENCY_LABELS
from sunmoon.logging import get_logger

from . import access_records, dispatch_handlers, handlers, repository
from .dispatch import Refused
from .schemas import (
    AlertEntry, Candidate, Classification, ComplainantOut, ComplaintCreated, ComplaintIn, ComplaintOut, ComplaintPage,
    EscalationEntry, LocationOut, ReclassifyIn, ResolveIn, ResponseEntry, StatusEntry,
)

log = get_logger(__name__)
router = APIRouter(prefix="/api/v1", tags=["complaints"])


async def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


async def _cipher(request: Request) -> FieldCipher:
    return request.app.state.cipher


Pool = Annotated[Any, Depends(_pool)]
Cipher = Annotated[FieldCipher, Depends(_cipher)]
NOT_FOUND = {404: {"description": "No complaint with this id"}}


@router.post("/complaints", status_code=201, response_model=ComplaintCreated,
             summary="File a complaint",
             responses={413: {"description": "Body over 64 KiB"}, 422: {"description": "Invalid field"}})
async def create_complaint(body: ComplaintIn, response: Response, pool: Pool, cipher: Cipher) -> ComplaintCreated:
    """Stores the complaint (name and phone encrypted) and answers after commit.
    Classification, dispatch and reporting follow through events."""
    received_at = body.received_at or utcnow()
    cmd = handlers.NewComplaint(
        description=body.description, channel=body.channel, received_at=received_at,
        address=body.location.address.strip() if body.location.address else None,
        lat=body.location.lat, lon=body.location.lon,
        complainant_name=body.complainant.name if body.complainant else None,
        complainant_phone=body.complainant.phone if body.complainant else None,
    )
    try:
        async with pool.acquire() as conn, conn.transaction():
            complaint_id = await handlers.file_complaint(conn, cipher, cmd)
            if body.duplicate_of is not None:  # filed as a duplicate: shares the primary's dispatch
                await dispatch_handlers.link(conn, complaint_id, body.duplicate_of)
    except handlers.NotFound:
        raise HTTPException(422, f"duplicate_of: no complaint {body.duplicate_of}") from None
    except Refused as exc:
        raise HTTPException(409, str(exc)) from None
    log.info("complaint filed", complaint_id=str(complaint_id), channel=body.channel)
    response.headers["Location"] = f"/api/v1/complaints/{complaint_id}"
    return ComplaintCreated(id=complaint_id, status="received", received_at=received_at)


@router.get("/complaints/{complaint_id}", response_model=ComplaintOut, responses=NOT_FOUND,
            summary="One complaint, with its status history")
async def read_complaint(complaint_id: uuid.UUID, request: Request, pool: Pool, cipher: Cipher) -> ComplaintOut:
    """Caller data comes masked; a machine client's read of it is an access record (``view``)."""
    out = await get_complaint(complaint_id, pool, cipher)
    await _record_view(request, pool, [out], complaint_id, "API 민원 상세 조회")
    return out


async def get_complaint(complaint_id: uuid.UUID, pool: Any, cipher: FieldCipher) -> ComplaintOut:
    row = await repository.get(pool, complaint_id)
    if row is None:
        raise HTTPException(404, f"no complaint {complaint_id}")
    out = _to_out(row, cipher)
    out.history = [StatusEntry(**dict(h)) for h in await repository.history(pool, complaint_id)]
    responses, alerts = await handlers.field_reports(pool, complaint_id)
    out.responses = [ResponseEntry(response=r["response"], label=handlers.RESPONSE_LABELS[r["response"]],
                                   note=r["note"], worker_id=r["worker_id"], notification_id=r["notification_id"],
                                   at=r["responded_at"]) for r in responses]
    out.escalations = [EscalationEntry(stage=a["stage"], label=handlers.STAGE_LABELS[a["stage"]], reason=a["reason"],
                                       notification_id=a["notification_id"], at=a["at"])
                       for a in alerts if a["kind"] == "escalation"]
    out.alerts = [_alert(a) for a in alerts if a["kind"] == "notification_failed" or a["stage"] == "duty_officer"]
    out.linked = [r["id"] for r in await repository.linked_to(pool, complaint_id)]
    return out


def _alert(a: Any) -> AlertEntry:
    if a["kind"] == "notification_failed":
        role = handlers.ROLE_LABELS.get(a["role"], a["role"])
        message = f"{role} {a['worker_id']}에게 문자를 보내지 못했습니다({a['attempts']}회 시도). 전화로 연락해 주세요."
        return AlertEntry(kind="notification_failed", message=message, reason=a["reason"], worker_id=a["worker_id"],
                          notification_id=a["notification_id"], at=a["at"])
    return AlertEntry(kind="duty_officer", message="담당자·예비 담당자·감독자 누구도 확인하지 않았습니다. 전화로 출동을 지시해 주세요.",
                      reason=a["reason"], worker_id=None, notification_id=a["notification_id"], at=a["at"])


@router.get("/complaints", response_model=ComplaintPage, summary="Complaints, newest first, filtered and paginated")
async def list_complaints(
    request: Request, pool: Pool, cipher: Cipher,
    status: Literal["received", "classified", "dispatched", "acknowledged", "resolved"] | None = None,
    type: Annotated[str | None, Query(description="Complaint type code, e.g. sewer_drainage")] = None,
    urgency: Literal["urgent", "normal", "low"] | None = None,
    channel: Literal["phone", "visit", "web", "open311"] | None = None,
    since: Annotated[datetime | None, Query(description="received_at >= since")] = None,
    until: Annotated[datetime | None, Query(description="received_at < until")] = None,
    phone: Annotated[str | None, Query(description="Every complaint from this number (blind-index lookup)")] = None,
    needs_review: Annotated[bool | None, Query(description="Only those the model was unsure about (true)")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> ComplaintPage:
    if type is not None and type not in COMPLAINT_TYPES:
        raise HTTPException(422, f"unknown type {type!r}; one of: {', '.join(COMPLAINT_TYPES)}")
    rows, total = await repository.search(
        pool, status=status, type_=type, urgency=urgency, channel=channel, since=since, until=until,
        phone_idx=cipher.blind_index(phone) if phone else None, limit=limit, offset=offset,
        needs_review=needs_review,
    )
    items = [_to_out(r, cipher) for r in rows]
    await _record_view(request, pool, items, None, f"API 민원 목록 조회 {len(items)}건")
    return ComplaintPage(items=items, total=total, limit=limit, offset=offset)


@router.post("/complaints/{complaint_id}/resolve", response_model=ComplaintOut,
             responses={**NOT_FOUND, 409: {"description": "Already resolved"}}, summary="Close a complaint")
async def resolve_complaint(complaint_id: uuid.UUID, pool: Pool, cipher: Cipher,
                            body: ResolveIn | None = None) -> ComplaintOut:
    try:
        async with pool.acquire() as conn, conn.transaction():
            await handlers.resolve(conn, complaint_id, body.note if body else None)
    except handlers.NotFound:
        raise HTTPException(404, f"no complaint {complaint_id}") from None
    except handlers.Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    return await get_complaint(complaint_id, pool, cipher)


@router.post("/complaints/{complaint_id}/classification", response_model=ComplaintOut,
             responses={**NOT_FOUND, 409: {"description": "Already resolved"},
                        422: {"description": "Unknown type or urgency (the message lists the known ones)"}},
             summary="Set the type (an officer's choice or correction)")
async def reclassify_complaint(complaint_id: uuid.UUID, body: ReclassifyIn, pool: Pool,
                               cipher: Cipher) -> ComplaintOut:
    """The officer chooses the type of a complaint the model was unsure about, or corrects it.
    The choice is announced (`intake.complaint.reclassified.v1`) and the classifier keeps it as a
    labelled example for its next `retrain`. A complaint not yet dispatched is dispatched now; one
    dispatched under another type is dispatched again to the right team's on-call worker."""
    if body.type not in COMPLAINT_TYPES:
        raise HTTPException(422, f"unknown type {body.type!r}; one of: {', '.join(COMPLAINT_TYPES)}")
    try:
        async with pool.acquire() as conn, conn.transaction():
            await handlers.reclassify(conn, cipher, complaint_id, body.type, body.urgency, body.note)
    except handlers.NotFound:
        raise HTTPException(404, f"no complaint {complaint_id}") from None
    except handlers.Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    log.info("complaint type set by officer", complaint_id=str(complaint_id), type=body.type)
    return await get_complaint(complaint_id, pool, cipher)


async def _record_view(request: Request, pool: Any, items: list[ComplaintOut], complaint_id: uuid.UUID | None,
                       reason: str) -> None:
    """An access record for a machine client (bearer token, or no identity) that received caller data, masked.
    Desk sessions are not recorded here: their screens show the same masked values, and a reveal is recorded."""
    identity = getattr(request.state, "identity", None)
    if getattr(identity, "via", None) == "session":
        return
    with_pii = [c for c in items if c.complainant is not None]
    if not with_pii:
        return
    fields = [f"complainant_{f}(masked)" for f in ("name", "phone") if any(getattr(c.complainant, f) for c in with_pii)]
    fields += ["address"] if any(c.location.address for c in with_pii) else []
    ip = request.client.host if request.client else None
    actor = (access_records.Actor(identity.name, identity.role, None, ip) if identity is not None
             else access_records.Actor("api", "api", None, ip))
    if complaint_id is None:
        reason += f" (민원인 정보 포함 {len(with_pii)}건: " + ", ".join(str(c.id)[:8] for c in with_pii[:50]) + ")"
    async with pool.acquire() as conn:
        await access_records.append(conn, actor, "view", complaint_id=complaint_id, fields=fields, reason=reason)


def _to_out(row: Any, cipher: FieldCipher) -> ComplaintOut:
    complainant = None
    if row["complainant_name_enc"] is not None or row["complainant_phone_enc"] is not None:
        complainant = ComplainantOut(
            name=_masked(cipher, row, "complainant_name", mask_name),
            phone=_masked(cipher, row, "complainant_phone", mask_phone),
        )
    classification = None
    if row["type"]:
        classification = Classification(
            type=row["type"], type_label=COMPLAINT_TYPES.get(row["type"], row["type"]),
            urgency=row["urgency"], urgency_label=URGENCY_LABELS.get(row["urgency"], row["urgency"]),
            department=row["department"], confidence=row["confidence"], model_version=row["model_version"],
            suggested_type=row["suggested_type"], needs_review=row["needs_review"],
            candidates=[Candidate(type=c["type"], type_label=COMPLAINT_TYPES.get(c["type"], c["type"]),
                                  probability=c["probability"]) for c in row["candidates"] or []],
            corrected=row["corrected_at"] is not None, weather=row["weather"],
            weather_raised=row["weather_raised"],
        )
    return ComplaintOut(
        id=row["id"], status=row["status"], channel=row["channel"], description=row["description"],
        received_at=row["received_at"],
        location=LocationOut(address=row["address"], district=row["district"], lat=row["lat"], lon=row["lon"]),
        complainant=complainant, classification=classification, dispatched_at=row["dispatched_at"],
        acknowledged_at=row["acknowledged_at"], resolved_at=row["resolved_at"],
        resolution_note=row["resolution_note"], duplicate_of=row["duplicate_of"], held=row["held_at"] is not None,
        hold_reason=row["hold_reason"], dispatch_attempt=row["dispatch_attempt"],
        dispatch_worker_id=row["dispatch_worker_id"],
    )


def _masked(cipher: FieldCipher, row: Any, column: str, mask: Any) -> str | None:
    blob = row[f"{column}_enc"]
    if blob is None:
        return None
    try:
        return mask(cipher.decrypt(blob, table="complaints", column=column, row_id=row["id"]).reveal())
    except DecryptionError as exc:
        log.error("stored personal data does not decrypt", complaint_id=str(row["id"]), column=column,
                  error=str(exc))
        return "[복호화 실패]"


class BodyLimit:
    """ASGI middleware: 413 for a body over the limit, whether announced or streamed."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await self._reject(send)
        seen = 0

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._reject(send)

    async def _reject(self, send: Any) -> None:
        await JSONResponse({"detail": f"request body is larger than {self.max_bytes // 1024} KiB"},
                           status_code=413)({"type": "http"}, None, send)


class _TooLarge(Exception):
    pass


def install(app: FastAPI) -> None:
    app.include_router(router)
