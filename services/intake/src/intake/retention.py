"""Retention of complainants' personal data (`python -m intake purge-personal-data`, and a daily job).

A complaint whose retention has passed — resolved more than ``INTAKE_PII_RETENTION_DAYS`` ago, or, never
resolved, received that long ago — loses, irreversibly and in one transaction per batch:
- the caller's name and phone (ciphertexts and the phone's blind index: nothing left to decrypt or to match);
- the exact address (``address`` set to NULL); the 읍·면·동 (``district``) stays, and the point is rounded to
  0.001° (about 110 m north-south, 90 m east-west at Gimpo's latitude), so the map and the statistics still work;
- Open311 contact data (e-mail, device and account ids) and the caller's free-text address;
- the caller's name and any phone number inside free text (description, resolution note, status-history reasons,
  Open311 description, field workers' notes), replaced by "[민원인]" / "[전화번호]".
Each batch writes a ``pii_purge_log`` row (when, how many, which complaints, the period) and one access record
(action ``purge``). Reporting keeps its own PII-free rows (it never had any personal data); the notifier's
worker phones are staff data under the city's HR rules and are not touched here.

The same job prunes access records older than ``INTAKE_ACCESS_RECORD_RETENTION_DAYS`` (at least 730).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sunmoon.crypto import DecryptionError, FieldCipher
from sunmoon.logging import get_logger

from . import access_records

log = get_logger(__name__)
NAME_MARK, PHONE_MARK = "[민원인]", "[전화번호]"
POINT_DECIMALS = 3
_DUE = ("personal_data_purged_at IS NULL"
        " AND coalesce(resolved_at, received_at) < now() - make_interval(days => $1)")
_JOB_LOCK = 7431150031
# Korean mobile and landline numbers in free text, also in the masked form intake stores (010-****-5678)
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?82[- ]?)?0\d{1,2}[- .)]?(?:\d{3,4}|\*{3,4})[- .]?\d{4}(?!\d)")


@dataclass
class PurgeResult:
    due: int = 0
    purged: int = 0
    batches: int = 0
    log_ids: list[int] = field(default_factory=list)
    access_records_pruned: int = 0


def scrub(text: str | None, names: list[str]) -> str | None:
    """Text without the caller's name(s) and without any phone number."""
    if not text:
        return text
    for name in names:
        if len(name) >= 2:
            text = text.replace(name, NAME_MARK)
    return _PHONE_RE.sub(PHONE_MARK, text)


def _clear(cipher: FieldCipher, row: Any, column: str) -> str | None:
    blob = row[f"{column}_enc"]
    if blob is None:
        return None
    try:
        return cipher.decrypt(blob, table="complaints", column=column, row_id=row["id"]).reveal()
    except DecryptionError:
        return None  # cannot be read anyway; the ciphertext goes below


async def count_due(pool: Any, retention_days: int) -> int:
    return await pool.fetchval(f"SELECT count(*) FROM complaints WHERE {_DUE}", retention_days)


async def purge(pool: Any, cipher: FieldCipher, retention_days: int, *, batch: int = 200,
                actor: access_records.Actor = access_records.SYSTEM, dry_run: bool = False,
                progress: Callable[[str], None] | None = None) -> PurgeResult:
    if retention_days < 1:
        raise ValueError("INTAKE_PII_RETENTION_DAYS must be at least 1")
    result = PurgeResult(due=await count_due(pool, retention_days))
    if dry_run or not result.due:
        return result
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, complainant_name_enc, complainant_phone_enc, description, resolution_note, lat, lon"
                f" FROM complaints WHERE {_DUE} ORDER BY coalesce(resolved_at, received_at), id LIMIT $2"
                " FOR UPDATE SKIP LOCKED", retention_days, batch)
            if not rows:
                break
            ids = [r["id"] for r in rows]
            for r in rows:
                names = [n for n in (_clear(cipher, r, "complainant_name"),) if n]
                await conn.execute(
                    "UPDATE complaints SET complainant_name_enc = NULL, complainant_phone_enc = NULL,"
                    " complainant_phone_idx = NULL, address = NULL, description = $2, resolution_note = $3,"
                    " lat = round($4::numeric, $6)::double precision, lon = round($5::numeric, $6)::double precision,"
                    " personal_data_purged_at = now() WHERE id = $1",
                    r["id"], scrub(r["description"], names) or "", scrub(r["resolution_note"], names),
                    r["lat"], r["lon"], POINT_DECIMALS)
                for table, column in (("open311_requests", "public_description"), ("worker_responses", "note"),
                                      ("complaint_status_history", "reason")):
                    for other in await conn.fetch(f"SELECT ctid, {column} AS t FROM {table} WHERE complaint_id = $1"
                                                  f" AND {column} IS NOT NULL", r["id"]):
                        await conn.execute(f"UPDATE {table} SET {column} = $2 WHERE ctid = $1",
                                           other["ctid"], scrub(other["t"], names))
            await conn.execute(
                "UPDATE open311_requests SET email_enc = NULL, device_id_enc = NULL, account_id_enc = NULL,"
                " address_string = NULL WHERE complaint_id = ANY($1::uuid[])", ids)
            cutoff = await conn.fetchval("SELECT now() - make_interval(days => $1)", retention_days)
            log_id = await conn.fetchval(
                "INSERT INTO pii_purge_log (retention_days, cutoff, complaints, complaint_ids, actor)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id", retention_days, cutoff, len(ids), ids, actor.name)
            await access_records.append(
                conn, actor, "purge",
                fields=["complainant_name", "complainant_phone", "address", "open311_contact", "free_text"],
                reason=f"보존기간({retention_days}일) 경과 민원인 개인정보 파기 {len(ids)}건 (파기 기록 #{log_id})")
        result.purged += len(ids)
        result.batches += 1
        result.log_ids.append(log_id)
        if progress:
            progress(f"batch {result.batches}: {len(ids)} complaints purged ({result.purged}/{result.due})")
    log.info("personal data purged", complaints=result.purged, batches=result.batches, retention_days=retention_days)
    return result


async def run_once(pool: Any, cipher: FieldCipher, settings: Any, **kw: Any) -> PurgeResult | None:
    """One pass of the daily job; None when another replica is running it."""
    async with pool.acquire() as conn:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _JOB_LOCK):
            return None
        try:
            result = await purge(pool, cipher, settings.pii_retention_days, **kw)
            async with conn.transaction():
                result.access_records_pruned = await access_records.prune(
                    conn, settings.access_record_retention_days)
            return result
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _JOB_LOCK)


def daily_job(cipher: FieldCipher, interval_seconds: float = 86400.0, first_delay_seconds: float = 60.0):
    """The runtime's background job: a pass a minute after start, then once a day."""

    async def retention_job(rt: Any, stop: asyncio.Event) -> None:
        delay = first_delay_seconds
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
                return
            except TimeoutError:
                pass
            delay = interval_seconds
            try:
                await run_once(rt.pool, cipher, rt.settings)
            except Exception as exc:  # noqa: BLE001 - logged, tried again tomorrow; the service keeps serving
                log.error("retention job failed", error=repr(exc))

    return retention_job
