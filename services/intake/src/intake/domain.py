"""Intake's pure rules: statuses, districts, masking. No I/O here."""

from __future__ import annotations

import re

from sunmoon.events.intake import STATUS_ORDER
from sunmoon.logging import mask_phones_in

_DISTRICT_RE = re.compile(r"([가-힣0-9]+(?:동|읍|면|가))(?=\s|\d|$|,)")
_PHONE_OK = re.compile(r"^(?:\+?82[- ]?)?0\d{1,2}[- .]?\d{3,4}[- .]?\d{4}$")


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
    return bool(_PHONE_OK.match(phone.strip()))


def scrub_description(text: str) -> str:
    """Free text goes to other services and reports: phone numbers in it are masked.

    The caller's number belongs in the (encrypted) phone field, not in the text.
    """
    return mask_phones_in(text.strip())


def summary_of(text: str, limit: int = 40) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
