"""POST requests: read and check the GeoReport v2 form fields, then file the complaint.

The caller's ``service_code`` is a hint, not the record: the complaint is classified like any other.
The hint is kept in ``open311_requests.service_code`` and written, with the attributes, as one labelled
line under the caller's text (``[Open311 신청 유형: 불법 주정차] 차량번호: 12가3456``), so the officer
sees it on the desk and the classifier reads it as part of the complaint.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sunmoon.crypto import FieldCipher

from .. import domain as intake_domain
from .. import handlers
from . import catalog, repository

_ATTR = re.compile(r"^attribute\[([A-Za-z0-9_.-]{1,60})\](\[\])?$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
_HANGUL = re.compile(r"^[가-힣]+$")
TABLE = "open311_requests"


@dataclass(frozen=True)
class Filing:
    service: catalog.Service
    attributes: dict[str, Any]
    description: str
    lat: float | None
    lon: float | None
    address: str | None
    name: str | None
    phone: str | None
    email: str | None
    device_id: str | None
    account_id: str | None
    media_url: str | None
    jurisdiction_id: str | None


def _one(params: dict[str, list[str]], name: str, max_len: int) -> str | None:
    values = [v.strip() for v in params.get(name, []) if v.strip()]
    if not values:
        return None
    if len(values[-1]) > max_len:
        raise ValueError(f"{name}: {max_len}자를 넘습니다 (longer than {max_len} characters)")
    return values[-1]


def _coordinate(params: dict[str, list[str]], name: str, low: float, high: float) -> float | None:
    text = _one(params, name, 40)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}: 숫자가 아닙니다 (invalid {name}: {text!r})") from None
    if not low <= value <= high:
        raise ValueError(f"{name}: 한국 밖의 좌표입니다 (invalid {name}: {value} is outside {low}..{high})")
    return value


def parse_filing(params: dict[str, list[str]]) -> Filing:
    """ValueError (400) for a missing or invalid field, LookupError (404) for an unknown service_code,
    catalog.InvalidAttribute (400) for a missing required or invalid attribute."""
    code = _one(params, "service_code", 60)
    if code is None:
        raise ValueError("service_code 가 없습니다 (service_code is required)")
    service = catalog.SERVICES.get(code)
    if service is None:
        raise LookupError(f"service_code {code!r}를 찾을 수 없습니다 (service_code not found)")
    lat = _coordinate(params, "lat", 33.0, 39.0)
    lon = _coordinate(params, "long", 124.0, 132.0)
    if (lat is None) != (lon is None):
        raise ValueError("lat 과 long 은 함께 주어야 합니다 (give both lat and long)")
    address = _one(params, "address_string", 300)
    if lat is None and address is None:
        raise ValueError("위치가 없습니다: lat/long 또는 address_string (lat/long or address_string is required;"
                         " address_id is not supported)")
    given: dict[str, list[str]] = {}
    for name, values in params.items():
        match = _ATTR.match(name)
        if match:
            given.setdefault(match.group(1), []).extend(values)
        elif name.startswith("attribute"):
            raise ValueError(f"{name}: attribute[CODE] 형식이 아닙니다 (malformed attribute field)")
    attributes = catalog.clean_attributes(service, given)
    phone = _one(params, "phone", 20)
    if phone is not None and not intake_domain.valid_phone(phone):
        raise ValueError("phone: 한국 전화번호가 아닙니다 (not a Korean phone number, e.g. 010-1234-5678)")
    email = _one(params, "email", 254)
    if email is not None and not _EMAIL.match(email):
        raise ValueError("email: 이메일 주소 형식이 아닙니다 (invalid email)")
    media_url = _one(params, "media_url", 1000)
    if media_url is not None and not media_url.startswith(("https://", "http://")):
        raise ValueError("media_url: http(s) 주소여야 합니다 (media_url must be an http(s) URL)")
    return Filing(
        service=service, attributes=attributes, description=_one(params, "description", 4000) or "",
        lat=lat, lon=lon, address=address, name=_name(_one(params, "first_name", 40), _one(params, "last_name", 40)),
        phone=phone, email=email, device_id=_one(params, "device_id", 200),
        account_id=_one(params, "account_id", 200), media_url=media_url,
        jurisdiction_id=_one(params, "jurisdiction_id", 100))


def _name(first: str | None, last: str | None) -> str | None:
    if first and last and _HANGUL.match(first) and _HANGUL.match(last):
        return last + first  # 김 + 민수 -> 김민수
    return " ".join(p for p in (first, last) if p) or None


async def store_filing(conn: Any, cipher: FieldCipher, filing: Filing, api_key_id: int, *,
                       received_at: datetime) -> tuple[uuid.UUID, uuid.UUID]:
    """File the complaint (with its outbox event) and the Open311 row, in the caller's transaction."""
    public = intake_domain.scrub_description(filing.description) if filing.description.strip() else ""
    hint = f"[Open311 신청 유형: {filing.service.name}]"
    details = catalog.describe(filing.service, filing.attributes)
    text = "\n".join(p for p in (public, f"{hint} {details}".strip()) if p)
    complaint_id = await handlers.file_complaint(conn, cipher, handlers.NewComplaint(
        description=text, channel="open311", received_at=received_at, address=filing.address,
        lat=filing.lat, lon=filing.lon, complainant_name=filing.name, complainant_phone=filing.phone))
    token = uuid.uuid4()

    def enc(value: str | None, column: str) -> bytes | None:
        return cipher.encrypt(value, table=TABLE, column=column, row_id=complaint_id) if value else None

    await repository.insert_request(conn, {
        "complaint_id": complaint_id, "token": token, "service_code": filing.service.code,
        "attributes": filing.attributes, "public_description": public or filing.service.name,
        "address_string": filing.address, "media_url": filing.media_url, "api_key_id": api_key_id,
        "jurisdiction_id": filing.jurisdiction_id, "email_enc": enc(filing.email, "email"),
        "device_id_enc": enc(filing.device_id, "device_id"), "account_id_enc": enc(filing.account_id, "account_id"),
    })
    return complaint_id, token
