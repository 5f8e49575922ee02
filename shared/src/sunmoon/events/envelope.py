"""The envelope every event travels in, outside its payload.

Subject of an event: ``<producer>.<entity>.<event>.v<major>``; ``type`` is the
subject without the version suffix. ``event_id`` doubles as the ``Nats-Msg-Id``
header so JetStream drops a republished duplicate.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=utcnow)
    producer: str
    correlation_id: uuid.UUID | None = None
    payload: dict[str, Any]

    @property
    def subject(self) -> str:
        return f"{self.type}.v{self.version}"

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()
