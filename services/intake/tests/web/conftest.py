"""The desk on real PostgreSQL and NATS (intake's app, lifespan running), with a fake classifier."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import httpx
import pytest

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from intake.web.auth import save_user
from sunmoon.crypto import FieldCipher, KeyRing

_spec = importlib.util.spec_from_file_location("desk_fakes", Path(__file__).with_name("fakes.py"))
fakes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fakes)

PASSWORD = "correct-horse-battery"


@pytest.fixture
async def desk(servers, namespace):
    settings = IntakeSettings(database_url=await servers.fresh_database("intake"), nats_url=servers.nats_url,
                              nats_namespace=namespace, login_max_failures=3)
    app = create_app(settings, FieldCipher(KeyRing.generate("k1")))
    app.state.desk.preview.transport = fakes.fake_classifier()
    app.state.desk.admin.classifier.transport = fakes.fake_classifier()  # the type labels (types_cache)
    async with app.router.lifespan_context(app):
        async with app.state.runtime.pool.acquire() as conn:
            for name, role in (("officer", "duty_officer"), ("chief", "supervisor")):
                await save_user(conn, name, role, PASSWORD, update=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://desk.test") as client:
            yield client, app
