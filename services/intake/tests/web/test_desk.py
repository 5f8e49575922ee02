"""The desk's pages and endpoints: preview through intake, board, live feed, map, detail, logged reveal."""

import asyncio
import json
import uuid

import httpx

from sunmoon.testing.service import auth_headers
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from intake.web import auth
from intake.web.auth import save_user
from sunmoon.crypto import FieldCipher, KeyRing

from .conftest import PASSWORD, fakes

BODY = {"description": "사우동 사거리 가로등이 꺼져 있어요. 연락처 010-2222-3333",
        "location": {"address": "경기도 김포시 사우동 123-4", "lat": 37.6165, "lon": 126.7191},
        "complainant": {"name": "김민수", "phone": "010-1234-5678"}, "channel": "phone"}


async def _signed_in(client, name="officer"):
    await fakes.sign_in(client, name, PASSWORD)
    return {"x-csrf-token": fakes.page_csrf((await client.get("/desk/")).text)}


async def test_intake_form_page_is_keyboard_ready_and_ships_the_gazetteer(desk):
    client, _ = desk
    await _signed_in(client)
    html = (await client.get("/desk/")).text
    assert 'id="phone"' in html and "autofocus" in html and 'list="place-list"' in html
    assert html.count("<option value=") >= 14 + 3 + 15 and "고촌읍" in html
    assert '<script src="/desk/static/intake.js">' in html
    places = (await client.get("/desk/api/places", params={"q": "풍무"})).json()["places"]
    assert places[0]["name"] == "풍무동" and places[0]["address"] == "경기도 김포시 풍무동"
    assert {p["kind"] for p in places[1:]} == {"road"}                 # then its roads (풍무로, ...)


async def test_preview_goes_through_intake_with_phone_numbers_masked(desk):
    client, _ = desk
    headers = await _signed_in(client)
    fakes.SEEN.clear()
    r = await client.post("/desk/api/preview", json={"text": "수도관이 터졌어요 제 번호는 010-9876-5432"},
                          headers=headers)
    body = r.json()
    assert body["known"] and body["type"] == "water_supply" and body["urgency"] == "urgent"
    assert [c["type"] for c in body["candidates"]][0] == "water_supply" and len(body["candidates"]) == 3
    assert body["manual"]["steps"] and "상하수도과" in body["manual"]["department"]
    assert fakes.SEEN and "9876" not in fakes.SEEN[-1] and "5432" in fakes.SEEN[-1]
    r = await client.get("/desk/api/manuals/streetlight")
    assert r.json()["known"] and r.json()["manual"]["title"] == "가로등·보안등 처리 매뉴얼"
    assert (await client.get("/desk/api/manuals/bogus")).status_code == 404


async def test_preview_says_unknown_when_the_classifier_is_down(desk):
    client, app = desk
    headers = await _signed_in(client)

    def down(request):
        raise httpx.ConnectError("connection refused")
    app.state.desk.preview.transport = httpx.MockTransport(down)
    r = await client.post("/desk/api/preview", json={"text": "가로등이 꺼졌어요"}, headers=headers)
    assert r.status_code == 200 and r.json() == {"known": False, "reason": "분류기에 연결할 수 없습니다"}
    assert (await client.get("/desk/api/manuals/streetlight")).json() == {"known": False, "manual": None}

    async def slow(request):
        await asyncio.sleep(5)
    app.state.desk.preview.transport = httpx.MockTransport(slow)
    app.state.desk.preview.timeout = 0.2
    r = await client.post("/desk/api/preview", json={"text": "가로등이 꺼졌어요"}, headers=headers)
    assert r.json()["known"] is False


async def test_board_map_and_detail_show_a_filed_complaint(desk):
    client, app = desk
    headers = await _signed_in(client)  # the desk's script sends the session's CSRF token on /api/v1 too
    cid = (await client.post("/api/v1/complaints", json=BODY, headers=headers)).json()["id"]
    await client.post(f"/api/v1/complaints/{cid}/classification", json={"type": "streetlight", "urgency": "normal"},
                      headers=headers)
    board = (await client.get("/desk/api/board")).json()
    item = next(i for i in board["items"] if i["id"] == cid)
    assert item["status"] == "classified" and item["status_label"] == "분류됨"
    assert item["type_label"] == "가로등·보안등" and item["urgency_label"] == "보통" and item["place"] == "사우동"
    assert item["corrected"] and not item["overdue"] and "2222" not in item["summary"]
    # an old, unacknowledged complaint is overdue
    await app.state.runtime.pool.execute(
        "UPDATE complaints SET received_at = now() - interval '2 hours' WHERE id = $1", uuid.UUID(cid))
    assert next(i for i in (await client.get("/desk/api/board")).json()["items"] if i["id"] == cid)["overdue"]
    m = (await client.get("/desk/api/map")).json()
    assert [i["id"] for i in m["items"]] == [cid] and len(m["places"]) == 14
    html = (await client.get(f"/desk/complaints/{cid}")).text
    assert "김*수" in html and "010-****-5678" in html and "김민수" not in html and "1234-5678" not in html
    assert "가로등·보안등" in html and "담당자 지정" in html and "담당자가 유형 지정: 가로등·보안등" in html
    assert (await client.get(f"/desk/complaints/{uuid.uuid4()}")).status_code == 404


async def test_reveal_needs_a_reason_and_is_logged(desk):
    client, app = desk
    headers = await _signed_in(client)
    cid = (await client.post("/api/v1/complaints", json=BODY, headers=headers)).json()["id"]
    url = f"/desk/api/complaints/{cid}/reveal"
    assert (await client.post(url, json={"reason": "회신"})).status_code == 403             # no CSRF token
    assert (await client.post(url, json={"reason": " "}, headers=headers)).status_code == 422
    pool = app.state.runtime.pool
    assert await pool.fetchval("SELECT count(*) FROM pii_access_log") == 0
    r = await client.post(url, json={"reason": "민원인 회신 전화"}, headers=headers)
    assert r.json() == {"name": "김민수", "phone": "010-1234-5678"} and r.headers["cache-control"] == "no-store"
    row = await pool.fetchrow("SELECT * FROM pii_access_log")
    assert (row["user_name"], row["reason"], row["complaint_id"]) == ("officer", "민원인 회신 전화", uuid.UUID(cid))
    assert sorted(row["fields"]) == ["complainant_name", "complainant_phone"]
    assert "민원인 회신 전화" in (await client.get(f"/desk/complaints/{cid}")).text
    client.cookies.clear()
    await _signed_in(client, "chief")
    log_page = (await client.get("/desk/access-log")).text
    assert "officer" in log_page and "민원인 회신 전화" in log_page and cid[:8] in log_page


async def test_live_feed_sends_new_and_changed_complaints(servers, namespace):
    url = await servers.fresh_database("intake")
    # plain HTTP to 127.0.0.1: httpx (unlike a browser) keeps no Secure cookie there
    settings = IntakeSettings(database_url=url, nats_url=servers.nats_url, nats_namespace=namespace,
                              cookie_secure=False)
    app = create_app(settings, FieldCipher(KeyRing.generate("k1")))
    with fakes.LiveServer(app) as live:
        import asyncpg
        conn = await asyncpg.connect(url)
        try:
            await save_user(conn, "officer", "duty_officer", PASSWORD, update=False)
        finally:
            await conn.close()
        async with httpx.AsyncClient(base_url=live.url, timeout=10) as client:
            r = await fakes.sign_in(client, "officer", PASSWORD)
            assert r.status_code == 303 and client.cookies.get(auth.SESSION_COOKIE)
            cookie: dict[str, str] = {}
            seen: list[dict] = []

            async def listen():
                async with client.stream("GET", "/desk/events", headers=cookie) as stream:
                    assert stream.headers["content-type"].startswith("text/event-stream")
                    event = None
                    async for line in stream.aiter_lines():
                        if line.startswith("event: "):
                            event = line[7:]
                        elif line.startswith("data: ") and event == "complaints":
                            seen.extend(json.loads(line[6:])["items"])
                            if any(i["status"] == "classified" for i in seen):
                                return

            task = asyncio.create_task(listen())
            await asyncio.sleep(0.5)
            cid = (await client.post("/api/v1/complaints", json=BODY, headers=auth_headers())).json()["id"]
            await asyncio.sleep(1.5)
            await client.post(f"/api/v1/complaints/{cid}/classification", json={"type": "streetlight"},
                              headers=auth_headers())
            await asyncio.wait_for(task, 10)
            assert [i["status"] for i in seen if i["id"] == cid] == ["received", "classified"]
            client.cookies.clear()
            assert (await client.get("/desk/events")).status_code == 401


async def test_map_tiles_are_configurable_and_allowed_by_the_csp(servers, namespace):
    settings = IntakeSettings(database_url=await servers.fresh_database("intake"), nats_url=servers.nats_url,
                              nats_namespace=namespace, map_tile_url="https://{s}.tiles.example.kr/{z}/{x}/{y}.png",
                              map_tile_attribution="© 예시 지도")
    app = create_app(settings, FieldCipher(KeyRing.generate("k1")))
    async with app.router.lifespan_context(app):
        async with app.state.runtime.pool.acquire() as conn:
            await save_user(conn, "officer", "duty_officer", PASSWORD, update=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://desk.test") as client:
            await fakes.sign_in(client, "officer", PASSWORD)
            r = await client.get("/desk/map")
            assert 'data-tile-url="https://{s}.tiles.example.kr/{z}/{x}/{y}.png"' in r.text
            assert "배경 지도 없음" not in r.text and "© 예시 지도" in r.text
            assert "img-src 'self' data: https://*.tiles.example.kr;" in r.headers["content-security-policy"]
            assert '/desk/static/vendor/leaflet/leaflet.js' in r.text
            assert (await client.get("/desk/static/vendor/leaflet/leaflet.js")).status_code == 200
