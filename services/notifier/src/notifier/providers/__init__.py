"""SMS gateways behind one small interface.

Each gateway is one module here (``console.py`` now; SENS and Solapi later) with a
class that has a ``name`` and ``async send(message) -> ProviderResult``. The sender
asks :data:`PROVIDERS` for a *factory*: given the connection of the transaction that
claims the notification, it returns the provider to use. A real gateway ignores the
connection; the console gateway records the message in it, so "sent" and "recorded"
commit together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sunmoon.crypto import FieldCipher, Revealed


@dataclass(frozen=True)
class OutgoingSms:
    idempotency_key: str  # the gateway must not deliver two messages with one key
    recipient: Revealed  # decrypted phone number: call .reveal() only to hand it to the gateway
    sender: str  # the city's registered caller number
    text: str  # already EUC-KR safe
    kind: str  # "SMS" or "LMS"
    size_bytes: int


@dataclass(frozen=True)
class ProviderResult:
    provider: str
    message_id: str | None = None
    duplicate: bool = False  # the gateway already had a message with this key


class ProviderError(Exception):
    """The gateway refused or failed. ``retryable=False`` for errors a retry cannot fix."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class SmsProvider(Protocol):
    name: str

    async def send(self, message: OutgoingSms) -> ProviderResult: ...


ProviderFactory = Callable[[Any], SmsProvider]  # connection of the sending transaction -> provider


def _console(cipher: FieldCipher, _settings: Any) -> ProviderFactory:
    from .console import ConsoleProvider

    return lambda conn: ConsoleProvider(conn, cipher)


PROVIDERS: dict[str, Callable[[FieldCipher, Any], ProviderFactory]] = {
    "console": _console,
}


def build_provider_factory(name: str, cipher: FieldCipher, settings: Any) -> ProviderFactory:
    try:
        return PROVIDERS[name](cipher, settings)
    except KeyError:
        raise ValueError(f"unknown SMS provider {name!r}; one of: {', '.join(sorted(PROVIDERS))}") from None
