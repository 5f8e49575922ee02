"""Re-encrypt the notifier's stored personal data under the newest key (``python -m notifier rotate-keys``):
the field workers' names and phone numbers, and the recipients of the console gateway's SMS record.
``--check`` counts the values under each key id. The engine is :mod:`sunmoon.keyrotation`.

The blind index of the workers' phones (``phone_idx``) is an HMAC under the separate blind-index key and
does not change with the data key.
"""

from __future__ import annotations

import sys
from typing import Any

from sunmoon.crypto import FieldCipher
from sunmoon.keyrotation import Target, check, rotate

WORKERS = Target("workers", "id", ("name", "phone"))
# bound to the idempotency key (see providers/console.py), updated by its bigserial id
SMS_MESSAGES = Target("sms_messages", "id", ("recipient_phone",), row_id="idempotency_key")
TARGETS = [WORKERS, SMS_MESSAGES]


async def rotate_all(pool: Any, cipher: FieldCipher, *, batch: int = 500, out: Any = sys.stderr) -> int:
    """Every encrypted column of the notifier; returns how many values were re-encrypted."""
    return await rotate(pool, cipher, TARGETS, batch=batch, out=out)


async def check_keys(pool: Any, cipher: FieldCipher, *, out: Any = sys.stdout) -> int:
    """Values per key id; 0 when none is under an old key, else 1."""
    return await check(pool, cipher, TARGETS, out=out)
