"""Fixtures for the classifier's integration tests: the real service on real PostgreSQL and NATS."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sunmoon.events import COMPLAINT_RECEIVED, Envelope, make_envelope
from sunmoon.events.intake import ComplaintReceived
from sunmoon.messaging import Namespace, connect
from sunmoon.testing.service import ServiceUnderTest, auth_headers, eventually

from classifier.bootstrap import create_app
from classifier.settings import ClassifierSettings

DURABLE = "classifier-complaint-received"


class Service(ServiceUnderTest):
    async def publish(self, env: Envelope | None = None, *, body: bytes | None = None,
                      msg_id: str | None = None) -> None:
        await self.publish_to(COMPLAINT_RECEIVED.subject, env, body=body, msg_id=msg_id)

    async def classified_events(self) -> list[tuple[str, dict]]:
        """Every message in this test's CLASSIFIER stream: (subject without namespace, envelope)."""
        return await self.events("CLASSIFIER")

    async def handled(self, n: int) -> None:
        """Until ``n`` deliveries were processed, recognised as duplicates or dead-lettered."""
        async def check() -> bool:
            s = self.stats
            return s.processed + s.duplicates + s.dead_lettered >= n
        await eventually(check, what=f"{n} deliveries handled")

    async def wait_published(self, n: int = 1) -> list[tuple[str, dict]]:
        """Until the CLASSIFIER stream holds ``n`` events (the outbox relay published them)."""
        async def check():
            events = await self.classified_events()
            return events if len(events) >= n else None
        return await eventually(check, what=f"{n} classified events in the stream")

    # helpers for the tests (test modules cannot import conftest under --import-mode=importlib)
    @staticmethod
    def received_event(complaint_id: uuid.UUID | None = None, **fields: Any) -> Envelope:
        return received_event(complaint_id, **fields)



def received_event(complaint_id: uuid.UUID | None = None, **fields: Any) -> Envelope:
    complaint_id = complaint_id or uuid.uuid4()
    payload = {"complaint_id": complaint_id, "description": "수도관이 터져서 물이 도로로 넘치고 있어요",
               "channel": "phone", "received_at": datetime(2026, 1, 15, 18, 0, tzinfo=UTC),
               "address": "경기도 김포시 고촌읍 신곡리 123-4", "district": "고촌읍", "has_callback": True, **fields}
    return make_envelope(COMPLAINT_RECEIVED, ComplaintReceived(**payload), correlation_id=complaint_id)



@pytest.fixture
async def service(servers, namespace):
    settings = ClassifierSettings(database_url=await servers.fresh_database("classifier"),
                                  nats_url=servers.nats_url, nats_namespace=namespace)
    app = create_app(settings)
    nc, js = await connect(servers.nats_url, name="classifier-test")
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth_headers()) as client:
                yield Service(app, settings, client, js, Namespace(namespace))
    finally:
        await nc.close()
