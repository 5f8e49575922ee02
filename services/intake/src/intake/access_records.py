"""Access records (개인정보 접속기록): append to the hash chain, verify it, prune it past the retention.

The chain lives in ``access_records`` (migration 0030). PostgreSQL assigns each record's id, time, prev_hash and
hash in a BEFORE INSERT trigger under an advisory lock, so every writer (desk, API, commands) appends the same way
and concurrent appends never fork. :func:`record_hash` recomputes the hash in Python from the canonical encoding
the trigger uses; :func:`verify` walks the chain with it, so a record edited or removed behind the trigger's back
(by a table owner or superuser who disabled it) is found and named.

What is recorded (see docs/security.md "Access records and retention"): every display of a caller's name, phone
or Open311 contact in clear (``reveal``), every machine read of complaint records that carry caller data (the
JSON API, ``view``), exports and reports (``export``, ``report``) and every purge (``purge``). Masked screens of
the desk are not: a masked value is not personal data in clear, and its reveal is recorded.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ACTIONS = ("view", "reveal", "export", "report", "purge")
GENESIS = bytes(32)
MIN_RETENTION_DAYS = 730  # 2 years: the safety-measure standard's minimum for records of this kind
_FETCH = 5000


@dataclass(frozen=True)
class Actor:
    """Who: a desk user, an API client or the system; with the address they came from."""

    name: str
    role: str
    id: int | None = None
    ip: str | None = None


SYSTEM = Actor("system", "system")


async def append(conn: Any, actor: Actor, action: str, *, complaint_id: uuid.UUID | None = None,
                 fields: Sequence[str] = (), reason: str = "") -> int:
    """Append one record (in the caller's transaction, READ COMMITTED); returns its id."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {ACTIONS}")
    return await conn.fetchval(
        "INSERT INTO access_records (actor, actor_role, actor_id, source_ip, action, complaint_id, fields, reason)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        actor.name, actor.role, actor.id, actor.ip, action, complaint_id, list(fields), reason)


def _enc(value: str | None) -> str:
    return "N;" if value is None else f"S{len(value.encode())}:{value};"


def canonical(row: Any) -> bytes:
    """The bytes hashed after prev_hash (must match ``access_record_hash`` in migration 0030)."""
    at: datetime = row["at"]
    fields = row["fields"] or []
    text = ("sunmoon-access-v1;" + _enc(str(row["id"]))
            + _enc(at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"))
            + _enc(row["actor"]) + _enc(row["actor_role"])
            + _enc(None if row["actor_id"] is None else str(row["actor_id"]))
            + _enc(row["source_ip"]) + _enc(row["action"])
            + _enc(None if row["complaint_id"] is None else str(row["complaint_id"]))
            + f"A{len(fields)}:" + "".join(_enc(f) for f in fields) + ";" + _enc(row["reason"]))
    return text.encode()


def record_hash(prev_hash: bytes, row: Any) -> bytes:
    return hashlib.sha256(bytes(prev_hash) + canonical(row)).digest()


@dataclass
class Verdict:
    ok: bool
    count: int = 0
    first_id: int | None = None
    last_id: int | None = None
    first_at: datetime | None = None
    last_at: datetime | None = None
    head_hash: bytes | None = None
    broken_id: int | None = None
    problem: str = ""

    def describe(self) -> str:
        if not self.ok:
            return f"BROKEN at record #{self.broken_id}: {self.problem}"
        if not self.count:
            return "OK: no access records yet"
        return (f"OK: {self.count} records #{self.first_id}..#{self.last_id}, "
                f"{self.first_at:%Y-%m-%d %H:%M:%S%z} .. {self.last_at:%Y-%m-%d %H:%M:%S%z}, "
                f"head {self.head_hash.hex()}")


async def verify(conn: Any) -> Verdict:
    """Walk the chain from the anchor (or genesis): contiguous ids, linked prev_hash, recomputed hash."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):  # one snapshot for the walk
        anchor = await conn.fetchrow(
            "SELECT through_id, through_hash FROM access_chain_anchor ORDER BY id DESC LIMIT 1")
        return await _walk(conn, anchor)


async def _walk(conn: Any, anchor: Any) -> Verdict:
    expect_id = (anchor["through_id"] + 1) if anchor else 1
    prev = bytes(anchor["through_hash"]) if anchor else GENESIS
    v = Verdict(ok=True)
    anchor_attested = anchor is None
    after = expect_id - 1
    while True:
        rows = await conn.fetch("SELECT * FROM access_records WHERE id > $1 ORDER BY id LIMIT $2", after, _FETCH)
        if not rows:
            break
        for row in rows:
            rid = row["id"]
            if rid != expect_id:
                where = f"after #{expect_id - 1}" if expect_id > 1 else "at the start"
                return _broken(v, rid, f"gap {where}: records #{expect_id}..#{rid - 1} are missing")
            if bytes(row["prev_hash"]) != prev:
                return _broken(v, rid, f"prev_hash does not match the hash of record #{rid - 1}"
                                       + (" (or the chain anchor)" if anchor and rid == anchor["through_id"] + 1
                                          else ""))
            if record_hash(prev, row) != bytes(row["hash"]):
                return _broken(v, rid, f"hash mismatch at #{rid}: the record's content was changed")
            if not anchor_attested and row["action"] == "purge" and anchor["through_hash"].hex() in row["reason"]:
                anchor_attested = True
            prev, expect_id = bytes(row["hash"]), rid + 1
            v.count += 1
            v.first_id = v.first_id or rid
            v.first_at = v.first_at or row["at"]
            v.last_id, v.last_at, v.head_hash = rid, row["at"], prev
        after = rows[-1]["id"]
    if not anchor_attested:
        return _broken(v, anchor["through_id"] + 1,
                       "the chain anchor is not named by any purge record (records removed outside the retention)")
    return v


def _broken(v: Verdict, rid: int, problem: str) -> Verdict:
    v.ok, v.broken_id, v.problem = False, rid, problem
    return v


def check_retention(days: int) -> int:
    if days < MIN_RETENTION_DAYS:
        raise ValueError(f"access records must be kept at least {MIN_RETENTION_DAYS} days (2 years); got {days}. "
                         f"접속기록은 최소 2년(730일) 보관해야 합니다.")
    return days


async def prune(conn: Any, retention_days: int, who: str = "system") -> int:
    """Delete records older than the retention (>= 730 days); anchored and recorded as a purge record."""
    check_retention(retention_days)
    return await conn.fetchval("SELECT prune_access_records($1, $2)", retention_days, who)


async def head(conn: Any) -> Any:
    return await conn.fetchrow("SELECT id, at, hash FROM access_records ORDER BY id DESC LIMIT 1")
