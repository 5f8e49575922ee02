"""Intake's pure rules: statuses, districts, masking. No I/O here."""

from __future__ import annotations

import re

from sunmoon.crypto import normalize_phone
from sunmoon.events.intake import STATUS_ORDER
from sunmoon.logging import mask_phones_in

_DISTRICT_RE = re.compile(r"([가-힣0-9]+(?:동|읍|면|가))(?=\s|\d|$|,)")
_PHONE_CHARS = re.compile(r"^\+?[0-9 .\-()]+$")


def status_rank(status: str) -> int:
    return STATUS_ORDER.index(status)


def advances(current: str, new: str) -> bool:
    """A status only moves forward: a late or repeated event never moves it back."""
    return status_rank(new) > status_rank(current)


def district_of(address: str | None) -> str | None:
    """The 읍·면·동 of an address: '김포시 사우동 123-4' -> '사우동'."""
    if not address:
        return None
    matches = _DISTRICT_RE.findall(address)
    return matches[-1] if matches else None


def valid_phone(phone: str) -> bool:
    """A Korean number: 0 and 9-11 digits once '+82' is read as 0 (010-1234-5678, 031-980-2114)."""
    return bool(_PHONE_CHARS.match(phone.strip())) and bool(re.fullmatch(r"0\d{8,10}", normalize_phone(phone)))


def scrub_description(text: str) -> str:
    """Free text goes to other services and reports: phone numbers in it are masked.

    The caller's number belongs in the (encrypted) phone field, not in the text.
    """
    return mask_phones_in(text.strip())


def summary_of(text: str, limit: int = 40) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
