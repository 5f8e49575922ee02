"""Access records on real PostgreSQL: the chain under concurrent reveals, tampering found by `verify` (the real
command), the append-only trigger, pruning with an anchor, API reads recorded, the monthly review page and file."""

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from intake import access_records, access_review
from intake.__main__ import main
from intake.settings import IntakeSettings
from sunmoon.testing.service import auth_headers

from .conftest import PASSWORD, fakes

BODY = {"description": "사우동 가로등이 꺼져 있어요", "channel": "phone",
        "location": {"address": "경기도 김포시 사우동 123-4", "lat": 37.6165, "lon": 126.7191},
        "complainant": {"name": "김민수", "phone": "010-1234-5678"}}
OFFICER = access_records.Actor("officer", "duty_officer", None, "10.0.0.5")


async def _signed_in(client, name="officer"):
    await fakes.sign_in(client, name, PASSWORD)
    return {"x-csrf-token": fakes.page_csrf((await client.get("/desk/")).text)}


async def _file(client) -> str:
    r = await client.post("/api/v1/complaints", json=BODY, headers=auth_headers())
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _intake(app, *args: str) -> subprocess.CompletedProcess:
    """The real command line (``python -m intake ...``) in a child process, against the test's database."""
    env = {**os.environ, "INTAKE_DATABASE_URL": app.state.settings.database_url}
    return subprocess.run([sys.executable, "-m", "intake", *args], capture_output=True, text=True, env=env,
                          timeout=180)


async def _command(app, capsys, monkeypatch, *args: str) -> tuple[int, str, str]:
    """The same entry point, in this process (a thread: it runs its own event loop), to spare the start-up."""
    monkeypatch.setenv("INTAKE_DATABASE_URL", app.state.settings.database_url)
    capsys.readouterr()
    code = await asyncio.to_thread(main, list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


async def _superuser(app):
    return await asyncpg.connect(app.state.settings.database_url)


async def test_fifty_concurrent_reveals_make_one_unforked_chain(desk):
    client, app = desk
    headers = await _signed_in(client)
    cid = await _file(client)
    url = f"/desk/api/complaints/{cid}/reveal"
    answers = await asyncio.gather(*(client.post(url, json={"reason": f"민원인 회신 전화 {i}"}, headers=headers)
                                     for i in range(50)))
    assert [a.status_code for a in answers] == [200] * 50
    pool = app.state.runtime.pool
    rows = await pool.fetch("SELECT * FROM access_records ORDER BY id")
    reveals = [r for r in rows if r["action"] == "reveal"]
    assert len(reveals) == 50 and {r["actor"] for r in reveals} == {"officer"}
    assert {r["actor_role"] for r in reveals} == {"duty_officer"} and all(r["source_ip"] for r in reveals)
    assert [r["id"] for r in rows] == list(range(1, len(rows) + 1))           # contiguous: no fork, no gap
    assert len({bytes(r["prev_hash"]) for r in rows}) == len(rows)
    for before, after in zip(rows, rows[1:]):
        assert bytes(after["prev_hash"]) == bytes(before["hash"])
    async with pool.acquire() as conn:
        verdict = await access_records.verify(conn)
    assert verdict.ok and verdict.count == len(rows), verdict.describe()
    # the desk's access-log page still reads the reveals (pii_access_log is now a view of the chain)
    assert await pool.fetchval("SELECT count(*) FROM pii_access_log WHERE complaint_id = $1", uuid.UUID(cid)) == 50
    done = _intake(app, "access-log", "verify")
    assert done.returncode == 0 and done.stdout.startswith(f"OK: {len(rows)} records #1..#{len(rows)}"), done


async def test_editing_or_deleting_one_record_is_named_by_verify(desk, capsys, monkeypatch):
    _client, app = desk
    pool = app.state.runtime.pool
    async with pool.acquire() as conn:
        for i in range(10):
            await access_records.append(conn, OFFICER, "reveal", complaint_id=uuid.uuid4(),
                                        fields=["complainant_phone"], reason=f"회신 전화 {i}")
    su = await _superuser(app)
    try:
        # the trigger refuses, even the table's owner, unless it is disabled first
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only: UPDATE of record #7"):
            await su.execute("UPDATE access_records SET reason = 'x' WHERE id = 7")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="DELETE of record #3"):
            await su.execute("DELETE FROM access_records WHERE id = 3")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="TRUNCATE"):
            await su.execute("TRUNCATE access_records")
        with pytest.raises(asyncpg.RaiseError, match="at least 730 days"):
            await su.execute("SELECT prune_access_records(729, 'x')")
        assert (await _command(app, capsys, monkeypatch, "access-log", "verify"))[0] == 0

        await su.execute("ALTER TABLE access_records DISABLE TRIGGER access_records_append_only;"
                         " UPDATE access_records SET reason = '회신 전화' WHERE id = 7;"
                         " ALTER TABLE access_records ENABLE TRIGGER access_records_append_only")
        done = _intake(app, "access-log", "verify")
        assert done.returncode == 1 and "BROKEN at record #7" in done.stdout and "hash mismatch at #7" in done.stdout
        await su.execute("ALTER TABLE access_records DISABLE TRIGGER access_records_append_only;"
                         " UPDATE access_records SET reason = '회신 전화 6' WHERE id = 7;"   # put back
                         " DELETE FROM access_records WHERE id = 4;"
                         " ALTER TABLE access_records ENABLE TRIGGER access_records_append_only")
        code, out, _ = await _command(app, capsys, monkeypatch, "access-log", "verify")
        assert code == 1 and "gap after #3" in out and "#4..#4" in out, out
    finally:
        await su.close()


async def _backdate_chain(su, count: int, days_ago: int) -> None:
    """Records written ``days_ago`` (the chain trigger would stamp now(): insert with Python's hash instead)."""
    prev = access_records.GENESIS
    at = datetime.now(timezone.utc) - timedelta(days=days_ago)
    await su.execute("ALTER TABLE access_records DISABLE TRIGGER access_records_chain")
    for i in range(1, count + 1):
        row = {"id": i, "at": at + timedelta(minutes=i), "actor": "kim", "actor_role": "duty_officer",
               "actor_id": None, "source_ip": "10.0.0.9", "action": "reveal", "complaint_id": uuid.uuid4(),
               "fields": ["complainant_name"], "reason": "회신 전화"}
        h = access_records.record_hash(prev, row)
        await su.execute("INSERT INTO access_records VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
                         *row.values(), prev, h)
        prev = h
    await su.execute("ALTER TABLE access_records ENABLE TRIGGER access_records_chain")


async def test_prune_past_two_years_keeps_the_chain_verifiable(desk):
    _client, app = desk
    pool = app.state.runtime.pool
    su = await _superuser(app)
    try:
        await _backdate_chain(su, 5, days_ago=800)
        async with pool.acquire() as conn:
            assert (await access_records.verify(conn)).ok                      # Python's hash == SQL's
            await access_records.append(conn, OFFICER, "reveal", complaint_id=uuid.uuid4(), reason="회신 전화")
            with pytest.raises(ValueError, match="730"):
                await access_records.prune(conn, 365)
            async with conn.transaction():
                assert await access_records.prune(conn, 730) == 5
            verdict = await access_records.verify(conn)
            assert verdict.ok and (verdict.first_id, verdict.last_id, verdict.count) == (6, 7, 2), verdict.describe()
            purge = await conn.fetchrow("SELECT * FROM access_records WHERE action = 'purge'")
            anchor = await conn.fetchrow("SELECT * FROM access_chain_anchor")
            assert anchor["through_id"] == 5 and bytes(anchor["through_hash"]).hex() in purge["reason"]
            assert await access_records.prune(conn, 730) == 0
        # removing old records without the prune function (no anchor) is a gap at the start
        await su.execute("ALTER TABLE access_records DISABLE TRIGGER access_records_append_only;"
                         " DELETE FROM access_records WHERE id = 6;"
                         " ALTER TABLE access_records ENABLE TRIGGER access_records_append_only")
        async with pool.acquire() as conn:
            verdict = await access_records.verify(conn)
        assert not verdict.ok and verdict.broken_id == 7 and "gap after #5" in verdict.problem
    finally:
        await su.close()
    with pytest.raises(ValueError, match="at least 730"):
        IntakeSettings(access_record_retention_days=729)


async def test_api_reads_of_caller_data_are_recorded_desk_sessions_not(desk):
    client, app = desk
    cid = await _file(client)
    pool = app.state.runtime.pool
    got = (await client.get(f"/api/v1/complaints/{cid}", headers=auth_headers("supervisor"))).json()
    assert got["complainant"] == {"name": "김*수", "phone": "010-****-5678"}
    await client.get("/api/v1/complaints", headers=auth_headers("supervisor"))
    rows = await pool.fetch("SELECT * FROM access_records WHERE action = 'view' ORDER BY id")
    assert [(r["actor"], r["actor_role"], r["complaint_id"]) for r in rows] == [
        ("test-supervisor", "supervisor", uuid.UUID(cid)), ("test-supervisor", "supervisor", None)]
    assert rows[0]["fields"] == ["complainant_name(masked)", "complainant_phone(masked)", "address"]
    assert "1건" in rows[1]["reason"] and cid[:8] in rows[1]["reason"] and rows[0]["source_ip"]
    await _signed_in(client)
    assert (await client.get(f"/api/v1/complaints/{cid}")).status_code == 200     # the desk's own page script
    assert await pool.fetchval("SELECT count(*) FROM access_records WHERE action = 'view'") == 2


async def test_monthly_review_page_and_file(desk, tmp_path, capsys, monkeypatch):
    client, app = desk
    headers = await _signed_in(client)
    pool = app.state.runtime.pool
    cid = await _file(client)
    # a complaint received three days ago, when the officer was not signed in: not one they handled
    await pool.execute("UPDATE complaints SET received_at = now() - interval '3 days' WHERE id = $1", uuid.UUID(cid))
    url = f"/desk/api/complaints/{cid}/reveal"
    for i in range(11):
        assert (await client.post(url, json={"reason": "확인" if i == 0 else f"민원인 회신 전화 {i}"},
                                  headers=headers)).status_code == 200
    month = datetime.now(access_review.KST).strftime("%Y-%m")
    assert (await client.get(f"/desk/access-log/review?month={month}")).status_code == 403   # a duty officer
    client.cookies.clear()
    await _signed_in(client, "chief")
    page = await client.get(f"/desk/access-log/review?month={month}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store" and "위·변조 검사 실행" in page.text
    html = (await client.get(f"/desk/access-log/review?month={month}&check=1")).text
    for text in ("접속기록 월간 점검", "officer", "11건", "대량 열람", "사유 부실", "담당 외 열람", "<svg", "위·변조 검사: 정상"):
        assert text in html, text
    bad = await client.get("/desk/access-log/review?month=2026-13")
    assert bad.status_code == 422 and "YYYY-MM" in bad.text
    seen = await pool.fetchrow("SELECT * FROM access_records WHERE action = 'report' ORDER BY id DESC LIMIT 1")
    assert (seen["actor"], seen["actor_role"]) == ("chief", "supervisor") and month in seen["reason"]

    out = tmp_path / "review.html"
    code, _, err = await _command(app, capsys, monkeypatch, "access-log", "review", "--month", month, "--out", str(out))
    assert code == 0, err
    report = out.read_text(encoding="utf-8")
    assert "officer" in report and "대량 열람" in report and "<script" not in report and "김민수" not in report
    assert await pool.fetchval("SELECT count(*) FROM access_records WHERE action = 'report'") == 3
    code, text, _ = await _command(app, capsys, monkeypatch, "access-log", "review", "--month", month)
    assert code == 0 and "officer" in text and "reveal=11" in text
    assert (await _command(app, capsys, monkeypatch, "access-log", "review", "--month", "11-2026"))[0] == 2
    code, _, err = await _command(app, capsys, monkeypatch, "access-log", "review", "--out", str(tmp_path / "r.xlsx"))
    assert code == 2 and "must end in .html" in err


def test_every_command_has_help(capsys):
    for args in (["access-log", "--help"], ["access-log", "verify", "--help"], ["access-log", "review", "--help"],
                 ["purge-personal-data", "--help"]):
        with pytest.raises(SystemExit) as stop:
            main(args)
        out = capsys.readouterr().out
        assert stop.value.code == 0 and "usage: python -m intake" in out and len(out) > 200, args
