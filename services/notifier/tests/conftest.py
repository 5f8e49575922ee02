"""Fixtures for the notifier's integration tests: the real service on real PostgreSQL and NATS."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from sunmoon.crypto import FieldCipher, KeyRing
from sunmoon.events import DISPATCH_REQUESTED, Envelope, make_envelope
from sunmoon.events.intake import ComplaintDispatchRequested
from sunmoon.messaging import Namespace, connect
from sunmoon.testing.service import ServiceUnderTest, auth_headers, eventually

from notifier import demo_roster, handlers
from notifier.bootstrap import create_app
from notifier.settings import NotifierSettings

PUBLIC_URL = "http://notifier.test"


@dataclass
class Service(ServiceUnderTest):
    cipher: FieldCipher | None = None

    async def publish(self, env: Envelope | None = None, *, body: bytes | None = None,
                      msg_id: str | None = None) -> None:
        await self.publish_to(DISPATCH_REQUESTED.subject, env, body=body, msg_id=msg_id)

    async def notifier_events(self) -> list[tuple[str, dict]]:
        """Every message in this test's NOTIFIER stream: (subject without namespace, envelope)."""
        return await self.events("NOTIFIER")

    # helpers for the tests (test modules cannot import conftest under --import-mode=importlib)
    @staticmethod
    def dispatch_event(complaint_id: uuid.UUID | None = None, **fields: Any) -> Envelope:
        return dispatch_event(complaint_id, **fields)


    async def wait_sent(self, n: int = 1) -> None:
        """Until ``n`` SMS are recorded and ``n`` NotificationSent are in the stream."""
        async def check() -> bool:
            events = await self.notifier_events()
            return (await self.count("sms_messages") >= n
                    and sum(subject.endswith(".sent.v1") for subject, _ in events) >= n)
        await eventually(check, what=f"{n} SMS and NotificationSent")


def dispatch_event(complaint_id: uuid.UUID | None = None, **fields: Any) -> Envelope:
    complaint_id = complaint_id or uuid.uuid4()
    payload = {"complaint_id": complaint_id, "type": "sewer_drainage", "urgency": "urgent",
               "address": "경기도 김포시 사우동 123-4", "district": "사우동",
               "callback_masked": "010-****-5678", "summary": "하수구 역류로 도로 침수", **fields}
    return make_envelope(DISPATCH_REQUESTED, ComplaintDispatchRequested(**payload), correlation_id=complaint_id)



@pytest.fixture
async def service(servers, namespace):
    settings = NotifierSettings(database_url=await servers.fresh_database("notifier"), nats_url=servers.nats_url,
                                nats_namespace=namespace, public_url=PUBLIC_URL,
                                linked_follow_up=True)  # test_linked_follow_up.py; off by default
    cipher = FieldCipher(KeyRing.generate())
    app = create_app(settings, cipher=cipher)
    nc, js = await connect(servers.nats_url, name="notifier-test")
    try:
        async with app.router.lifespan_context(app):
            async with app.state.runtime.pool.acquire() as conn, conn.transaction():
                await handlers.seed_roster(conn, cipher, demo_roster.TEAMS, demo_roster.ENTRIES)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth_headers()) as client:
                yield Service(app, settings, client, js, Namespace(namespace), cipher=cipher)
    finally:
        await nc.close()


@pytest.fixture
async def db(servers):
    """A migrated notifier database with the demo roster and ONE notification queued (not yet sent), for tests
    that drive the sender directly: (dsn, pool, cipher)."""
    from sunmoon.db import create_pool, migrate

    from notifier.bootstrap import MIGRATIONS

    dsn = await servers.fresh_database("notifier_sender")
    await migrate(dsn, MIGRATIONS, label="notifier")
    pool = await create_pool(dsn)
    cipher = FieldCipher(KeyRing.generate())
    async with pool.acquire() as conn, conn.transaction():
        await handlers.seed_roster(conn, cipher, demo_roster.TEAMS, demo_roster.ENTRIES)
        event = ComplaintDispatchRequested(complaint_id="7d3c1e8a-0f59-4d38-9a43-0b8f4a2a11aa", type="animal",
                                           urgency="urgent", address="김포시 운양동 1", district="운양동")
        await handlers.make_dispatch_handler(PUBLIC_URL)(conn, make_envelope(DISPATCH_REQUESTED, event), event)
    yield dsn, pool, cipher
    await pool.close()
