"""The classifier's HTTP API (FastAPI). OpenAPI docs at /docs."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Request

from . import models, repository
from .schemas import ClassificationOut, ClassifyIn, ClassifyOut, ManualOut, TypeList, TypeOut
from .taxonomy import TYPES, unknown_type_message

router = APIRouter(prefix="/api/v1")


def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


Pool = Annotated[Any, Depends(_pool)]


@router.post("/classify", response_model=ClassifyOut, tags=["classification"],
             summary="Classify a text (nothing is stored or published)",
             responses={422: {"description": "No text field, or text longer than 20,000 characters"}})
async def classify(body: ClassifyIn, request: Request, pool: Pool) -> ClassifyOut:
    """Type, urgency, department and confidence the model gives this text, the terms that
    decided them, and the handling manual of the type. A preview: nothing is stored and no
    event is published; complaints are classified when intake announces them."""
    result = models.classify(request.app.state.model.model, body.text)
    row = await repository.current_manual(pool, result.type)
    return ClassifyOut.build(result, ManualOut.from_row(row) if row else None)


@router.get("/types", response_model=TypeList, tags=["taxonomy"],
            summary="The fifteen complaint types with Korean labels and departments")
async def list_types() -> TypeList:
    """In the order of the labelling guide; `other` (기타) last."""
    return TypeList(types=[TypeOut.of(info) for info in TYPES.values()])


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
