"""Open311 GeoReport v2 under /open311/v2: the six methods, each as .json and .xml.

Reading is public (no key); filing needs an API key (``python -m intake api-key issue``).
Errors are ``[{code, description}]`` / ``<errors><error>…`` in the requested format.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import Response

from sunmoon.events import utcnow
from sunmoon.logging import get_logger

from . import catalog, domain, keys, repository
from .filing import parse_filing, store_filing
from .xml import FORMATS, Open311Error, error_response, render

log = get_logger(__name__)
router = APIRouter(prefix="/open311/v2", tags=["open311"])
Fmt = Annotated[str, Path(description="Answer format: json or xml (XML is the standard's mandatory format)")]
# every answer, errors included, comes in the format the path asks for: JSON or the standard's XML
_EITHER = {"content": {"application/json": {}, "text/xml": {"schema": {"type": "string"}}}}
_ERRORS = {400: {"description": "Missing or invalid field: [{code, description}]", **_EITHER},
           404: {"description": "Unknown service, request, token or format", **_EITHER}}
_COMMON = {"responses": {200: {"description": "The answer, in JSON or XML as the path asks", **_EITHER}, **_ERRORS}}


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"형식 {fmt!r}은 지원하지 않습니다: json 또는 xml (format must be json or xml)")
    return fmt


def _check(request: Request, fmt: str, params: dict[str, list[str]] | None = None) -> str:
    fmt = _fmt(fmt)
    given = (params or {}).get("jurisdiction_id") or request.query_params.getlist("jurisdiction_id")
    if given and given[-1] not in ("", domain.JURISDICTION_ID):
        raise Open311Error(404, f"jurisdiction_id {given[-1]!r}를 모릅니다; 이 서버는 {domain.JURISDICTION_ID} "
                                f"입니다 (unknown jurisdiction_id)", fmt)
    return fmt


def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


@router.get("/discovery.{fmt}", summary="Service discovery: endpoints, formats, where to ask for a key", **_COMMON)
async def discovery(request: Request, fmt: Fmt) -> Response:
    fmt = _check(request, fmt)
    base = str(request.base_url).rstrip("/") + "/open311/v2"
    return render(fmt, "discovery", {
        "changeset": "2026-11-30T00:00:00+09:00",
        "contact": "김포시 야간 민원 당직실 (Gimpo after-hours complaint desk) — API 키 발급: 정보통신과",
        "key_service": "관리자에게 요청하면 발급합니다 (issued by an administrator: python -m intake api-key issue)",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                       "changeset": "2026-11-30T00:00:00+09:00", "type": "production",
                       "formats": ["text/xml", "application/json"]}],
    })


@router.get("/services.{fmt}", summary="Service list: one service per complaint type (Korean names)", **_COMMON)
async def services(request: Request, fmt: Fmt) -> Response:
    fmt = _check(request, fmt)
    return render(fmt, "services", [
        {"service_code": s.code, "service_name": s.name, "description": s.description, "metadata": s.metadata,
         "type": "realtime", "keywords": ", ".join(s.keywords), "group": s.group}
        for s in catalog.SERVICES.values()])


@router.get("/services/{service_code}.{fmt}", summary="Service definition: the attributes of one service",
            **_COMMON)
async def service_definition(request: Request, service_code: str, fmt: Fmt) -> Response:
    fmt = _check(request, fmt)
    service = _service(service_code, fmt)
    return render(fmt, "service_definition", {"service_code": service.code, "attributes": [
        {"variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
         "datatype_description": a.datatype_description or None, "order": a.order, "description": a.description,
         "values": [{"key": k, "name": n} for k, n in a.values]}
        for a in service.attributes]})


def _service(code: str, fmt: str) -> catalog.Service:
    service = catalog.SERVICES.get(code.strip())
    if service is None:
        raise Open311Error(404, f"service_code {code!r}를 찾을 수 없습니다 (service_code not found; see "
                                f"services.{fmt})", fmt)
    return service


@router.post("/requests.{fmt}", status_code=201, summary="File a service request (needs api_key)",
             responses={201: {"description": "Filed: [{service_request_id}] in JSON or XML", **_EITHER}, **_ERRORS,
                        403: {"description": "Missing, unknown or revoked api_key", **_EITHER},
                        429: {"description": "The key's rate limit is spent", **_EITHER}},
             openapi_extra={"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
                 "type": "object", "required": ["api_key", "service_code"], "properties": {
                     n: {"type": "string"} for n in (
                         "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string",
                         "email", "device_id", "account_id", "first_name", "last_name", "phone", "description",
                         "media_url", "attribute[CODE]")}}}}}})
async def create_request(request: Request, fmt: Fmt) -> Response:
    """Form fields of GeoReport v2. The request becomes a complaint (channel ``open311``): classified,
    dispatched, on the board and in reports like any other. Name, phone, e-mail, device and account ids are
    stored encrypted and never answered. The answer carries the ``service_request_id`` and a ``token``."""
    fmt = _fmt(fmt)
    params = await _form(request, fmt)
    _check(request, fmt, params)
    pool = _pool(request)
    async with pool.acquire() as conn:
        try:
            key_id = await keys.authorize(conn, (params.get("api_key") or request.query_params.getlist("api_key")
                                                 or [""])[-1])
        except keys.InvalidKey:
            raise Open311Error(403, "api_key가 없거나 유효하지 않습니다 (api_key missing, unknown or revoked)",
                               fmt) from None
        except keys.RateLimited:
            raise Open311Error(429, "이 API 키의 요청 한도를 넘었습니다. 잠시 후 다시 시도하세요 "
                                    "(rate limit for this api_key exceeded)", fmt) from None
        try:
            filing = parse_filing(params)
        except catalog.InvalidAttribute as exc:
            raise Open311Error(400, str(exc), fmt) from None
        except LookupError as exc:
            raise Open311Error(404, str(exc.args[0]), fmt) from None
        except ValueError as exc:
            raise Open311Error(400, str(exc), fmt) from None
        async with conn.transaction():
            complaint_id, token = await store_filing(conn, request.app.state.cipher, filing, key_id,
                                                     received_at=utcnow())
    log.info("open311 request filed", complaint_id=str(complaint_id), api_key_id=key_id,
             service_code=filing.service.code)
    return render(fmt, "service_requests", [{"service_request_id": str(complaint_id), "token": str(token),
                                             "service_notice": domain.SERVICE_NOTICE}], 201)


async def _form(request: Request, fmt: str) -> dict[str, list[str]]:
    ctype = request.headers.get("content-type", "application/x-www-form-urlencoded").split(";")[0].strip()
    if ctype not in ("application/x-www-form-urlencoded", ""):
        raise Open311Error(400, "본문은 application/x-www-form-urlencoded 형식이어야 합니다 "
                                "(send the fields form-urlencoded, as the standard says)", fmt)
    try:
        pairs = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise Open311Error(400, "본문을 읽을 수 없습니다 (body is not valid UTF-8 form data)", fmt) from None
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


@router.get("/requests.{fmt}", summary="Service requests: filtered by ids, codes, status, dates (max 90 days)",
            **_COMMON)
async def list_requests(request: Request, fmt: Fmt, service_request_id: str | None = None,
                        service_code: str | None = None, start_date: str | None = None,
                        end_date: str | None = None, status: str | None = None) -> Response:
    """Only requests filed through Open311 are public (callers of the desk never agreed to publication).
    ``service_request_id`` (comma-separated) overrides the other filters; at most 1,000 results."""
    fmt = _check(request, fmt)
    ids = None
    if service_request_id is not None:
        ids = [i for i in (_uuid(part) for part in _split(service_request_id)) if i is not None]
    codes = [_service(c, fmt).code for c in _split(service_code)] or None
    statuses = sorted(set(_split(status)))
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, "status 는 open 또는 closed 입니다 (status must be open or closed)", fmt)
    try:
        start = domain.parse_w3c(start_date, "start_date") if start_date else None
        end = domain.parse_w3c(end_date, "end_date") if end_date else None
        window = domain.date_range(start, end, utcnow())
    except ValueError as exc:
        raise Open311Error(400, str(exc), fmt) from None
    rows = await repository.search(_pool(request), ids=ids, codes=codes, statuses=statuses, start=window[0],
                                   end=window[1], limit=domain.MAX_RESULTS)
    return render(fmt, "service_requests", [domain.public_request(r) for r in rows])


@router.get("/requests/{service_request_id}.{fmt}", summary="One service request", **_COMMON)
async def get_request(request: Request, service_request_id: str, fmt: Fmt) -> Response:
    fmt = _check(request, fmt)
    request_id = _uuid(service_request_id)
    row = await repository.get(_pool(request), request_id) if request_id else None
    if row is None:
        raise Open311Error(404, f"service_request_id {service_request_id!r}를 찾을 수 없습니다 "
                                f"(service request not found)", fmt)
    return render(fmt, "service_requests", [domain.public_request(row)])


@router.get("/tokens/{token_id}.{fmt}", summary="Request id from a token", **_COMMON)
async def token(request: Request, token_id: str, fmt: Fmt) -> Response:
    fmt = _check(request, fmt)
    token_uuid = _uuid(token_id)
    found = await repository.by_token(_pool(request), token_uuid) if token_uuid else None
    if found is None:
        raise Open311Error(404, f"token {token_id!r}를 찾을 수 없습니다 (token not found)", fmt)
    return render(fmt, "service_requests", [{"service_request_id": str(found), "token": token_id}])


@router.api_route("/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
async def unknown(rest: str) -> Response:
    fmt = "xml" if rest.endswith(".xml") else "json"
    raise Open311Error(404, f"{rest!r}: GeoReport v2에 없는 경로입니다 (no such method)", fmt)


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def install(app: FastAPI) -> None:
    from . import admin_page  # the administrators' screen /desk/admin/api-keys (uses the desk's sign-in)

    app.include_router(router)
    app.include_router(admin_page.router)

    async def _on_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Open311Error)
        return error_response(exc)

    app.add_exception_handler(Open311Error, _on_error)
