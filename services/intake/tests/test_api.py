"""Intake on real PostgreSQL and NATS JetStream, driven through its HTTP API and its event subscriptions."""

import asyncio
import uuid

import httpx
import pytest

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from sunmoon.crypto import DecryptionError, FieldCipher, KeyRing
from sunmoon.events import COMPLAINT_CLASSIFIED, NOTIFICATION_SENT, decode, make_envelope
from sunmoon.events.classifier import ComplaintClassified
from sunmoon.events.notifier import NotificationSent
from sunmoon.messaging import Namespace, connect
from sunmoon.testing.service import auth_headers

BODY = {
    "description": "사우동 사거리 맨홀 뚜껑이 열려 있어요",
    "location": {"address": "경기도 김포시 사우동 123-4", "lat": 37.62, "lon": 126.71},
    "complainant": {"name": "김민수", "phone": "010-1234-5678"},
    "channel": "phone",
}


@pytest.fixture
async def intake(servers, namespace):
    settings = IntakeSettings(database_url=await servers.fresh_database("intake"), nats_url=servers.nats_url,
                              nats_namespace=namespace)
    cipher = FieldCipher(KeyRing.generate("k1"))
    app = create_app(settings, cipher)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth_headers()) as client:
            yield client, app, cipher


async def _eventually(check, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.05)


async def test_file_read_and_list(intake):
    client, app, cipher = intake
    r = await client.post("/api/v1/complaints", json=BODY)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert r.headers["location"] == f"/api/v1/complaints/{cid}"
    got = (await client.get(f"/api/v1/complaints/{cid}")).json()
    assert got["status"] == "received" and got["location"]["district"] == "사우동"
    assert got["complainant"] == {"name": "김*수", "phone": "010-****-5678"}
    assert [h["status"] for h in got["history"]] == ["received"]
    # stored encrypted, bound to the row
    row = await app.state.runtime.pool.fetchrow("SELECT * FROM complaints WHERE id = $1", uuid.UUID(cid))
    assert b"5678" not in row["complainant_phone_enc"] and "김민수".encode() not in row["complainant_name_enc"]
    assert cipher.decrypt(row["complainant_phone_enc"], table="complaints", column="complainant_phone",
                          row_id=row["id"]).reveal() == "010-1234-5678"
    page = (await client.get("/api/v1/complaints", params={"status": "received", "limit": 10})).json()
    assert page["total"] == 1 and page["items"][0]["id"] == cid
    by_phone = (await client.get("/api/v1/complaints", params={"phone": "01012345678"})).json()
    assert [c["id"] for c in by_phone["items"]] == [cid]
    assert (await client.get("/api/v1/complaints", params={"phone": "010-9999-0000"})).json()["total"] == 0


async def test_ciphertext_moved_to_another_row_fails_loudly(intake):
    client, app, cipher = intake
    a = (await client.post("/api/v1/complaints", json=BODY)).json()["id"]
    b = (await client.post("/api/v1/complaints", json={**BODY, "complainant": {"phone": "010-5555-6666"}})).json()["id"]
    pool = app.state.runtime.pool
    await pool.execute("UPDATE complaints SET complainant_phone_enc = (SELECT complainant_phone_enc FROM complaints"
                       " WHERE id = $1) WHERE id = $2", uuid.UUID(a), uuid.UUID(b))
    row = await pool.fetchrow("SELECT * FROM complaints WHERE id = $1", uuid.UUID(b))
    with pytest.raises(DecryptionError):
        cipher.decrypt(row["complainant_phone_enc"], table="complaints", column="complainant_phone", row_id=row["id"])
    # the API does not crash, it shows the failure
    assert (await client.get(f"/api/v1/complaints/{b}")).json()["complainant"]["phone"] == "[복호화 실패]"


@pytest.mark.parametrize("body, field", [
    ({**BODY, "description": "  "}, "description"),
    ({**BODY, "channel": "fax"}, "channel"),
    ({**BODY, "location": {}}, "location"),
    ({**BODY, "location": {"lat": 37.6}}, "location"),
    ({**BODY, "location": {"lat": 10.0, "lon": 126.7}}, "lat"),
    ({**BODY, "complainant": {"phone": "12-34"}}, "phone"),
    ({**BODY, "received_at": "2999-01-01T00:00:00+09:00"}, "received_at"),
    ({**BODY, "surprise": 1}, "surprise"),
])
async def test_bad_input_gets_422_naming_the_field(intake, body, field):
    client, _, _ = intake
    r = await client.post("/api/v1/complaints", json=body)
    assert r.status_code == 422
    assert any(field in map(str, e["loc"]) for e in r.json()["detail"]), r.json()


async def test_too_large_and_unknown(intake):
    client, _, _ = intake
    r = await client.post("/api/v1/complaints", json={**BODY, "description": "가" * 30000})
    assert r.status_code == 413 and "64 KiB" in r.json()["detail"]
    r = await client.post("/api/v1/complaints", content=b"x" * 70000, headers={"content-type": "application/json",
                                                                               "transfer-encoding": "chunked"})
    assert r.status_code == 413
    assert (await client.get(f"/api/v1/complaints/{uuid.uuid4()}")).status_code == 404
    assert (await client.get("/api/v1/complaints/not-a-uuid")).status_code == 422
    assert (await client.post(f"/api/v1/complaints/{uuid.uuid4()}/resolve")).status_code == 404
    r = await client.post("/api/v1/complaints", content=b"{broken", headers={"content-type": "application/json"})
    assert r.status_code == 422


async def test_status_follows_events_and_duplicates_change_nothing(intake, servers, namespace):
    client, app, _ = intake
    cid = uuid.UUID((await client.post("/api/v1/complaints", json=BODY)).json()["id"])
    ns = Namespace(namespace)
    nc, js = await connect(servers.nats_url, name="test")
    try:
        classified = make_envelope(COMPLAINT_CLASSIFIED, ComplaintClassified(
            complaint_id=cid, type="road_damage", urgency="urgent", department="도로과", confidence=0.9,
            model_version="test"), correlation_id=cid)
        for msg_id in ("one", "two"):  # the same event twice
            await js.publish(ns.subject(classified.subject), classified.to_bytes(), headers={"Nats-Msg-Id": msg_id})

        async def status():
            return (await client.get(f"/api/v1/complaints/{cid}")).json()

        assert (await _eventually(lambda: _is(status, "classified")))
        # one dispatch request, carrying only the masked number
        sub = await js.pull_subscribe(ns.subject("intake.complaint.dispatch_requested.v1"), stream=ns.stream("INTAKE"))

        async def requests():
            try:
                return await sub.fetch(10, timeout=0.5)
            except Exception:  # noqa: BLE001
                return []
        msgs = await _eventually(requests)
        await asyncio.sleep(0.5)
        msgs += await requests()
        assert len(msgs) == 1
        _, payload = decode(ns.strip(msgs[0].subject), msgs[0].data)
        assert payload.callback_masked == "010-****-5678" and payload.urgency == "urgent"
        assert b"1234" not in msgs[0].data

        sent = make_envelope(NOTIFICATION_SENT, NotificationSent(
            notification_id=uuid.uuid4(), complaint_id=cid, worker_id="w1", team="도로", provider="console",
            message_kind="SMS", sent_at="2026-11-26T15:00:00Z"), correlation_id=cid)
        await js.publish(ns.subject(sent.subject), sent.to_bytes())
        assert await _eventually(lambda: _is(status, "dispatched"))
        # a late duplicate of the classification does not move it back
        await js.publish(ns.subject(classified.subject), classified.to_bytes(), headers={"Nats-Msg-Id": "three"})
        await asyncio.sleep(0.5)
        got = await status()
        assert got["status"] == "dispatched"
        assert [h["status"] for h in got["history"]] == ["received", "classified", "dispatched"]

        r = await client.post(f"/api/v1/complaints/{cid}/resolve", json={"note": "뚜껑 닫음"})
        assert r.status_code == 200 and r.json()["status"] == "resolved"
        assert (await client.post(f"/api/v1/complaints/{cid}/resolve")).status_code == 409
    finally:
        await nc.close()


async def _is(status, wanted):
    return (await status())["status"] == wanted


async def test_rotate_keys_re_encrypts_old_rows(servers, namespace):
    import io

    from intake.rotation import rotate

    old = FieldCipher(KeyRing.generate("k1"))
    settings = IntakeSettings(database_url=await servers.fresh_database("intake"), nats_url=servers.nats_url,
                              nats_namespace=namespace)
    app = create_app(settings, old)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth_headers()) as client:
            ids = [(await client.post("/api/v1/complaints", json=BODY)).json()["id"] for _ in range(3)]
            await client.post("/api/v1/complaints", json={**BODY, "complainant": None})
        pool = app.state.runtime.pool
        new = FieldCipher(old.ring.with_new_key("k2"))
        # before: the new ring still reads rows written under k1
        row = await pool.fetchrow("SELECT * FROM complaints WHERE id = $1", uuid.UUID(ids[0]))
        assert new.decrypt(row["complainant_phone_enc"], table="complaints", column="complainant_phone",
                           row_id=row["id"]).reveal() == "010-1234-5678"
        out = io.StringIO()
        assert await rotate(pool, new, batch=2, out=out) == 6
        assert "3/3 rows, 6 values — done" in out.getvalue()
        for r in await pool.fetch("SELECT * FROM complaints WHERE complainant_phone_enc IS NOT NULL"):
            assert FieldCipher.key_id_of(r["complainant_phone_enc"]) == "k2"
            assert new.decrypt(r["complainant_name_enc"], table="complaints", column="complainant_name",
                               row_id=r["id"]).reveal() == "김민수"
        assert await rotate(pool, new, out=io.StringIO()) == 0  # nothing left to do
