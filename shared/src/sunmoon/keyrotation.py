"""Key rotation of encrypted columns: re-encrypt under the newest key while the system runs, and check
which key ids are still in use before an old key is removed from ``SUNMOON_DATA_KEYS``.

Every service that stores personal data describes its encrypted columns as :class:`Target` s and calls
:func:`rotate` (``python -m <service> rotate-keys``) and :func:`key_usage` (``rotate-keys --check``).

Rotation works in batches, one transaction each, claiming only rows whose value is not yet under the
active key (the key id is read from the ciphertext header in SQL) with ``FOR UPDATE SKIP LOCKED``: a row
being written at that moment is left alone and picked up by a later batch, so filing never waits on the
rotation and the rotation never overwrites a concurrent change. Idempotent and restartable: a second
run finds nothing to do; an interrupted run resumes where the committed batches stopped. Rows written
meanwhile by processes still holding the old ring (a rolling restart) are claimed as they appear; run
the command once more after the last old process has stopped, then ``--check``.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from typing import Any

from .crypto import DecryptionError, FieldCipher


@dataclass(frozen=True)
class Target:
    """One table's encrypted columns: ``{column}_enc`` holds ``encrypt(..., table=aad_table or table,
    column=column, row_id=row[row_id])``; ``pk`` identifies the row for the update."""

    table: str
    pk: str
    columns: tuple[str, ...]
    row_id: str | None = None  # the column bound into the associated data (default: pk)
    aad_table: str | None = None

    @property
    def label(self) -> str:
        return self.table

    def blob_columns(self) -> list[str]:
        return [f"{c}_enc" for c in self.columns]


def _key_id_sql(col: str) -> str:
    """The key id of a ciphertext, in SQL: byte 2 is its length, the id follows (see crypto.py)."""
    return f"substring({col} from 3 for get_byte({col}, 1))"


def _stale_sql(target: Target, param: str = "$1") -> str:
    return " OR ".join(f"({c} IS NOT NULL AND {_key_id_sql(c)} <> {param}::bytea)" for c in target.blob_columns())


async def count_stale(pool: Any, target: Target, active: str) -> int:
    """Rows with at least one value not under ``active``."""
    return await pool.fetchval(f"SELECT count(*) FROM {target.table} WHERE {_stale_sql(target)}", active.encode())


async def rotate_target(pool: Any, cipher: FieldCipher, target: Target, *, batch: int = 500,
                        out: Any = sys.stderr, lock_retries: int = 20, retry_delay: float = 0.25) -> tuple[int, int]:
    """Re-encrypt ``target`` under the active key; returns (rows, values) re-encrypted.

    Raises :class:`DecryptionError` (with the table and row) when a value's key is no longer in the ring:
    nothing after it is changed, so the operator can put the key back and run again.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    active = cipher.ring.active_key_id
    total = await count_stale(pool, target, active)
    rows_done = values_done = 0
    select = (f"SELECT {target.pk} AS pk, {target.row_id or target.pk} AS rid, {', '.join(target.blob_columns())}"
              f" FROM {target.table} WHERE {_stale_sql(target)} ORDER BY {target.pk} LIMIT $2 FOR UPDATE SKIP LOCKED")
    retries = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(select, active.encode(), batch)
            for row in rows:
                updates = _reencrypt(cipher, target, row, active)
                sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(updates))
                await conn.execute(f"UPDATE {target.table} SET {sets} WHERE {target.pk} = $1",
                                   row["pk"], *updates.values())
                values_done += len(updates)
            rows_done += len(rows)
        if rows:
            retries = 0
            total = max(total, rows_done)  # rows written meanwhile under an old key count too
            print(f"\rre-encrypting {target.label} under key {active}: {rows_done}/{total} rows, "
                  f"{values_done} values", end="", file=out, flush=True)
            continue
        # nothing claimable: done, unless rows are locked by a writer right now (SKIP LOCKED passed them)
        left = await count_stale(pool, target, active)
        if left == 0 or retries >= lock_retries:
            break
        retries += 1
        await asyncio.sleep(retry_delay)
    left = await count_stale(pool, target, active)
    tail = "done" if left == 0 else f"{left} rows still locked or under an old key: run again"
    print(f"\rre-encrypting {target.label} under key {active}: {rows_done}/{total} rows, "
          f"{values_done} values — {tail}", file=out, flush=True)
    return rows_done, values_done


def _reencrypt(cipher: FieldCipher, target: Target, row: Any, active: str) -> dict[str, bytes]:
    table = target.aad_table or target.table
    updates: dict[str, bytes] = {}
    for column, blob_col in zip(target.columns, target.blob_columns()):
        blob = row[blob_col]
        if blob is None or FieldCipher.key_id_of(blob) == active:
            continue
        try:
            plain = cipher.decrypt(blob, table=table, column=column, row_id=row["rid"])
        except DecryptionError as exc:
            raise DecryptionError(f"{target.table}.{blob_col} of row {row['pk']}: {exc}") from None
        updates[blob_col] = cipher.encrypt(plain.reveal(), table=table, column=column, row_id=row["rid"])
    return updates


async def rotate(pool: Any, cipher: FieldCipher, targets: list[Target], *, batch: int = 500,
                 out: Any = sys.stderr) -> int:
    """Every target in turn; returns how many values were re-encrypted."""
    values = 0
    for target in targets:
        values += (await rotate_target(pool, cipher, target, batch=batch, out=out))[1]
    return values


async def key_usage(pool: Any, targets: list[Target]) -> dict[str, dict[str, int]]:
    """``{"table.column": {key_id: values}}`` for every encrypted column (NULLs not counted)."""
    usage: dict[str, dict[str, int]] = {}
    for target in targets:
        for column, blob_col in zip(target.columns, target.blob_columns()):
            rows = await pool.fetch(
                f"SELECT convert_from({_key_id_sql(blob_col)}, 'SQL_ASCII') AS key_id, count(*) AS n"
                f" FROM {target.table} WHERE {blob_col} IS NOT NULL GROUP BY 1 ORDER BY 1")
            usage[f"{target.table}.{column}"] = {r["key_id"]: r["n"] for r in rows}
    return usage


async def check(pool: Any, cipher: FieldCipher, targets: list[Target], *, out: Any = sys.stdout) -> int:
    """Print values per key id; exit status 0 when every value is under the active key, else 1."""
    active = cipher.ring.active_key_id
    usage = await key_usage(pool, targets)
    totals: dict[str, int] = {}
    for where, by_key in usage.items():
        shown = ", ".join(f"{k}: {n}" for k, n in by_key.items()) or "no values"
        print(f"{where}: {shown}", file=out)
        for k, n in by_key.items():
            totals[k] = totals.get(k, 0) + n
    old = {k: n for k, n in totals.items() if k != active}
    unused = [kid for kid, _ in cipher.ring.keys if kid != active and kid not in totals]
    if old:
        print(f"NOT READY: {sum(old.values())} values still under "
              + ", ".join(f"{k} ({n})" for k, n in sorted(old.items()))
              + f"; run rotate-keys (active key {active}) and check again", file=out)
        return 1
    print(f"ready: every value in this database is under the active key {active}"
          + (f"; {', '.join(unused)} unused here (check every service sharing the ring before removing it)"
             if unused else ""), file=out)
    return 0


# -- the `rotate-keys` command every service with encrypted columns offers -------------------------
HELP = "re-encrypt stored personal data under the newest key in SUNMOON_DATA_KEYS (--check: values per key id)"


def add_args(parser: Any) -> None:
    parser.description = (
        "Re-encrypt every encrypted column of this service's database under the newest key of SUNMOON_DATA_KEYS "
        "(or SUNMOON_DATA_KEYS_FILE), in batches of one transaction each (FOR UPDATE SKIP LOCKED), while the "
        "service runs. Safe to interrupt and run again. --check only counts values per key id and exits 1 while "
        "any value is still under an older key.")
    parser.add_argument("--batch", type=int, default=500, help="rows per transaction (default 500)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing: print values per key id; exit 1 if any is not under the newest key")


async def run_command(settings: Any, args: Any, targets: list[Target]) -> int:
    from .crypto import KeyConfigError, load_keyring
    from .db import create_pool

    if args.batch < 1:
        print("--batch must be at least 1", file=sys.stderr)
        return 2
    try:
        cipher = FieldCipher(load_keyring(allow_dev_keys=settings.allow_dev_keys))
    except KeyConfigError as exc:
        print(f"keys: {exc}", file=sys.stderr)
        return 2
    pool = await create_pool(settings.database_url, max_size=2)
    try:
        if args.check:
            return await check(pool, cipher, targets)
        try:
            await rotate(pool, cipher, targets, batch=args.batch)
        except DecryptionError as exc:
            print(f"\nstopped: {exc}\nPut the missing key back into the ring and run again.", file=sys.stderr)
            return 1
        left = sum([await count_stale(pool, t, cipher.ring.active_key_id) for t in targets])
        return 0 if left == 0 else 1
    finally:
        await pool.close()
