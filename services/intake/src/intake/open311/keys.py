"""Third parties' API keys: issue, revoke, list, check, and a per-key rate limit.

A key is 256 random bits (``s2m_`` + 43 URL-safe characters) shown once at issue. Only its SHA-256 is
stored: the key has full entropy, so a slow password hash would add nothing but latency.

Rate limit: a token bucket kept **in PostgreSQL**, in the key's own row, refilled and spent by one
atomic ``UPDATE``. Chosen over an in-process bucket because intake runs as several replicas behind one
address: an in-process bucket would give each caller N times its budget and forget it at every restart.
The cost is one indexed single-row update per authenticated request, which is what a POST writes anyway.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

PREFIX = "s2m_"
DEFAULT_RATE_PER_MINUTE = 60
DEFAULT_BURST = 20


def new_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


@dataclass(frozen=True)
class Issued:
    id: int
    name: str
    key: str


class InvalidKey(Exception):
    """Unknown or revoked key (403)."""


class RateLimited(Exception):
    """The key spent its budget (429)."""


async def issue(conn: Any, name: str, *, rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
                burst: int = DEFAULT_BURST) -> Issued:
    key = new_key()
    key_id = await conn.fetchval(
        "INSERT INTO open311_api_keys (name, key_hash, key_prefix, rate_per_minute, burst, bucket_tokens)"
        " VALUES ($1, $2, $3, $4, $5::int, $5::int::float8) RETURNING id",
        name, key_hash(key), key[: len(PREFIX) + 6], rate_per_minute, burst)
    return Issued(key_id, name, key)


async def revoke(conn: Any, name: str) -> bool:
    status = await conn.execute(
        "UPDATE open311_api_keys SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", name)
    return status.endswith(" 1")


async def list_keys(conn: Any) -> list[Any]:
    return await conn.fetch(
        "SELECT id, name, key_prefix, rate_per_minute, burst, created_at, last_used_at, revoked_at"
        " FROM open311_api_keys ORDER BY id")


_SPEND = """
UPDATE open311_api_keys SET
    bucket_tokens = LEAST(burst::float8, bucket_tokens
                          + EXTRACT(EPOCH FROM clock_timestamp() - bucket_at) * rate_per_minute / 60.0) - 1,
    bucket_at = clock_timestamp(), last_used_at = clock_timestamp()
WHERE id = $1
  AND LEAST(burst::float8, bucket_tokens
            + EXTRACT(EPOCH FROM clock_timestamp() - bucket_at) * rate_per_minute / 60.0) >= 1
RETURNING bucket_tokens
"""


async def authorize(conn: Any, key: str | None) -> int:
    """The key's id if it is valid and has budget left; raises InvalidKey (403) or RateLimited (429)."""
    if not key or not key.startswith(PREFIX) or len(key) > 100:
        raise InvalidKey()
    row = await conn.fetchrow("SELECT id, revoked_at FROM open311_api_keys WHERE key_hash = $1", key_hash(key))
    if row is None or row["revoked_at"] is not None:
        raise InvalidKey()
    if await conn.fetchval(_SPEND, row["id"]) is None:
        raise RateLimited()
    return row["id"]
