"""Re-encrypt intake's stored personal data under the newest key, in batches, while the system runs;
``--check`` counts the values under each key id (see :mod:`sunmoon.keyrotation`)."""

from __future__ import annotations

import sys
from typing import Any

from sunmoon.crypto import FieldCipher
from sunmoon.keyrotation import Target, check, rotate_target

COLUMNS = ("complainant_name", "complainant_phone")
COMPLAINTS = Target("complaints", "id", COLUMNS)
# the Open311 callers' e-mail, device and account ids (bound to their complaint id)
OPEN311 = Target("open311_requests", "complaint_id", ("email", "device_id", "account_id"))
TARGETS = [COMPLAINTS, OPEN311]


async def rotate(pool: Any, cipher: FieldCipher, *, batch: int = 500, out: Any = sys.stderr) -> int:
    """Re-encrypt the callers' names and phones not under the active key. Returns how many values."""
    return (await rotate_target(pool, cipher, COMPLAINTS, batch=batch, out=out))[1]


async def rotate_all(pool: Any, cipher: FieldCipher, *, batch: int = 500, out: Any = sys.stderr) -> int:
    """Every encrypted column of intake: complaints, then Open311 requests."""
    return sum([(await rotate_target(pool, cipher, t, batch=batch, out=out))[1] for t in TARGETS])


async def check_keys(pool: Any, cipher: FieldCipher, *, out: Any = sys.stdout) -> int:
    """Values per key id in every encrypted column; 0 when none is under an old key, else 1."""
    return await check(pool, cipher, TARGETS, out=out)
