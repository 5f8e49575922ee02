"""What the HTTP gateways share: a token-bucket rate limit, error classification, small helpers."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from sunmoon.logging import mask_phones_in

from .. import domain
from . import ProviderError

KST = timezone(timedelta(hours=9), "KST")  # Korea keeps no daylight saving time
_TOKEN_RE = re.compile(rf"/ack/([A-Za-z0-9_-]{{{domain.TOKEN_LENGTH}}})")


class TokenBucket:
    """At most ``rate`` calls a second on average, bursts of up to ``burst``; ``rate <= 0``: no limit."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = max(1.0, burst if burst is not None else rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if self.rate <= 0:
            return
        async with self._lock:  # callers queue in order; one sleeps for the next token
            while True:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


def transport_error(provider: str, exc: httpx.HTTPError) -> ProviderError:
    """A request that got no answer. Before the request left (no connection): certainly not sent,
    retry. After (read timeout, connection dropped): the gateway may have taken it: in doubt."""
    sent_nothing = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
                                    httpx.UnsupportedProtocol, httpx.LocalProtocolError))
    return ProviderError(f"{provider}: {type(exc).__name__}: {exc}", retryable=True, in_doubt=not sent_nothing)


def status_error(provider: str, response: httpx.Response, detail: str) -> ProviderError:
    """An answered error. 429/408/5xx can pass with time; other 4xx (authentication, a bad
    number, an unregistered sender) cannot. 502/504 come from a proxy whose upstream may have
    accepted the message: in doubt. Other answered errors mean the message was not taken."""
    code = response.status_code
    retryable = code in (408, 429) or code >= 500
    return ProviderError(f"{provider}: HTTP {code}: {clean(detail)}", retryable=retryable,
                         in_doubt=code in (502, 504), status=code)


def clean(text: Any, limit: int = 300) -> str:
    """A gateway's words, safe for logs and events: numbers masked, tokens hidden, cut short."""
    return domain.hide_token(mask_phones_in(str(text)))[:limit]


def token_hash_in(text: str | None) -> bytes | None:
    """The SHA-256 of the acknowledgement token in a text the gateway shows back."""
    m = _TOKEN_RE.search(text or "")
    return domain.token_hash(m.group(1)) if m else None


def json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def parse_time(value: Any) -> datetime | None:
    """A gateway timestamp: ISO 8601 with a zone (Solapi), or Korean local time without one (SENS)."""
    if not value or not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=KST)).astimezone(timezone.utc)


def digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)
