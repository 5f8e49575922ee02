"""The roster with shifts on real PostgreSQL and NATS: editing it over HTTP, asking who is on call,
and dispatch requests at a holiday night, a weekday night and a Saturday reaching the right crew."""

import uuid
from datetime import datetime

import httpx
import pytest

from sunmoon.crypto import FieldCipher, KeyRing
from sunmoon.events import DISPATCH_REQUESTED, make_envelope
from sunmoon.events.intake import ComplaintDispatchRequested
from sunmoon.messaging import Namespace, connect
from sunmoon.testing.service import ServiceUnderTest, auth_headers

from notifier import demo_roster, handlers
from notifier.bootstrap import create_app
from notifier.roster import KST
from notifier.settings import NotifierSettings

CHUSEOK_NIGHT = datetime(2026, 9, 25, 22, 30, tzinfo=KST)  # 추석 (Friday)
WEEKDAY_NIGHT = datetime(2026, 10, 7, 23, 0, tzinfo=KST)   # Wednesday
SATURDAY = datetime(2026, 10, 10, 14, 0, tzinfo=KST)


@pytest.fixture
async def svc(servers, namespace):
    settings = NotifierSettings(database_url=await servers.fresh_database("notifier"), nats_url=servers.nats_url,
                                nats_namespace=namespace, public_url="http://notifier.test")
    cipher = FieldCipher(KeyRing.generate())
    app = create_app(settings, cipher=cipher)
    nc, js = await connect(servers.nats_url, name="notifier-test")
    try:
        async with app.router.lifespan_context(app):
            async with app.state.runtime.pool.acquire() as conn, conn.transaction():
                await handlers.seed_roster(conn, cipher, demo_roster.TEAMS, demo_roster.ENTRIES, demo_roster.SHIFTS)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=auth_headers()) as client:
                yield ServiceUnderTest(app, settings, client, js, Namespace(namespace))
    finally:
        await nc.close()


def dispatch(at: datetime, **fields):
    cid = uuid.uuid4()
    payload = {"complaint_id": cid, "type": "sewer_drainage", "urgency": "urgent",
               "address": "경기도 김포시 사우동 123-4", "district": "사우동", **fields}
    env = make_envelope(DISPATCH_REQUESTED, ComplaintDispatchRequested(**payload), correlation_id=cid)
    return env.model_copy(update={"occurred_at": at})


async def _holiday_shift_id(svc) -> int:
    roster = (await svc.client.get("/api/v1/roster")).json()
    water = next(t for t in roster["teams"] if t["id"] == "water")
    return next(s["id"] for s in water["shifts"] if s["kind"] == "holiday")


async def test_edit_the_roster_and_ask_who_is_on_call(svc):
    c = svc.client
    r = await c.put("/api/v1/roster/workers/w-water-3", json={
        "team_id": "water", "role": "backup", "name": "문하늘", "phone": "+82 10-0103-9001"})
    assert r.status_code == 201, r.text
    assert r.json() == {"id": "w-water-3", "name": "문*늘", "phone": "010-****-9001", "role": "backup", "active": True}
    row = await svc.pool.fetchrow("SELECT name_enc, phone_enc FROM workers WHERE id = 'w-water-3'")
    assert b"9001" not in row["phone_enc"]
    cipher = svc.app.state.cipher
    assert cipher.decrypt(row["phone_enc"], table="workers", column="phone", row_id="w-water-3").reveal() \
        == "010-0103-9001"
    # a change without name and phone keeps them
    r = await c.put("/api/v1/roster/workers/w-water-3", json={"team_id": "water", "role": "primary"})
    assert r.status_code == 200 and r.json()["phone"] == "010-****-9001" and r.json()["role"] == "primary"

    shift_id = await _holiday_shift_id(svc)
    r = await c.put(f"/api/v1/roster/shifts/{shift_id}", json={
        "team_id": "water", "kind": "holiday", "primary_worker_id": "w-water-3",
        "backup_worker_id": "w-water-1", "supervisor_worker_id": "w-duty-2", "note": "명절 근무"})
    assert r.status_code == 200, r.text
    assert r.json()["kind_label"] == "공휴일" and r.json()["primary_worker_id"] == "w-water-3"

    async def on_call(at, **params):
        r = await c.get("/api/v1/roster/on-call", params={"type": "sewer_drainage", "district": "사우동",
                                                          "at": at.isoformat(), **params})
        assert r.status_code == 200, r.text
        return r.json()

    holiday = await on_call(CHUSEOK_NIGHT)
    assert (holiday["kind"], holiday["holiday"], holiday["duty_date"], holiday["team_id"]) == (
        "holiday", "추석", "2026-09-25", "water")
    assert holiday["texted_first"] == {"role": "primary", "id": "w-water-3", "name": "문*늘",
                                       "phone": "010-****-9001", "active": True}
    assert [(w["role"], w["id"]) for w in holiday["then"]] == [("backup", "w-water-1"), ("supervisor", "w-duty-2")]
    weekday = await on_call(WEEKDAY_NIGHT)
    assert (weekday["kind"], weekday["texted_first"]["id"], weekday["kind_label"]) == (
        "weekday_night", "w-water-1", "평일 야간")
    saturday = await on_call(SATURDAY)
    assert (saturday["kind"], saturday["texted_first"]["id"]) == ("weekend", "w-water-2")
    # naive times are Korean time
    r = await c.get("/api/v1/roster/on-call", params={"type": "other", "at": "2026-10-07T11:00:00"})
    assert r.json()["kind"] == "day" and r.json()["team_id"] == "duty" and r.json()["fallback"] is True
    assert "문하늘" not in str(holiday)

    # a one-night exception, then deactivating the worker moves the chain up
    r = await c.post("/api/v1/roster/shifts", json={"team_id": "water", "on_date": "2026-10-07",
                                                     "kind": "weekday_night", "primary_worker_id": "w-water-2"})
    assert r.status_code == 201, r.text
    assert (await on_call(WEEKDAY_NIGHT))["source"] == "exception"
    assert (await c.delete("/api/v1/roster/workers/w-water-2")).json()["active"] is False
    fallback = await on_call(WEEKDAY_NIGHT)
    assert fallback["team_id"] == "duty" and fallback["source"] == "shift"  # nobody else on that exception
    assert (await c.delete(f"/api/v1/roster/shifts/{r.json()['id']}")).status_code == 204
    assert (await on_call(WEEKDAY_NIGHT))["texted_first"]["id"] == "w-water-1"

    # teams: create, list, deactivate
    r = await c.put("/api/v1/roster/teams/water-north", json={
        "name": "상하수도(북부)", "types": ["sewer_drainage"], "districts": ["통진읍", "하성면"]})
    assert r.status_code == 201 and r.json()["type_labels"] == ["하수·배수·침수"] and r.json()["active"] is True
    r = await c.delete("/api/v1/roster/teams/water-north")
    assert r.status_code == 200 and r.json()["active"] is False
    teams = {t["id"]: t for t in (await c.get("/api/v1/roster")).json()["teams"]}
    assert teams["water-north"]["active"] is False and len(teams["water"]["shifts"]) == 4
    assert {s["kind"] for s in teams["duty"]["shifts"]} == {"day", "weekday_night", "weekend", "holiday"}


BAD_EDITS = [
    ("PUT", "/api/v1/roster/workers/w-x", {"team_id": "water", "name": "가", "phone": "031-980-2114"}, 422,
     "Korean mobile"),
    ("PUT", "/api/v1/roster/workers/w-x", {"team_id": "water", "name": "가", "phone": "010-12"}, 422, "010-1234-5678"),
    ("PUT", "/api/v1/roster/workers/w-x", {"team_id": "nope", "name": "가", "phone": "010-1111-2222"}, 422,
     "no team 'nope'"),
    ("PUT", "/api/v1/roster/workers/w-x", {"team_id": "water"}, 422, "needs a name and a phone"),
    ("PUT", "/api/v1/roster/workers/w-x", {"team_id": "water", "name": "가", "phone": "010-0103-1629"}, 409,
     "w-water-1"),
    ("PUT", "/api/v1/roster/workers/Bad%20Id", {"team_id": "water", "name": "가", "phone": "010-1111-2222"}, 422,
     "worker_id"),
    ("PUT", "/api/v1/roster/teams/t1", {"name": "x", "types": ["potholes"]}, 422, "unknown type(s) potholes"),
    ("PUT", "/api/v1/roster/teams/t1", {"name": "x", "types": []}, 422, "at least one complaint type"),
    ("PUT", "/api/v1/roster/teams/t1", {"name": "x", "types": ["noise"], "districts": []}, 422, "whole city"),
    ("POST", "/api/v1/roster/shifts", {"team_id": "water", "primary_worker_id": "w-water-1"}, 422, "give a kind"),
    ("POST", "/api/v1/roster/shifts", {"team_id": "water", "kind": "night", "primary_worker_id": "w-water-1"}, 422,
     "kind"),
    ("POST", "/api/v1/roster/shifts", {"team_id": "water", "kind": "weekend", "primary_worker_id": "w-water-1",
                                       "backup_worker_id": "w-water-1"}, 422, "different workers"),
    ("POST", "/api/v1/roster/shifts", {"team_id": "water", "kind": "weekend", "primary_worker_id": "w-ghost"}, 422,
     "no worker 'w-ghost'"),
    ("POST", "/api/v1/roster/shifts", {"team_id": "water", "kind": "weekend", "primary_worker_id": "w-water-1"}, 409,
     "already has assignment"),
    ("POST", "/api/v1/roster/shifts", {"team_id": "water", "kind": "weekday_night", "on_date": "2026-09-25",
                                       "primary_worker_id": "w-water-1"}, 422, "(추석) has shifts of kind holiday"),
    ("PUT", "/api/v1/roster/shifts/999999", {"team_id": "water", "kind": "weekend",
                                             "primary_worker_id": "w-water-1"}, 404, "no shift assignment"),
    ("DELETE", "/api/v1/roster/workers/w-ghost", None, 404, "no worker"),
    ("GET", "/api/v1/roster/on-call?type=potholes", None, 422, "unknown type"),
    ("GET", "/api/v1/roster/on-call?type=noise&at=yesterday", None, 422, "at"),
]


async def test_roster_edits_are_validated_with_clear_messages(svc):
    for method, path, body, status, words in BAD_EDITS:
        r = await svc.client.request(method, path, json=body)
        assert r.status_code == status, (path, body, r.text)
        assert words in r.text, (path, body, r.text)
    assert await svc.count("workers", "id = 'w-x'") == 0 and await svc.count("teams", "id = 't1'") == 0


async def test_dispatch_picks_the_crew_of_the_shift_at_the_time_of_the_request(svc):
    await svc.client.put("/api/v1/roster/workers/w-water-3", json={
        "team_id": "water", "name": "문하늘", "phone": "010-0103-9001"})
    await svc.client.put(f"/api/v1/roster/shifts/{await _holiday_shift_id(svc)}", json={
        "team_id": "water", "kind": "holiday", "primary_worker_id": "w-water-3",
        "backup_worker_id": "w-water-1", "supervisor_worker_id": "w-duty-2"})
    cases = {"holiday": dispatch(CHUSEOK_NIGHT), "weekday_night": dispatch(WEEKDAY_NIGHT),
             "weekend": dispatch(SATURDAY), "area": dispatch(SATURDAY, type="road_damage", district="하성면")}
    for env in cases.values():
        await svc.publish_to(DISPATCH_REQUESTED.subject, env)

    async def all_sent():
        return await svc.count("notifications", "status = 'sent'") == len(cases)
    await svc.eventually(all_sent, what="four SMS sent")
    rows = {str(r["complaint_id"]): r for r in await svc.pool.fetch(
        "SELECT n.complaint_id, n.worker_id, n.role, n.team_id, e.backup_worker_id, e.supervisor_worker_id,"
        " e.shift_kind, e.duty_date, e.stage, e.state FROM notifications n"
        " JOIN escalations e ON e.notification_id = n.id")}
    got = {k: rows[env.payload["complaint_id"]] for k, env in cases.items()}
    summary = {k: (r["worker_id"], r["backup_worker_id"], r["supervisor_worker_id"], r["shift_kind"])
               for k, r in got.items()}
    assert summary == {
        "holiday": ("w-water-3", "w-water-1", "w-duty-2", "holiday"),
        "weekday_night": ("w-water-1", "w-water-2", "w-duty-1", "weekday_night"),
        "weekend": ("w-water-2", "w-water-1", "w-duty-2", "weekend"),
        "area": ("w-north-2", "w-north-1", "w-duty-2", "weekend"),
    }
    assert str(got["holiday"]["duty_date"]) == "2026-09-25"
    assert all(r["role"] == "primary" and r["stage"] == "primary" and r["state"] == "waiting" for r in got.values())
    async def announced():  # the outbox relay publishes after the commit that marked them sent
        found = [e["payload"] for s, e in await svc.events("NOTIFIER") if s == "notifier.notification.sent.v1"]
        return found if len(found) == len(cases) else None
    sent = await svc.eventually(announced, what="four NotificationSent in the stream")
    assert sorted(p["worker_id"] for p in sent) == ["w-north-2", "w-water-1", "w-water-2", "w-water-3"]


async def test_a_dispatch_reads_only_the_standing_shifts_and_those_of_its_duty_date(svc):
    """Dated exceptions pile up (a year of them per team); a dispatch loads the standing shifts and its own
    night's only, and the nights either side of it change nothing."""
    from notifier import roster

    c = svc.client
    for day, worker in (("2026-10-06", "w-water-2"), ("2026-10-08", "w-water-2"), ("2026-10-07", "w-water-3")):
        if worker == "w-water-3":
            await c.put("/api/v1/roster/workers/w-water-3", json={
                "team_id": "water", "role": "backup", "name": "문하늘", "phone": "010-0103-9001"})
        r = await c.post("/api/v1/roster/shifts", json={"team_id": "water", "on_date": day,
                                                         "kind": "weekday_night", "primary_worker_id": worker})
        assert r.status_code == 201, r.text
    snapshot = await roster.load(svc.pool, duty_date=roster.shift_at(WEEKDAY_NIGHT).duty_date)
    dated = {s.on_date.isoformat() for s in snapshot.shifts if s.on_date is not None}
    assert dated == {"2026-10-07"}
    assert len((await roster.load(svc.pool)).shifts) == len(snapshot.shifts) + 2  # without a date: all of them
    crew = await roster.who_is_on_call(svc.pool, "sewer_drainage", "사우동", WEEKDAY_NIGHT)
    assert crew is not None and crew.first[1] == "w-water-3"
