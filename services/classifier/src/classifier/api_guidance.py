"""HTTP endpoints for editing manuals and for guiding the duty officer on a call.

``GET /api/v1/manuals/{type}`` (in ``api``) keeps returning the newest version; here:
every version, a new version, the lines of the manual that fit a text, and drafts of the
worker's SMS and the citizen's reply (LLM when configured and in time, else templates).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Request

from . import guidance_repository as repo
from .guidance import SMS_BYTES, Facts, best_sections, euckr_len
from .guidance_schemas import (
    DraftsIn,
    DraftsOut,
    LookupIn,
    LookupOut,
    ManualDetailOut,
    ManualIn,
    ManualVersions,
    Section,
)
from .llm import LLMSettings, drafts
from .taxonomy import TYPES, unknown_type_message

router = APIRouter(prefix="/api/v1")
TypePath = Annotated[str, Path(description="Type code, e.g. water_supply")]


async def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


async def _llm_settings(request: Request) -> LLMSettings:
    return request.app.state.llm_settings


Pool = Annotated[Any, Depends(_pool)]
LLM = Annotated[LLMSettings, Depends(_llm_settings)]
_UNKNOWN = {404: {"description": "Unknown type (the message lists the known ones)"}}


def _known(type_: str) -> None:
    if type_ not in TYPES:
        raise HTTPException(404, unknown_type_message(type_))


async def _newest(pool: Any, type_: str) -> Any:
    _known(type_)
    row = await repo.newest_manual(pool, type_)
    if row is None:
        raise HTTPException(404, f"no manual recorded for type {type_!r}")
    return row


@router.get("/manuals/{type}/versions", response_model=ManualVersions, tags=["manuals"],
            summary="Every version of a type's manual, newest first", responses=_UNKNOWN)
async def list_versions(type: TypePath, pool: Pool) -> ManualVersions:
    _known(type)
    rows = await repo.manual_versions(pool, type)
    return ManualVersions(type=type, type_label=TYPES[type].label,  # type: ignore[arg-type]
                          versions=[ManualDetailOut.from_row(r) for r in rows])


@router.put("/manuals/{type}", response_model=ManualDetailOut, status_code=201, tags=["manuals"],
            summary="Save a new version of a type's manual (older versions are kept)",
            responses={**_UNKNOWN, 409: {"description": "base_version is no longer the newest version"},
                       422: {"description": "A list is empty, a line blank or too long, a field missing"}})
async def put_manual(type: TypePath, body: ManualIn, pool: Pool) -> ManualDetailOut:
    """Adds `manual-<type>-v<N+1>`; classifications made from now on point at it. Send
    `base_version` (the version the editor started from) to be told (409) when someone else
    saved in between, instead of silently replacing their version as the newest."""
    _known(type)
    fields = body.model_dump(exclude={"base_version"})
    try:
        row = await repo.add_manual_version(pool, type, fields, body.base_version)
    except repo.StaleVersion as e:
        raise HTTPException(409, f"manual of {type!r} is at version {e.current}, not {body.base_version}: "
                                 "reload it and apply the edit again") from None
    return ManualDetailOut.from_row(row)


@router.post("/manuals/{type}/lookup", response_model=LookupOut, tags=["manuals"],
             summary="The newest manual and its lines that fit a complaint text", responses=_UNKNOWN)
async def lookup(type: TypePath, body: LookupIn, pool: Pool) -> LookupOut:
    row = await _newest(pool, type)
    return LookupOut(manual=ManualDetailOut.from_row(row),
                     sections=[Section(**s) for s in best_sections(row, body.text, n=3)])


@router.post("/drafts", response_model=DraftsOut, tags=["guidance"],
             summary="Draft the field worker's SMS and the citizen's reply",
             responses={422: {"description": "Unknown type or urgency (the message lists the known ones), "
                                             "empty or oversized text"}})
async def make_drafts(body: DraftsIn, pool: Pool, llm: LLM) -> DraftsOut:
    """From the LLM when `CLASSIFIER_LLM_URL` is set and it answers well within
    `CLASSIFIER_LLM_TIMEOUT_SECONDS`; otherwise from templates, with `fallback_reason`. The
    LLM never sees a phone number, e-mail, resident number or lot number."""
    manual = await repo.newest_manual(pool, body.type)
    facts = Facts(type=body.type, urgency=body.urgency, text=body.text, place=body.address or "")
    result = await drafts(facts, manual, llm)
    size = euckr_len(result.worker_sms)
    return DraftsOut(worker_sms=result.worker_sms, worker_sms_bytes=size,
                     worker_sms_kind="SMS" if size <= SMS_BYTES else "LMS", citizen_reply=result.citizen_reply,
                     source=result.source, fallback_reason=result.fallback_reason,
                     type=body.type, urgency=body.urgency,  # type: ignore[arg-type]
                     manual_id=manual["id"] if manual else None)


def install(app: FastAPI, llm_settings: LLMSettings | None = None) -> None:
    """Add these routes to the app (once; a second call changes nothing). The LLM settings
    come from the environment (``CLASSIFIER_LLM_*``) unless given; tests may replace
    ``app.state.llm_settings`` at any time."""
    if llm_settings is not None or getattr(app.state, "llm_settings", None) is None:
        app.state.llm_settings = llm_settings or LLMSettings()
    if getattr(app.state, "guidance_installed", False):
        return
    app.state.guidance_installed = True
    app.include_router(router)
