"""The classifier's HTTP API (FastAPI). OpenAPI docs at /docs."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Request

from sunmoon.logging import get_logger

from . import models, repository, type_settings
from .schemas import ClassificationOut, ClassifyIn, ClassifyOut, ManualOut, TypeList, TypeOut, TypeSettingIn
from .taxonomy import TYPES, unknown_type_message

log = get_logger(__name__)
router = APIRouter(prefix="/api/v1")


async def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


Pool = Annotated[Any, Depends(_pool)]


@router.post("/classify", response_model=ClassifyOut, tags=["classification"],
             summary="Classify a text (nothing is stored or published)",
             responses={422: {"description": "No text field, or text longer than 20,000 characters"}})
async def classify(body: ClassifyIn, request: Request, pool: Pool) -> ClassifyOut:
    """Type, urgency, department and confidence the model gives this text, the terms that
    decided them, and the handling manual of the type. A preview: nothing is stored and no
    event is published; complaints are classified when intake announces them."""
    settings = await type_settings.load(pool)
    result = type_settings.apply(models.classify(request.app.state.model.model, body.text), settings)
    row = await repository.current_manual(pool, result.type)
    return ClassifyOut.build(result, ManualOut.from_row(row) if row else None,
                             labels={code: s.label for code, s in settings.items()})


@router.get("/types", response_model=TypeList, tags=["taxonomy"],
            summary="The fifteen complaint types with Korean labels, departments and default urgencies")
async def list_types(pool: Pool) -> TypeList:
    """In the order of the labelling guide; `other` (기타) last. Includes what administrators
    changed (`PUT /api/v1/types/{code}`)."""
    return TypeList(types=[TypeOut.of(s) for s in (await type_settings.load(pool)).values()])


@router.put("/types/{code}", response_model=TypeOut, tags=["taxonomy"],
            summary="Change a type's label, department, default urgency or active flag",
            responses={404: {"description": "Unknown type: types are the model's classes; a new one needs "
                                            "training data and a retrained model"},
                       422: {"description": "A field missing, blank or too long; `other` cannot be deactivated"}})
async def put_type(code: Annotated[str, Path(description="Type code, e.g. water_supply")], body: TypeSettingIn,
                   pool: Pool) -> TypeOut:
    """Stored in `type_settings`; from now on previews, stored classifications and the
    classified event use the new department and default urgency. Inactive: the classifier
    picks the most likely active type instead and marks the complaint `needs_review`."""
    if code not in TYPES:
        raise HTTPException(404, unknown_type_message(code) + ". A new type cannot be added here: the model "
                                 "would need training data for it and retraining (see the classifier's README)")
    if code == "other" and not body.active:
        raise HTTPException(422, "type 'other' is the fallback of every unsure classification and stays active")
    saved = await type_settings.save(pool, type_settings.TypeSetting(
        code=code, label=body.label, department=body.department, default_urgency=body.default_urgency,
        active=body.active, updated_by=body.edited_by))
    log.info("type settings changed", code=code, label=saved.label, department=saved.department,
             default_urgency=saved.default_urgency, active=saved.active, editor=body.edited_by)
    return TypeOut.of(saved)


@router.get("/manuals/{type}", response_model=ManualOut, tags=["manuals"],
            summary="The handling manual of a complaint type (newest version)",
            responses={404: {"description": "Unknown type (the message lists the known ones)"}})
async def get_manual(type: Annotated[str, Path(description="Type code, e.g. water_supply")], pool: Pool) -> ManualOut:
    if type not in TYPES:
        raise HTTPException(404, unknown_type_message(type))
    row = await repository.current_manual(pool, type)
    if row is None:
        raise HTTPException(404, f"no manual recorded for type {type!r}")
    return ManualOut.from_row(row)


@router.get("/classifications/{complaint_id}", response_model=ClassificationOut, tags=["classification"],
            summary="How a complaint was classified",
            responses={404: {"description": "This complaint has not been classified (yet)"},
                       422: {"description": "complaint_id is not a UUID"}})
async def get_classification(complaint_id: uuid.UUID, pool: Pool) -> ClassificationOut:
    """The stored classification of a complaint announced by intake, with the ids of the
    received event it came from and the classified event it published."""
    row = await repository.classification(pool, complaint_id)
    if row is None:
        raise HTTPException(404, f"no classification for complaint {complaint_id}")
    return ClassificationOut.from_row(row)


def install(app: FastAPI) -> None:
    app.include_router(router)
