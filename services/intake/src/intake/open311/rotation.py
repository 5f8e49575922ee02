"""Re-encrypt the Open311 callers' e-mail, device and account ids under the newest key (part of
``python -m intake rotate-keys``; the name and phone live in complaints and are rotated there)."""

from __future__ import annotations

import sys
from typing import Any

from sunmoon.crypto import FieldCipher

TABLE = "open311_requests"
COLUMNS = ("email", "device_id", "account_id")


async def rotate(pool: Any, cipher: FieldCipher, *, batch: int = 500, out: Any = sys.stderr) -> int:
    """Re-encrypt every value of open311_requests not under the active key; returns how many."""
    active = cipher.ring.active_key_id
    any_value = " OR ".join(f"{c}_enc IS NOT NULL" for c in COLUMNS)
    changed, last_id = 0, None
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                f"SELECT complaint_id, {', '.join(c + '_enc' for c in COLUMNS)} FROM {TABLE}"
                f" WHERE ({any_value}) AND ($1::uuid IS NULL OR complaint_id > $1)"
                " ORDER BY complaint_id LIMIT $2 FOR UPDATE SKIP LOCKED", last_id, batch)
            if not rows:
                break
            for row in rows:
                updates = {}
                for column in COLUMNS:
                    blob = row[f"{column}_enc"]
                    if blob is not None and FieldCipher.key_id_of(blob) != active:
                        plain = cipher.decrypt(blob, table=TABLE, column=column, row_id=row["complaint_id"])
                        updates[f"{column}_enc"] = cipher.encrypt(plain.reveal(), table=TABLE, column=column,
                                                                  row_id=row["complaint_id"])
                if updates:
                    sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(updates))
                    await conn.execute(f"UPDATE {TABLE} SET {sets} WHERE complaint_id = $1", row["complaint_id"],
                                       *updates.values())
                    changed += len(updates)
            last_id = rows[-1]["complaint_id"]
    print(f"open311: {changed} values re-encrypted under key {active}", file=out)
    return changed
