"""Re-encrypt the Open311 callers' e-mail, device and account ids under the newest key (part of
``python -m intake rotate-keys``; the name and phone live in complaints and are rotated there)."""

from __future__ import annotations

import sys
from typing import Any

from sunmoon.crypto import FieldCipher
from sunmoon.keyrotation import rotate_target

from ..rotation import OPEN311

TABLE = OPEN311.table
COLUMNS = OPEN311.columns


async def rotate(pool: Any, cipher: FieldCipher, *, batch: int = 500, out: Any = sys.stderr) -> int:
    """Re-encrypt every value of open311_requests not under the active key; returns how many."""
    return (await rotate_target(pool, cipher, OPEN311, batch=batch, out=out))[1]
