"""Retention of complainants' personal data on real PostgreSQL and NATS: an old resolved complaint loses its caller
data (checked in the raw table dump), stays listed with its district, is logged; recent ones and events are
untouched."""

import io
import uuid

import httpx
import pytest

from intake import access_records, retention
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from sunmoon.crypto import FieldCipher, KeyRing
from sunmoon.testing.service import auth_headers

OLD = {"description": "김민수입니다. 집 앞 맨홀이 열려 있어요. 다시 전화 주세요 010-2222-3333", "channel": "phone",
       "location": {"address": "경기도 김포시 사우동 123-4", "lat": 37.616543, "lon": 126.719187},
       "complainant": {"name": "김민수", "phone": "010-1234-5678"}}
NEW = {"description": "풍무동 가로등 고장", "channel": "phone",
       "location": {"address": "경기도 김포시 풍무동 55-1", "lat": 37.61, "lon": 126.72},
       "complainant": {"name": "박영희", "phone": "010-9876-5432"}}
TABLES = ("complaints", "open311_requests", "worker_responses", "complaint_status_history")


@pytest.fixture
async def intake(servers, namespace):
    settings = IntakeSettings(database_url=await servers.fresh_database("intake"), nats_url=servers.nats_url,
                              nats_namespace=namespace, pii_retention_days=365)
    cipher = FieldCipher(KeyRing.generate("k1"))
    app = create_app(settings, cipher)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t",
                                     headers=auth_headers()) as client:
            yield client, app, cipher


async def _dump(pool) -> bytes:
    """Every row of the tables that hold complaint data, as COPY writes them (what a pg_dump holds)."""
    out = b""
    async with pool.acquire() as conn:
        for table in TABLES:
            buf = io.BytesIO()
            await conn.copy_from_table(table, output=buf)
            out += buf.getvalue()
    return out


async def test_purge_removes_old_callers_data_and_keeps_the_complaint(intake):
    client, app, cipher = intake
    pool = app.state.runtime.pool
    old = (await client.post("/api/v1/complaints", json=OLD)).json()["id"]
    new = (await client.post("/api/v1/complaints", json=NEW)).json()["id"]
    assert (await client.post(f"/api/v1/complaints/{old}/resolve",
                              json={"note": "김민수 님께 010-1234-5678로 연락함"})).status_code == 200
    await pool.execute("UPDATE complaints SET resolved_at = now() - interval '400 days',"
                       " received_at = now() - interval '401 days' WHERE id = $1", uuid.UUID(old))
    # an Open311 caller's contact data, as the Open311 endpoint stores it
    key_id = await pool.fetchval(
        "INSERT INTO open311_api_keys (name, key_hash, key_prefix, rate_per_minute, burst, bucket_tokens)"
        " VALUES ('app', '\\x01', 'abc', 60, 10, 10) RETURNING id")
    email = cipher.encrypt("kim@example.com", table="open311_requests", column="email", row_id=uuid.UUID(old))
    await pool.execute(
        "INSERT INTO open311_requests (complaint_id, token, service_code, public_description, address_string,"
        " api_key_id, email_enc) VALUES ($1, $2, 'sewer', '김민수 010-1234-5678 맨홀', '사우동 123-4', $3, $4)",
        uuid.UUID(old), uuid.uuid4(), key_id, email)
    before = await pool.fetchrow("SELECT * FROM complaints WHERE id = $1", uuid.UUID(old))
    kept = await pool.fetchrow("SELECT * FROM complaints WHERE id = $1", uuid.UUID(new))
    dump = await _dump(pool)
    assert before["complainant_phone_enc"].hex().encode() in dump and "김민수".encode() in dump
    outbox_before = await pool.fetchval("SELECT count(*) FROM outbox")

    assert (await retention.purge(pool, cipher, 365, dry_run=True)).due == 1
    assert await pool.fetchval("SELECT count(*) FROM pii_purge_log") == 0
    lines: list[str] = []
    result = await retention.purge(pool, cipher, 365, progress=lines.append)
    assert (result.due, result.purged, result.batches) == (1, 1, 1) and "1/1" in lines[0]

    dump = await _dump(pool)
    for secret in ("김민수", "010-1234-5678", "01012345678", "1234-5678", "010-2222-3333", "kim@example.com",
                   "123-4"):
        assert secret.encode() not in dump, secret
    for blob in (before["complainant_name_enc"], before["complainant_phone_enc"], before["complainant_phone_idx"],
                 email):
        assert bytes(blob).hex().encode() not in dump
    # the recent complaint keeps everything
    assert kept["complainant_phone_enc"].hex().encode() in dump and "풍무동 55-1".encode() in dump
    row = await pool.fetchrow("SELECT * FROM complaints WHERE id = $1", uuid.UUID(old))
    assert row["district"] == "사우동" and (row["lat"], row["lon"]) == (37.617, 126.719)
    assert row["description"].startswith("[민원인]입니다.") and "[전화번호]" in row["description"]
    assert row["resolution_note"] == "[민원인] 님께 [전화번호]로 연락함" and row["personal_data_purged_at"]
    o311 = await pool.fetchrow("SELECT * FROM open311_requests WHERE complaint_id = $1", uuid.UUID(old))
    assert o311["email_enc"] is None and o311["address_string"] is None
    assert o311["public_description"] == "[민원인] [전화번호] 맨홀"
    # still listed, with its district, without caller data
    items = {i["id"]: i for i in (await client.get("/api/v1/complaints")).json()["items"]}
    assert items[old]["location"] == {"address": None, "district": "사우동", "lat": 37.617, "lon": 126.719}
    assert items[old]["complainant"] is None and items[new]["complainant"]["name"] == "박*희"
    # logged: which complaints, the period; one access record; no event (reporting's PII-free rows untouched)
    log = await pool.fetchrow("SELECT * FROM pii_purge_log")
    assert log["complaint_ids"] == [uuid.UUID(old)] and log["complaints"] == 1 and log["retention_days"] == 365
    rec = await pool.fetchrow("SELECT * FROM access_records WHERE action = 'purge'")
    assert rec["actor"] == "system" and f"#{log['id']}" in rec["reason"] and "1건" in rec["reason"]
    assert await pool.fetchval("SELECT count(*) FROM outbox") == outbox_before
    # nothing more to do; the daily pass (one replica at a time) finds nothing and prunes no young records
    assert (await retention.purge(pool, cipher, 365)).purged == 0
    again = await retention.run_once(pool, cipher, app.state.settings)
    assert again is not None and (again.purged, again.access_records_pruned) == (0, 0)
    async with pool.acquire() as conn:
        assert (await access_records.verify(conn)).ok


def test_retention_settings_refuse_short_record_keeping():
    with pytest.raises(ValueError, match="INTAKE_ACCESS_RECORD_RETENTION_DAYS must be at least 730"):
        IntakeSettings(access_record_retention_days=365)
    with pytest.raises(ValueError):
        IntakeSettings(pii_retention_days=0)
    assert IntakeSettings().pii_retention_days == 365 and IntakeSettings().access_record_retention_days == 730


def test_scrub_free_text():
    assert retention.scrub("김민수 010 1234 5678, 02-123-4567 김민수", ["김민수"]) == \
        "[민원인] [전화번호], [전화번호] [민원인]"
    assert retention.scrub("연락처 010-****-3333", []) == "연락처 [전화번호]"
    assert retention.scrub(None, ["김민수"]) is None
