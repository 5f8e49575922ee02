"""The administrators' API keys screen /desk/admin/api-keys: issue (key shown once), list, revoke."""

from __future__ import annotations

import hashlib
import re

import httpx
import pytest

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from intake.web.auth import save_user
from sunmoon.crypto import FieldCipher, KeyRing

PASSWORD = "correct-horse-battery"


@pytest.fixture
async def desk(servers, namespace):
    settings = IntakeSettings(database_url=await servers.fresh_database("intake"), nats_url=servers.nats_url,
                              nats_namespace=namespace)
    app = create_app(settings, FieldCipher(KeyRing.generate("k1")))
    async with app.router.lifespan_context(app):
        async with app.state.runtime.pool.acquire() as conn:
            for name, role in (("boss", "admin"), ("officer", "duty_officer")):
                await save_user(conn, name, role, PASSWORD, update=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://desk.test") as client:
            yield client, app


async def _sign_in(client: httpx.AsyncClient, name: str) -> str:
    form = (await client.get("/desk/login")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    r = await client.post("/desk/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    page = await client.get("/desk/admin/api-keys")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return match.group(1) if match else ""


async def test_admin_issues_lists_and_revokes_keys(desk):
    client, app = desk
    csrf = await _sign_in(client, "boss")
    r = await client.post("/desk/admin/api-keys", data={"csrf_token": csrf, "name": "kiosk-sau", "rate": "10",
                                                        "burst": "5"})
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    key = re.search(r'<code id="issued-key">([^<]+)</code>', r.text).group(1)
    row = await app.state.runtime.pool.fetchrow("SELECT * FROM open311_api_keys WHERE name = 'kiosk-sau'")
    assert row["key_hash"] == hashlib.sha256(key.encode()).digest() and row["burst"] == 5
    listed = (await client.get("/desk/admin/api-keys")).text
    assert "kiosk-sau" in listed and key not in listed and "분당 10회" in listed
    assert (await client.post("/desk/admin/api-keys", data={"csrf_token": csrf, "name": "kiosk-sau"})).status_code == 409
    assert (await client.post("/desk/admin/api-keys", data={"csrf_token": "wrong", "name": "x1"})).status_code == 403
    r = await client.post("/desk/admin/api-keys/kiosk-sau/revoke", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert "폐기됨" in (await client.get(r.headers["location"])).text
    assert await app.state.runtime.pool.fetchval("SELECT revoked_at IS NOT NULL FROM open311_api_keys") is True


async def test_only_administrators(desk):
    client, _ = desk
    await _sign_in(client, "officer")
    assert (await client.get("/desk/admin/api-keys")).status_code == 403
    await client.post("/desk/logout")
    client.cookies.clear()
    r = await client.get("/desk/admin/api-keys")
    assert r.status_code == 303 and r.headers["location"].startswith("/desk/login")
