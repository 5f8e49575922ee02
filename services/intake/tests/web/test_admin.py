"""The administration screens (/desk/admin) on real PostgreSQL and NATS, with the real classifier and notifier
apps (their own databases, migrations and lifespans) answering intake's gateway in-process."""

from __future__ import annotations

import contextlib
import re

import httpx
import pytest

from classifier.bootstrap import create_app as classifier_app
from classifier.settings import ClassifierSettings
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from intake.web.auth import save_user
from notifier import demo_roster, handlers
from notifier.bootstrap import create_app as notifier_app
from notifier.settings import NotifierSettings
from sunmoon.crypto import FieldCipher, KeyRing

from .conftest import PASSWORD, fakes


@pytest.fixture
async def admin_desk(servers, namespace):
    """(client, intake app, classifier app, notifier app); users boss (admin), chief, officer."""
    async with contextlib.AsyncExitStack() as stack:
        cls = classifier_app(ClassifierSettings(database_url=await servers.fresh_database("classifier"),
                                                nats_url=servers.nats_url, nats_namespace=namespace))
        await stack.enter_async_context(cls.router.lifespan_context(cls))
        ncipher = FieldCipher(KeyRing.generate("n1"))
        ntf = notifier_app(NotifierSettings(database_url=await servers.fresh_database("notifier"),
                                            nats_url=servers.nats_url, nats_namespace=namespace,
                                            public_url="http://notifier.test"), cipher=ncipher)
        await stack.enter_async_context(ntf.router.lifespan_context(ntf))
        async with ntf.state.runtime.pool.acquire() as conn, conn.transaction():
            await handlers.seed_roster(conn, ncipher, demo_roster.TEAMS, demo_roster.ENTRIES, demo_roster.SHIFTS)
        app = create_app(IntakeSettings(database_url=await servers.fresh_database("intake"),
                                        nats_url=servers.nats_url, nats_namespace=namespace),
                         FieldCipher(KeyRing.generate("k1")))
        app.state.desk.admin.classifier.transport = httpx.ASGITransport(app=cls)
        app.state.desk.admin.notifier.transport = httpx.ASGITransport(app=ntf)
        await stack.enter_async_context(app.router.lifespan_context(app))
        async with app.state.runtime.pool.acquire() as conn:
            for name, role in (("boss", "admin"), ("chief", "supervisor"), ("officer", "duty_officer")):
                await save_user(conn, name, role, PASSWORD, update=False)
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://desk.test"))
        yield client, app, cls, ntf


async def _as(client, name: str) -> str:
    await fakes.sign_in(client, name, PASSWORD)
    return fakes.page_csrf((await client.get("/desk/")).text)


def _log_rows(app):
    return app.state.runtime.pool.fetch("SELECT user_name, service, action, target, status, detail"
                                        " FROM desk_admin_log ORDER BY id")


PAGES = ["/desk/admin", "/desk/admin/manuals", "/desk/admin/manuals/noise", "/desk/admin/roster",
         "/desk/admin/users", "/desk/admin/types"]
POSTS = ["/desk/admin/manuals/noise", "/desk/admin/types/noise", "/desk/admin/roster/teams",
         "/desk/admin/roster/workers", "/desk/admin/roster/shifts", "/desk/admin/roster/shifts/1/remove",
         "/desk/admin/roster/teams/water/remove", "/desk/admin/roster/workers/w-water-1/remove",
         "/desk/admin/users", "/desk/admin/users/1/role", "/desk/admin/users/1/password",
         "/desk/admin/users/1/disable"]


async def test_who_may_see_and_post(admin_desk):
    client, app, _, _ = admin_desk
    for path in PAGES:  # nobody signed in: pages redirect to sign-in, posts get 401
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/desk/login?next="), path
    for path in POSTS:
        assert (await client.post(path, data={"x": "1"})).status_code == 401, path
    csrf = await _as(client, "officer")
    assert "/desk/admin" not in (await client.get("/desk/")).text  # no nav link for a duty officer
    for path in PAGES:
        r = await client.get(path)
        assert r.status_code == 403 and "권한이 없습니다" in r.text, path
    for path in POSTS:
        assert (await client.post(path, data={"csrf_token": csrf})).status_code == 403, path
    await client.post("/desk/logout", data={"csrf_token": csrf})
    await _as(client, "chief")  # a supervisor reads the roster, nothing else
    assert (await client.get("/desk/admin")).status_code == 200
    r = await client.get("/desk/admin/roster")
    assert r.status_code == 200 and "상하수도" in r.text and 'id="worker-form"' not in r.text
    for path in ("/desk/admin/manuals", "/desk/admin/users", "/desk/admin/types"):
        assert (await client.get(path)).status_code == 403
    assert (await _log_rows(app)) == []


async def test_posts_without_the_csrf_token_are_refused(admin_desk):
    client, app, _, _ = admin_desk
    await _as(client, "boss")
    for path in POSTS:
        r = await client.post(path, data={"name": "x"})
        assert r.status_code == 403 and "보안 토큰" in r.json()["detail"], path
        r = await client.post(path, data={"csrf_token": "forged"})
        assert r.status_code == 403, path
    assert (await _log_rows(app)) == []


async def test_admin_pages_render_with_a_strict_csp(admin_desk):
    client, _, _, _ = admin_desk
    await _as(client, "boss")
    for path in PAGES:
        r = await client.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert "<script>" not in r.text and " style=" not in r.text and " onclick" not in r.text
        assert '<script src="/desk/static/admin.js">' in r.text
    index = (await client.get("/desk/admin")).text
    assert all(w in index for w in ("매뉴얼", "근무표", "사용자", "민원 유형"))
    types = (await client.get("/desk/admin/types")).text
    assert types.count('class="card type-card"') == 15 and "다시 학습" in types and "상하수도 당직" in types
    assert (await client.get("/desk/static/admin.js")).status_code == 200


async def test_publish_a_manual_version(admin_desk):
    client, app, cls, _ = admin_desk
    csrf = await _as(client, "boss")
    page = (await client.get("/desk/admin/manuals/noise")).text
    assert "소음 야간 대응" in page and 'name="base_version" value="1"' in page
    form = {k: re.search(rf'name="{k}"[^>]*>([^<]*)</textarea>', page).group(1)
            for k in ("steps", "phone_checks", "tell_citizen", "agencies")}
    form["steps"] += "\n새벽 2시 이후 공사 소음은 사진을 받아 둔다."
    data = {"csrf_token": csrf, "base_version": "1", "title": "소음 야간 대응 (개정)", "department": "환경과",
            "after_hours_team": "환경 야간 소음 점검반", "note": "사진 확보 단계 추가", **form}
    r = await client.post("/desk/admin/manuals/noise", data=data)
    assert r.status_code == 303 and "done=manual" in r.headers["location"], r.text[:300]
    owned = await cls.state.runtime.pool.fetchrow("SELECT version, title, edited_by, steps FROM manuals"
                                                  " WHERE type = 'noise' ORDER BY version DESC LIMIT 1")
    assert (owned["version"], owned["title"], owned["edited_by"]) == (2, "소음 야간 대응 (개정)", "boss")
    assert owned["steps"][-1] == "새벽 2시 이후 공사 소음은 사진을 받아 둔다."
    shown = (await client.get(r.headers["location"])).text
    assert "새 버전을 게시했습니다" in shown and "v2" in shown and "사진 확보 단계 추가" in shown
    # the same stale base again: the classifier says 409, the page says so in Korean and keeps the edit
    r = await client.post("/desk/admin/manuals/noise", data=data)
    assert r.status_code == 409 and "충돌" in r.text and "소음 야간 대응 (개정)" in r.text
    bad = await client.post("/desk/admin/manuals/noise", data={**data, "base_version": "2", "agencies": "경찰 112"})
    assert bad.status_code == 422 and "이름 | 전화번호" in bad.text
    empty = await client.post("/desk/admin/manuals/noise", data={**data, "base_version": "2", "steps": " "})
    assert empty.status_code == 422 and "입력값이 올바르지 않습니다" in empty.text
    assert (await client.post("/desk/admin/manuals/karaoke", data=data)).status_code == 404
    rows = await _log_rows(app)
    assert [(r["user_name"], r["service"], r["status"]) for r in rows[:2]] == [
        ("boss", "classifier", 200), ("boss", "classifier", 409)]


async def test_owner_down_is_a_502_in_korean_never_a_500(admin_desk):
    client, app, _, _ = admin_desk
    csrf = await _as(client, "boss")
    for side in ("classifier", "notifier"):
        getattr(app.state.desk.admin, side).transport = None
        getattr(app.state.desk.admin, side).base_url = "http://127.0.0.1:9"  # nothing listens on the discard port
    for path in ("/desk/admin/manuals", "/desk/admin/manuals/noise", "/desk/admin/roster", "/desk/admin/types"):
        r = await client.get(path)
        assert r.status_code == 502 and "서비스에 연결할 수 없습니다" in r.text, path
    r = await client.post("/desk/admin/types/noise", data={"csrf_token": csrf, "label": "소음", "department": "환경과",
                                                          "default_urgency": "low", "active": "on"})
    assert r.status_code == 502 and "서비스에 연결할 수 없습니다" in r.text
    assert [(x["service"], x["status"]) for x in await _log_rows(app)] == [("classifier", 502)]


async def test_edit_the_roster(admin_desk):
    client, app, _, ntf = admin_desk
    csrf = await _as(client, "boss")
    page = (await client.get("/desk/admin/roster")).text
    assert "010-****-" in page and "공휴일" in page and "주말" in page
    r = await client.post("/desk/admin/roster/teams", data={
        "csrf_token": csrf, "id": "night-road", "name": "도로 야간반", "types": ["road_damage", "snow_ice"],
        "districts": "사우동, 풍무동", "active": "on"})
    assert r.status_code == 303 and r.headers["location"].endswith("done=team")
    r = await client.post("/desk/admin/roster/workers", data={
        "csrf_token": csrf, "id": "w-road-9", "team_id": "night-road", "role": "primary", "name": "한도로",
        "phone": "010-4444-9999", "active": "on"})
    assert r.status_code == 303, r.text[:400]
    page = (await client.get("/desk/admin/roster?worker=w-road-9")).text
    assert "도로 야간반" in page and "010-****-9999" in page and "4444" not in page and "한*로" in page
    # editing without a new phone keeps the stored one
    r = await client.post("/desk/admin/roster/workers", data={
        "csrf_token": csrf, "id": "w-road-9", "team_id": "night-road", "role": "backup", "name": "", "phone": "",
        "active": "on"})
    assert r.status_code == 303
    r = await client.post("/desk/admin/roster/shifts", data={
        "csrf_token": csrf, "id": "", "team_id": "night-road", "kind": "holiday", "on_date": "",
        "primary_worker_id": "w-road-9", "backup_worker_id": "", "supervisor_worker_id": "", "note": "명절 당번"})
    assert r.status_code == 303, r.text[:400]
    shift = await ntf.state.runtime.pool.fetchrow("SELECT id, kind, primary_worker_id FROM shift_assignments"
                                                  " WHERE team_id = 'night-road'")
    assert (shift["kind"], shift["primary_worker_id"]) == ("holiday", "w-road-9")
    worker = await ntf.state.runtime.pool.fetchrow("SELECT role, phone_enc IS NOT NULL AS has_phone FROM workers"
                                                   " WHERE id = 'w-road-9'")
    assert worker["role"] == "backup" and worker["has_phone"]
    # the notifier's rules come back in Korean: Chuseok 2026-09-25 is a holiday, not a weekday day shift
    r = await client.post("/desk/admin/roster/shifts", data={
        "csrf_token": csrf, "team_id": "night-road", "kind": "day", "on_date": "2026-09-25",
        "primary_worker_id": "w-road-9"})
    assert r.status_code == 422 and "입력값이 올바르지 않습니다" in r.text and "holiday" in r.text
    r = await client.post("/desk/admin/roster/workers", data={
        "csrf_token": csrf, "id": "w-road-10", "team_id": "night-road", "name": "새사람", "phone": "12345"})
    assert r.status_code == 422
    assert "Korean mobile" in r.text
    r = await client.post(f"/desk/admin/roster/shifts/{shift['id']}/remove", data={"csrf_token": csrf})
    assert r.status_code == 303
    npool = ntf.state.runtime.pool
    assert await npool.fetchval("SELECT count(*) FROM shift_assignments WHERE team_id = 'night-road'") == 0
    r = await client.post("/desk/admin/roster/workers/w-road-9/remove", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert await ntf.state.runtime.pool.fetchval("SELECT active FROM workers WHERE id = 'w-road-9'") is False
    r = await client.post("/desk/admin/roster/teams/nope/remove", data={"csrf_token": csrf})
    assert r.status_code == 404 and "찾을 수 없습니다" in r.text
    rows = await _log_rows(app)
    assert all(x["user_name"] == "boss" and x["service"] == "notifier" for x in rows)
    assert not any("4444" in (x["detail"] or "") or "한도로" in (x["detail"] or "") for x in rows)


async def test_complaint_types_are_the_classifiers(admin_desk):
    client, _app, cls, _ = admin_desk
    csrf = await _as(client, "boss")
    r = await client.post("/desk/admin/types/noise", data={"csrf_token": csrf, "label": "소음·진동",
                                                          "department": "기후환경과", "default_urgency": "low"})
    assert r.status_code == 303 and r.headers["location"] == "/desk/admin/types?done=type#type-noise"
    row = await cls.state.runtime.pool.fetchrow("SELECT label, department, default_urgency, active, updated_by"
                                                " FROM type_settings WHERE code = 'noise'")
    assert tuple(row) == ("소음·진동", "기후환경과", "low", False, "boss")  # unchecked box: inactive
    page = (await client.get("/desk/admin/types")).text
    assert "소음·진동" in page and "사용 안 함" in page
    r = await client.post("/desk/admin/types/other", data={"csrf_token": csrf, "label": "기타", "department": "당직실",
                                                          "default_urgency": "low"})
    assert r.status_code == 422 and "other" in r.text
    r = await client.post("/desk/admin/types/karaoke", data={"csrf_token": csrf, "label": "노래방", "department": "x",
                                                            "default_urgency": "low", "active": "on"})
    assert r.status_code == 404 and "retrain" in r.text
    r = await client.post("/desk/admin/types/noise", data={"csrf_token": csrf, "label": "", "department": "환경과",
                                                          "default_urgency": "low", "active": "on"})
    assert r.status_code == 422


async def test_manage_desk_users(admin_desk):
    client, app, _, _ = admin_desk
    csrf = await _as(client, "boss")
    pool = app.state.runtime.pool
    r = await client.post("/desk/admin/users", data={"csrf_token": csrf, "name": "park", "role": "duty_officer",
                                                    "password": "short", "password2": "short"})
    assert r.status_code == 422 and "10자 이상" in r.text
    r = await client.post("/desk/admin/users", data={"csrf_token": csrf, "name": "park", "role": "duty_officer",
                                                    "password": "long-enough-1", "password2": "different-11"})
    assert r.status_code == 422 and "두 비밀번호가 다릅니다" in r.text
    r = await client.post("/desk/admin/users", data={"csrf_token": csrf, "name": "park", "role": "duty_officer",
                                                    "password": "long-enough-1", "password2": "long-enough-1"})
    assert r.status_code == 303
    r = await client.post("/desk/admin/users", data={"csrf_token": csrf, "name": "park", "role": "admin",
                                                    "password": "long-enough-1", "password2": "long-enough-1"})
    assert r.status_code == 409
    park = await pool.fetchval("SELECT id FROM desk_users WHERE name = 'park'")
    # park signs in elsewhere; every change ends park's sessions
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://desk.test")
    async with other:
        await fakes.sign_in(other, "park", "long-enough-1")
        assert (await other.get("/desk/")).status_code == 200
        r = await client.post(f"/desk/admin/users/{park}/role", data={"csrf_token": csrf, "role": "supervisor"})
        assert r.status_code == 303
        assert (await other.get("/desk/")).status_code == 303  # signed out
        assert await pool.fetchval("SELECT role FROM desk_users WHERE id = $1", park) == "supervisor"
        r = await client.post(f"/desk/admin/users/{park}/password",
                              data={"csrf_token": csrf, "password": "brand-new-pass", "password2": "brand-new-pass"})
        assert r.status_code == 303
        assert (await fakes.sign_in(other, "park", "long-enough-1")).status_code == 401
        assert (await fakes.sign_in(other, "park", "brand-new-pass")).status_code == 303
        r = await client.post(f"/desk/admin/users/{park}/disable", data={"csrf_token": csrf})
        assert r.status_code == 303
        assert (await other.get("/desk/")).status_code == 303
        assert (await fakes.sign_in(other, "park", "brand-new-pass")).status_code == 401
    r = await client.post(f"/desk/admin/users/{park}/enable", data={"csrf_token": csrf})
    assert r.status_code == 303 and not await pool.fetchval("SELECT disabled FROM desk_users WHERE id = $1", park)
    boss = await pool.fetchval("SELECT id FROM desk_users WHERE name = 'boss'")
    r = await client.post(f"/desk/admin/users/{boss}/disable", data={"csrf_token": csrf})
    assert r.status_code == 409 and "자기 자신" in r.text
    r = await client.post("/desk/admin/users/99999/role", data={"csrf_token": csrf, "role": "admin"})
    assert r.status_code == 404
    page = (await client.get("/desk/admin/users")).text
    assert "park" in page and "당직 책임자" in page
    actions = [(x["service"], x["action"], x["target"]) for x in await _log_rows(app)]
    assert actions == [("intake", "user.create", "park"), ("intake", "user.role", "park"),
                       ("intake", "user.password", "park"), ("intake", "user.disable", "park"),
                       ("intake", "user.enable", "park")]
    assert "brand-new-pass" not in str(await _log_rows(app))
