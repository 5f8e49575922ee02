"""Fixtures for reporting's integration tests: the real service on real PostgreSQL and NATS, events in.

Test modules cannot import each other under --import-mode=importlib, so the helpers are fixtures.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from reporting.bootstrap import create_app
from reporting.settings import ReportingSettings
from sunmoon.events import (
    COMPLAINT_CLASSIFIED, COMPLAINT_RECEIVED, NOTIFICATION_ACKNOWLEDGED, NOTIFICATION_SENT, STATUS_CHANGED,
    Envelope, make_envelope,
)
from sunmoon.events.classifier import ComplaintClassified, WeatherContext
from sunmoon.events.intake import ComplaintReceived, ComplaintStatusChanged
from sunmoon.events.notifier import NotificationAcknowledged, NotificationSent
from sunmoon.messaging import Namespace, connect
from sunmoon.testing.service import ServiceUnderTest, auth_headers, eventually

ADDRESS = "경기도 김포시 사우동 123-4"
NAME = "선우혜림"
PHONE = "010-7261-4938"


@dataclass
class Reporting(ServiceUnderTest):
    """The reporting app under test, with helpers to feed it events."""

    published: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    async def send(self, *envelopes: Envelope) -> None:
        """Publish events and wait until the consumers have applied (or ignored) every one of them."""
        for env in envelopes:
            await self.publish_to(env.subject, env)
        self.published += len(envelopes)
        target = self.published
        await eventually(self._caught_up(target), timeout=20, what=f"{target} events folded")

    def _caught_up(self, target: int):
        async def check() -> bool:
            return self.stats.processed + self.stats.duplicates >= target
        return check

    async def reporting_events(self) -> list[tuple[str, dict]]:
        return await self.events("REPORTING")


@pytest.fixture
def start_reporting(servers, namespace):
    """``async with start_reporting(database_url=None, **settings) as svc``: the app with its lifespan running."""

    @contextlib.asynccontextmanager
    async def start(database_url: str | None = None, **overrides: Any):
        settings = ReportingSettings(database_url=database_url or await servers.fresh_database("reporting"),
                                     nats_url=servers.nats_url, nats_namespace=namespace,
                                     **{"auto_reports": False, "warm_up_after_seconds": None, **overrides})
        app = create_app(settings)
        nc, js = await connect(servers.nats_url, name="reporting-test")
        try:
            async with app.router.lifespan_context(app), httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth_headers(), timeout=60) as client:
                yield Reporting(app, settings, client, js, Namespace(namespace))
        finally:
            await nc.close()

    return start


@dataclass
class Complaint:
    """One complaint's story, told as the other services would announce it."""

    received_at: datetime
    district: str | None = "사우동"
    type: str | None = None
    urgency: str = "normal"
    department: str | None = None
    upto: str = "received"  # the furthest status reached
    warnings: list[str] = field(default_factory=list)
    team: str | None = None
    backup: bool = False  # a second (backup) worker was texted too
    lat: float = 37.6153
    lon: float = 126.7156
    description: str = "사우동 사거리 맨홀 뚜껑이 열려 있어요. 연락처 010-****-4938"
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    def events(self) -> list[Envelope]:
        cid, t = self.id, self.received_at
        out = [make_envelope(COMPLAINT_RECEIVED, ComplaintReceived(
            complaint_id=cid, description=self.description, channel="phone", received_at=t, address=ADDRESS,
            district=self.district, lat=self.lat, lon=self.lon, has_callback=True), correlation_id=cid)]
        if self.type is None:
            return out
        weather = WeatherContext(known=True, nx=55, ny=128, precipitation_mm=25.0 if self.warnings else 0.0,
                                 temperature_c=22.0, warnings=self.warnings,
                                 hazards=["rain"] if self.warnings else [])
        out.append(make_envelope(COMPLAINT_CLASSIFIED, ComplaintClassified(
            complaint_id=cid, type=self.type, urgency=self.urgency, department=self.department or "기타",
            confidence=0.9, model_version="test", weather=weather, weather_raised=bool(self.warnings)),
            correlation_id=cid))
        steps = ["classified", "dispatched", "acknowledged", "resolved"]
        minutes = {"classified": 1, "dispatched": 3, "acknowledged": 12, "resolved": 45}
        nid = uuid.uuid4()
        for step in steps[: steps.index(self.upto) + 1] if self.upto in steps else []:
            at = t + timedelta(minutes=minutes[step])
            if step == "dispatched":
                out.append(make_envelope(NOTIFICATION_SENT, NotificationSent(
                    notification_id=nid, complaint_id=cid, worker_id="w-017", team=self.team or "당직 총괄",
                    role="primary", provider="console", message_kind="SMS", sent_at=at), correlation_id=cid))
                if self.backup:
                    out.append(make_envelope(NOTIFICATION_SENT, NotificationSent(
                        notification_id=uuid.uuid4(), complaint_id=cid, worker_id="w-018",
                        team=self.team or "당직 총괄", role="backup", provider="console", message_kind="LMS",
                        sent_at=at + timedelta(minutes=10)), correlation_id=cid))
            if step == "acknowledged":
                out.append(make_envelope(NOTIFICATION_ACKNOWLEDGED, NotificationAcknowledged(
                    notification_id=nid, complaint_id=cid, worker_id="w-017", acknowledged_at=at),
                    correlation_id=cid))
            out.append(make_envelope(STATUS_CHANGED, ComplaintStatusChanged(
                complaint_id=cid, status=step, changed_at=at), correlation_id=cid))
        return out


@pytest.fixture
def complaint():
    """The Complaint story builder (a fixture, since test modules cannot import conftest)."""
    return Complaint


@pytest.fixture
def wait():
    async def _wait(check, timeout: float = 20.0, what: str = "condition"):
        return await eventually(check, timeout=timeout, what=what)
    return _wait


@pytest.fixture
def sleep():
    return asyncio.sleep
