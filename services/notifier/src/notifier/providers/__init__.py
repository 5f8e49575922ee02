"""SMS gateways behind one small interface.

Each gateway is one module here (``console.py``, ``sens.py`` for Naver Cloud SENS v2,
``solapi.py`` for Solapi v4) with a class that has a ``name`` and
``async send(message) -> ProviderResult``. The sender asks :data:`PROVIDERS` for a
*factory*: given the connection of the transaction that sends, it returns the provider
to use. A real gateway ignores the connection; the console gateway records the message
in it, so "sent" and "recorded" commit together.

Two optional capabilities make exactly-once and delivery tracking possible:

* ``lookup(ref) -> Found | None`` answers "did an interrupted send reach the gateway?"
  (``None``: certainly not; :class:`ProviderError`: cannot tell now);
* ``delivery(ref) -> DeliveryReport`` reads the gateway's delivery result
  (only when ``tracks_delivery`` is true).

Errors are :class:`ProviderError`: ``retryable`` says whether trying again can help,
``in_doubt`` that the request may have reached the gateway (a timeout after it was
written): such a send is never repeated before ``lookup`` says it did not arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from sunmoon.crypto import FieldCipher, Revealed


@dataclass(frozen=True)
class OutgoingSms:
    idempotency_key: str  # the gateway must not deliver two messages with one key
    recipient: Revealed  # decrypted phone number: call .reveal() only to hand it to the gateway
    sender: str  # the city's registered caller number
    text: str  # already EUC-KR safe
    kind: str  # "SMS" or "LMS"
    size_bytes: int
    subject: str | None = None  # LMS only


@dataclass(frozen=True)
class ProviderResult:
    provider: str
    message_id: str | None = None
    duplicate: bool = False  # the gateway already had a message with this key
    request_id: str | None = None  # SENS: the request id that delivery results are looked up by


@dataclass(frozen=True)
class SentRef:
    """What the notifier knows about one attempt, to find it again at the gateway."""

    idempotency_key: str
    recipient: Revealed
    token_hash: bytes | None  # SHA-256 of the acknowledgement token in this attempt's text
    started_at: datetime  # when the attempt was recorded, just before the gateway call
    request_id: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class Found:
    message_id: str | None = None
    request_id: str | None = None


DeliveryState = Literal["pending", "delivered", "failed"]


@dataclass(frozen=True)
class DeliveryReport:
    state: DeliveryState
    at: datetime | None = None  # when the phone received it (or the failure was reported)
    reason: str | None = None  # the gateway's words for a failure (never the number)
    message_id: str | None = None


class ProviderError(Exception):
    """The gateway refused or failed.

    ``retryable=False`` for errors a retry cannot fix (authentication, a bad number);
    ``in_doubt=True`` when the gateway may have accepted the message anyway.
    """

    def __init__(self, message: str, *, retryable: bool = True, in_doubt: bool = False,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.retryable, self.in_doubt, self.status = retryable, in_doubt, status


class SmsProvider(Protocol):
    name: str

    async def send(self, message: OutgoingSms) -> ProviderResult: ...


ProviderFactory = Callable[[Any], SmsProvider]  # connection of the sending transaction -> provider


def _console(cipher: FieldCipher, _settings: Any) -> ProviderFactory:
    from .console import ConsoleProvider

    return lambda conn: ConsoleProvider(conn, cipher)


def _shared(provider: SmsProvider) -> ProviderFactory:
    """A factory for a gateway that ignores the connection: one instance (HTTP client, rate limit)."""
    factory = lambda _conn: provider  # noqa: E731
    factory.provider = provider  # type: ignore[attr-defined]  # so the owner can close it
    return factory


def _sens(_cipher: FieldCipher, settings: Any) -> ProviderFactory:
    from .sens import SensProvider

    return _shared(SensProvider.from_settings(settings))


def _solapi(_cipher: FieldCipher, settings: Any) -> ProviderFactory:
    from .solapi import SolapiProvider

    return _shared(SolapiProvider.from_settings(settings))


PROVIDERS: dict[str, Callable[[FieldCipher, Any], ProviderFactory]] = {
    "console": _console,
    "sens": _sens,
    "solapi": _solapi,
}


def build_provider_factory(name: str, cipher: FieldCipher, settings: Any) -> ProviderFactory:
    try:
        make = PROVIDERS[name]
    except KeyError:
        raise ValueError(f"unknown SMS provider {name!r}; one of: {', '.join(sorted(PROVIDERS))}") from None
    return make(cipher, settings)


async def close_factory(factory: ProviderFactory | None) -> None:
    """Close the HTTP client of a shared gateway instance (no-op for the console)."""
    provider = getattr(factory, "provider", None)
    close = getattr(provider, "aclose", None)
    if close is not None:
        await close()
