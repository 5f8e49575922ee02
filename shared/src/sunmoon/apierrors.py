"""Error answers every service's JSON API gives, and an OpenAPI document that describes them truthfully.

Installed by each service's app factory (``install(app)``), found by Schemathesis (tests/security):

* a request body that cannot be read at all (not UTF-8, a broken form) answers **422** with the same list
  shape as any other invalid body, instead of FastAPI's undocumented ``400 There was an error parsing the
  body``;
* text with a NUL character (``\u0000``), which PostgreSQL cannot store in ``text`` or ``jsonb``, answers
  **422** instead of a 500 from the database driver (the transaction is rolled back; nothing was written);
* a 422 is either FastAPI's list of field errors or, for a rule that spans fields or needs the database
  ("unknown type", "since must be before until"), one message: ``{"detail": "..."}``. The document's
  ``HTTPValidationError.detail`` says so (list **or** string), so a client generated from it can read both.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

UNREADABLE_BODY = "요청 본문을 읽을 수 없습니다: UTF-8 JSON이어야 합니다. (the request body could not be read)"
NUL_TEXT = "글자에 NUL 문자(\\u0000)를 쓸 수 없습니다. (text may not contain the NUL character)"
# what PostgreSQL answers when text or jsonb would hold a NUL: 22021 and 22P05
NUL_ERRORS = (asyncpg.exceptions.CharacterNotInRepertoireError, asyncpg.exceptions.UntranslatableCharacterError)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, (UnicodeError, ValueError)):
        return JSONResponse({"detail": [{"type": "body_unreadable", "loc": ["body"], "msg": UNREADABLE_BODY}]},
                            status_code=422)
    return await http_exception_handler(request, exc)


async def _nul_text(_request: Request, _exc: Exception) -> Response:
    return JSONResponse({"detail": [{"type": "string_nul", "loc": ["body"], "msg": NUL_TEXT}]}, status_code=422)


def _document_422(schema: dict[str, Any]) -> None:
    model = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError")
    if not model:
        return
    model["properties"]["detail"] = {
        "anyOf": [{"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}},
                  {"type": "string"}],
        "title": "Detail",
        "description": "The invalid fields (a list), or one message for a rule that spans fields (a string)",
    }


def install(app: FastAPI) -> None:
    """422 for an unreadable body and for NUL in text; ``HTTPValidationError.detail`` documented as list or
    string."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error in NUL_ERRORS:
        app.add_exception_handler(error, _nul_text)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _document_422(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
