"""The notifier's JSON API (FastAPI). OpenAPI docs at /docs; the acknowledgement pages are in ack.py."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request, Response

from sunmoon.crypto import DecryptionError, FieldCipher, mask_name, mask_phone
from sunmoon.events import utcnow
from sunmoon.events.classifier import COMPLAINT_TYPES
from sunmoon.logging import get_logger

from . import domain, escalation, repository, roster
from .domain import Team, Worker
from .schemas import (
    ID_PATTERN, EscalationOut, EscalationPage, NotificationOut, NotificationPage, OnCallOut, OnCallWorker, RosterOut,
    ShiftIn, ShiftOut, SmsOut, SmsPage, TeamIn, TeamOut, WorkerIn, WorkerOut,
)

log = get_logger(__name__)
router = APIRouter(prefix="/api/v1")


async def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


async def _cipher(request: Request) -> FieldCipher:
    return request.app.state.cipher


Pool = Annotated[Any, Depends(_pool)]
Cipher = Annotated[FieldCipher, Depends(_cipher)]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Rows to skip")]  # bounded: PostgreSQL bigint
TeamId = Annotated[str, Path(pattern=ID_PATTERN, description="Lower-case letters, digits, - and _")]
WorkerId = Annotated[str, Path(pattern=ID_PATTERN, description="Lower-case letters, digits, - and _")]
ShiftId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The assignment's number (bigint)")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Not found"}}


@router.get("/roster", response_model=RosterOut, tags=["roster"], summary="Teams, field workers and shifts")
async def get_roster(pool: Pool, cipher: Cipher) -> RosterOut:
    """Every team (complaint types, area, active) with its workers and shift assignments;
    names and phone numbers masked."""
    teams = await roster.team_rows(pool)
    _, workers = await repository.roster_rows(pool)
    members: dict[str, list[WorkerOut]] = {}
    for w in workers:
        members.setdefault(w["team_id"], []).append(_worker_out(cipher, w))
    shifts: dict[str, list[ShiftOut]] = {}
    for r in await roster.shift_rows(pool):
        shifts.setdefault(r["team_id"], []).append(_shift_out(r))
    return RosterOut(teams=[_team_out(t, members.get(t["id"], []), shifts.get(t["id"], [])) for t in teams])


@router.get("/roster/on-call", response_model=OnCallOut, tags=["roster"],
            responses={404: {"description": "Nobody at all is on call for this"}, 422: {"description": "Bad type"}},
            summary="Who would be texted for a complaint of this type, place and time")
async def get_on_call(
    pool: Pool, cipher: Cipher,
    type: Annotated[str, Query(description="Complaint type code, e.g. sewer_drainage")],
    district: Annotated[str | None, Query(description="읍·면·동, e.g. 사우동")] = None,
    at: Annotated[datetime | None, Query(description="ISO 8601; no offset means Korean time; default now")] = None,
) -> OnCallOut:
    """The shift of that moment (office hours, weekday night, weekend, public holiday — see the README),
    the team and the worker texted first, then who follows on escalation."""
    if type not in COMPLAINT_TYPES:
        raise HTTPException(422, f"unknown type {type!r}; one of: {', '.join(COMPLAINT_TYPES)}")
    when = roster.to_kst(at) if at is not None else utcnow()
    crew = await roster.who_is_on_call(pool, type, district, when)
    if crew is None:
        raise HTTPException(404, "nobody active on the roster for this type, not even the duty supervisor team")
    rows = {w["id"]: w for w in (await repository.roster_rows(pool))[1]}

    def person(role: str, wid: str) -> OnCallWorker:
        w = rows[wid]
        out = _worker_out(cipher, w)
        return OnCallWorker(role=role, id=wid, name=out.name, phone=out.phone, active=w["active"])

    slot = crew.slot
    return OnCallOut(
        at=when, at_kst=roster.to_kst(when).strftime("%Y-%m-%d %H:%M (%a)"), kind=slot.kind,
        kind_label=roster.KIND_LABELS[slot.kind], duty_date=slot.duty_date, holiday=slot.holiday,
        shift_starts_at=slot.starts_at, shift_ends_at=slot.ends_at, team_id=crew.team.id, team_name=crew.team.name,
        fallback=crew.fallback, source=crew.source, shift_id=crew.shift_id,
        texted_first=person(*crew.first), then=[person(r, w) for r, w in crew.chain[1:]],
        assigned={"primary": crew.primary, "backup": crew.backup, "supervisor": crew.supervisor},
    )


@router.put("/roster/teams/{team_id}", response_model=TeamOut, tags=["roster"],
            responses={201: {"description": "Created"}, 422: {"description": "Invalid field"}},
            summary="Create or replace a team")
async def put_team(team_id: TeamId, body: TeamIn, response: Response, pool: Pool, cipher: Cipher) -> TeamOut:
    team = Team(id=team_id, name=body.name, types=tuple(body.types),
                districts=tuple(body.districts) if body.districts is not None else None, fallback=body.fallback)
    async with pool.acquire() as conn, conn.transaction():
        new = await roster.save_team(conn, team, active=body.active)
    response.status_code = 201 if new else 200
    log.info("roster: team saved", team=team_id, new=new)
    return await _one_team(pool, cipher, team_id)


@router.delete("/roster/teams/{team_id}", response_model=TeamOut, tags=["roster"], responses=NOT_FOUND,
               summary="Deactivate a team (kept for the record; PUT with active: true brings it back)")
async def delete_team(team_id: TeamId, pool: Pool, cipher: Cipher) -> TeamOut:
    if not await roster.set_team_active(pool, team_id, False):
        raise HTTPException(404, f"no team {team_id!r}")
    log.info("roster: team deactivated", team=team_id)
    return await _one_team(pool, cipher, team_id)


@router.put("/roster/workers/{worker_id}", response_model=WorkerOut, tags=["roster"],
            responses={201: {"description": "Created"}, 409: {"description": "Phone number already used"},
                       422: {"description": "Invalid field, unknown team, name/phone missing for a new worker"}},
            summary="Create or change a field worker (name and phone stored encrypted, answered masked)")
async def put_worker(worker_id: WorkerId, body: WorkerIn, response: Response, pool: Pool,
                     cipher: Cipher) -> WorkerOut:
    async with pool.acquire() as conn, conn.transaction():
        if await roster.team_row(conn, body.team_id) is None:
            raise HTTPException(422, f"no team {body.team_id!r}; create it first (PUT /api/v1/roster/teams/{{id}})")
        existing = await roster.worker_row(conn, worker_id)
        if existing is None and (body.name is None or body.phone is None):
            raise HTTPException(422, "a new worker needs a name and a phone number")
        if body.phone is not None:
            other = await roster.worker_with_phone(conn, cipher.blind_index(body.phone), other_than=worker_id)
            if other:
                raise HTTPException(409, f"worker {other!r} already has this phone number")

        def enc(value: str | None, column: str) -> bytes | None:
            return cipher.encrypt(value, table="workers", column=column, row_id=worker_id) if value else None

        name_enc, phone_enc = enc(body.name, "name"), enc(body.phone, "phone")
        phone_idx = cipher.blind_index(body.phone) if body.phone else None
        if existing is None:
            await repository.upsert_worker(conn, Worker(worker_id, body.team_id, body.role, body.active),
                                           name_enc=name_enc, phone_enc=phone_enc, phone_idx=phone_idx)
        else:
            await roster.update_worker(conn, worker_id, team_id=body.team_id, role=body.role, active=body.active,
                                       name_enc=name_enc, phone_enc=phone_enc, phone_idx=phone_idx)
        row = await roster.worker_row(conn, worker_id)
    response.status_code = 201 if existing is None else 200
    log.info("roster: worker saved", worker_id=worker_id, team=body.team_id, new=existing is None)
    return _worker_out(cipher, row)


@router.delete("/roster/workers/{worker_id}", response_model=WorkerOut, tags=["roster"], responses=NOT_FOUND,
               summary="Deactivate a field worker (no longer texted; kept for the record)")
async def delete_worker(worker_id: WorkerId, pool: Pool, cipher: Cipher) -> WorkerOut:
    if not await roster.set_worker_active(pool, worker_id, False):
        raise HTTPException(404, f"no worker {worker_id!r}")
    log.info("roster: worker deactivated", worker_id=worker_id)
    return _worker_out(cipher, await roster.worker_row(pool, worker_id))


@router.post("/roster/shifts", response_model=ShiftOut, status_code=201, tags=["roster"],
             responses={409: {"description": "The slot has an assignment already"},
                        422: {"description": "Invalid field, unknown team or worker"}},
             summary="Assign a shift: team, kind (or a date exception), primary, backup, supervisor")
async def post_shift(body: ShiftIn, pool: Pool) -> ShiftOut:
    return await _save_shift(pool, body, None)


@router.put("/roster/shifts/{shift_id}", response_model=ShiftOut, tags=["roster"],
            responses={**NOT_FOUND, 409: {"description": "Another assignment has that slot"}},
            summary="Replace a shift assignment")
async def put_shift(shift_id: ShiftId, body: ShiftIn, pool: Pool) -> ShiftOut:
    return await _save_shift(pool, body, shift_id)


@router.delete("/roster/shifts/{shift_id}", status_code=204, tags=["roster"], responses=NOT_FOUND,
               summary="Remove a shift assignment")
async def delete_shift(shift_id: ShiftId, pool: Pool) -> Response:
    if not await roster.delete_shift(pool, shift_id):
        raise HTTPException(404, f"no shift assignment {shift_id}")
    log.info("roster: shift removed", shift_id=shift_id)
    return Response(status_code=204)


async def _save_shift(pool: Any, body: ShiftIn, shift_id: int | None) -> ShiftOut:
    if body.on_date is not None and body.kind is not None and body.kind not in roster.kind_of_date(body.on_date):
        kinds = " or ".join(roster.kind_of_date(body.on_date))
        what = roster.holiday_name(body.on_date) or body.on_date.strftime("%A")
        raise HTTPException(422, f"{body.on_date} ({what}) has shifts of kind {kinds}, not {body.kind}")
    async with pool.acquire() as conn, conn.transaction():
        if shift_id is not None and await roster.shift_row(conn, shift_id) is None:
            raise HTTPException(404, f"no shift assignment {shift_id}")
        if await roster.team_row(conn, body.team_id) is None:
            raise HTTPException(422, f"no team {body.team_id!r}")
        missing = [w for w in body.ids() if w not in await roster.workers_exist(conn, body.ids())]
        if missing:
            raise HTTPException(422, f"no worker {', '.join(map(repr, missing))}; add them first "
                                     "(PUT /api/v1/roster/workers/{id})")
        taken = await roster.slot_taken(conn, body.team_id, body.kind, body.on_date, except_id=shift_id)
        if taken:
            raise HTTPException(409, f"team {body.team_id!r} already has assignment {taken} for this slot; "
                                     f"change it with PUT /api/v1/roster/shifts/{taken}")
        new_id = await roster.save_shift(conn, {
            "team_id": body.team_id, "kind": body.kind, "on_date": body.on_date, "primary": body.primary_worker_id,
            "backup": body.backup_worker_id, "supervisor": body.supervisor_worker_id, "note": body.note},
            shift_id=shift_id)
        row = await roster.shift_row(conn, new_id)
    log.info("roster: shift saved", shift_id=new_id, team=body.team_id, kind=body.kind, new=shift_id is None)
    return _shift_out(row)


@router.get("/escalations", response_model=EscalationPage, tags=["notifications"],
            summary="Escalation chains: who was texted next because nobody acknowledged")
async def list_escalations(
    pool: Pool, request: Request,
    complaint_id: Annotated[uuid.UUID | None, Query(description="Only this complaint's chains")] = None,
    state: Literal["waiting", "acknowledged", "exhausted", "superseded"] | None = None,
    limit: Limit = 50, offset: Offset = 0,
) -> EscalationPage:
    waits = escalation.Waits.from_settings(request.app.state.settings)
    items = []
    for r in await escalation.list_escalations(pool, complaint_id=complaint_id, state=state, limit=limit,
                                               offset=offset):
        wait = {"urgent": waits.urgent, "low": waits.low}.get(r["urgency"], waits.normal)
        due = r["stage_started_at"] + timedelta(seconds=wait) if r["state"] == "waiting" else None
        steps = json.loads(r["steps"]) if isinstance(r["steps"], str) else r["steps"]
        items.append(EscalationOut(**{k: r[k] for k in EscalationOut.model_fields if k not in ("steps", "escalate_at")},
                                   escalate_at=due, steps=steps))
    return EscalationPage(items=items, limit=limit, offset=offset)


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


def _worker_out(cipher: FieldCipher, w: Any) -> WorkerOut:
    return WorkerOut(id=w["id"], role=w["role"], active=w["active"],
                     name=_masked(cipher, w["name_enc"], "name", w["id"], mask_name),
                     phone=_masked(cipher, w["phone_enc"], "phone", w["id"], mask_phone))


def _shift_out(r: Any) -> ShiftOut:
    return ShiftOut(**{k: r[k] for k in ShiftOut.model_fields if k != "kind_label"},
                    kind_label=roster.KIND_LABELS.get(r["kind"]) if r["kind"] else None)


def _team_out(t: Any, workers: list[WorkerOut], shifts: list[ShiftOut]) -> TeamOut:
    return TeamOut(id=t["id"], name=t["name"], types=list(t["types"]),
                   type_labels=[domain.type_label(x) for x in t["types"]],
                   districts=list(t["districts"]) if t["districts"] is not None else None,
                   fallback=t["fallback"], active=t["active"], workers=workers, shifts=shifts)


async def _one_team(pool: Any, cipher: FieldCipher, team_id: str) -> TeamOut:
    t = await roster.team_row(pool, team_id)
    _, workers = await repository.roster_rows(pool)
    return _team_out(t, [_worker_out(cipher, w) for w in workers if w["team_id"] == team_id],
                     [_shift_out(r) for r in await roster.shift_rows(pool, team_id=team_id)])


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
