"""`rotate-keys` also re-encrypts the Open311 caller data (e-mail, device and account ids)."""

from __future__ import annotations

import asyncio
import io
import uuid

import asyncpg
import requests

from intake.open311.rotation import rotate
from sunmoon.crypto import FieldCipher


async def test_rotation_reencrypts_open311_personal_data(open311):
    r = await asyncio.to_thread(requests.post, f"{open311.root}/requests.json", timeout=10, data={
        "api_key": open311.key, "service_code": "other", "address_string": "김포시 구래동 1",
        "description": "문의", "email": "a@example.kr", "device_id": "dev-1"})
    cid = uuid.UUID(r.json()[0]["service_request_id"])
    newer = FieldCipher(open311.cipher.ring.with_new_key("k2"))
    pool = await asyncpg.create_pool(open311.app.state.settings.database_url, min_size=1, max_size=2)
    try:
        assert await rotate(pool, newer, out=io.StringIO()) == 2
        assert await rotate(pool, newer, out=io.StringIO()) == 0  # nothing left under the old key
    finally:
        await pool.close()
    row = await open311.db.fetchrow("SELECT * FROM open311_requests WHERE complaint_id = $1", cid)
    assert FieldCipher.key_id_of(row["email_enc"]) == "k2" and row["account_id_enc"] is None
    assert newer.decrypt(row["email_enc"], table="open311_requests", column="email",
                         row_id=cid).reveal() == "a@example.kr"
    assert newer.decrypt(row["device_id_enc"], table="open311_requests", column="device_id",
                         row_id=cid).reveal() == "dev-1"
