"""Re-encrypt stored personal data under the newest key, in batches, while the system runs."""

from __future__ import annotations

import sys
from typing import Any

import asyncpg

from sunmoon.crypto import FieldCipher

COLUMNS = ("complainant_name", "complainant_phone")


async def rotate(pool: asyncpg.Pool, cipher: FieldCipher, *, batch: int = 500, out: Any = sys.stderr) -> int:
    """Re-encrypt every ciphertext not under the active key. Returns how many values were re-encrypted."""
    active = cipher.ring.active_key_id
    total = await pool.fetchval(
        "SELECT count(*) FROM complaints WHERE complainant_name_enc IS NOT NULL OR complainant_phone_enc IS NOT NULL")
    done = changed = 0
    last_id = None
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, complainant_name_enc, complainant_phone_enc FROM complaints"
                " WHERE (complainant_name_enc IS NOT NULL OR complainant_phone_enc IS NOT NULL)"
                " AND ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
                last_id, batch)
            if not rows:
                break
            for row in rows:
                updates = {}
                for column in COLUMNS:
                    blob = row[f"{column}_enc"]
                    if blob is not None and FieldCipher.key_id_of(blob) != active:
                        value = cipher.decrypt(blob, table="complaints", column=column, row_id=row["id"])
                        updates[f"{column}_enc"] = cipher.encrypt(value.reveal(), table="complaints",
                                                                  column=column, row_id=row["id"])
                if updates:
                    sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(updates))
                    await conn.execute(f"UPDATE complaints SET {sets} WHERE id = $1", row["id"], *updates.values())
                    changed += len(updates)
            last_id = rows[-1]["id"]
            done += len(rows)
        print(f"\rre-encrypting under key {active}: {done}/{total} rows, {changed} values", end="", file=out,
              flush=True)
    print(f"\rre-encrypting under key {active}: {done}/{total} rows, {changed} values — done", file=out)
    return changed
