"""The console gateway: sends nothing, records every message in ``sms_messages``.

For development and demonstrations. The record is written on the connection of
the transaction that marks the notification sent, so a crash between "sent" and
"recorded" cannot happen: both commit or neither does. The recipient's number is
stored encrypted and never logged.
"""

from __future__ import annotations

from typing import Any

from sunmoon.crypto import FieldCipher
from sunmoon.logging import get_logger

from .. import domain, repository
from . import Found, OutgoingSms, ProviderResult, SentRef

log = get_logger(__name__)
TABLE, COLUMN = "sms_messages", "recipient_phone"


class ConsoleProvider:
    name = "console"
    tracks_delivery = False  # nothing leaves the building: there is no delivery to report
    settle_seconds = 0.0  # its record commits with "sent" or not at all: an interrupted attempt is clear at once

    def __init__(self, conn: Any, cipher: FieldCipher) -> None:
        self.conn, self.cipher = conn, cipher

    async def send(self, message: OutgoingSms) -> ProviderResult:
        phone_enc = self.cipher.encrypt(message.recipient.reveal(), table=TABLE, column=COLUMN,
                                        row_id=message.idempotency_key)
        sms_id, fresh = await repository.record_console_sms(
            self.conn, idempotency_key=message.idempotency_key, recipient_phone_enc=phone_enc,
            sender=message.sender, text=message.text, kind=message.kind, size_bytes=message.size_bytes,
        )
        log.info("console SMS recorded" if fresh else "console SMS already recorded for this key",
                 sms_id=sms_id, idempotency_key=message.idempotency_key, kind=message.kind,
                 bytes=message.size_bytes, text=domain.hide_token(message.text))
        return ProviderResult(provider=self.name, message_id=f"console-{sms_id}", duplicate=not fresh)

    async def lookup(self, ref: SentRef) -> Found | None:
        """Whether an interrupted attempt was recorded: its record committed with "sent" or not at all."""
        sms_id = await repository.console_sms_id(self.conn, ref.idempotency_key)
        return Found(message_id=f"console-{sms_id}") if sms_id is not None else None
