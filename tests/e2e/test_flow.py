"""One complaint through all five services, each a separate process, on real NATS JetStream and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import signal
import time
import uuid

import pytest

from sunmoon.messaging import Namespace, connect
from sunmoon.events.registry import STREAMS

from .conftest import Stack, dump_json, eventually, start_stack, stream_messages

NAME = "선우혜림"
PHONE = "010-7261-4938"
PHONE_FORMS = ("010-7261-4938", "01072614938", "7261-4938", "72614938", "010 7261 4938")
COMPLAINT = {
    "description": "고촌읍 신곡리 도로에서 수도관이 터져서 물이 도로로 넘치고 있어요",
    "location": {"address": "경기도 김포시 고촌읍 신곡리 123-4", "lat": 37.6012, "lon": 126.7701},
    "complainant": {"name": NAME, "phone": PHONE},
    "channel": "phone",
}

pytestmark = pytest.mark.timeout(240)


async def _file(stack: Stack, body: dict | None = None) -> str:
    r = await stack.post("intake", "/api/v1/complaints", json=body or COMPLAINT)
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _status(stack: Stack, cid: str) -> str:
    r = await stack.get("intake", f"/api/v1/complaints/{cid}")
    assert r.status_code == 200, r.text
    return r.json()["status"]


async def _dispatched(stack: Stack, cid: str) -> bool:
    return await _status(stack, cid) == "dispatched"


async def _drained(js, ns: Namespace) -> bool:
    """Every durable consumer of every stream has nothing pending and nothing unacknowledged."""
    for stream in STREAMS:
        for c in await js.consumers_info(ns.stream(stream)):
            if c.num_pending or c.num_ack_pending:
                return False
    return True


async def test_complaint_reaches_every_service_within_five_seconds(stack: Stack):
    started = time.monotonic()
    cid = await _file(stack)

    async def everywhere():
        if not await _dispatched(stack, cid):
            return False
        if await stack.count("notifier", "sms_messages") != 1:
            return False
        summary = (await stack.get("reporting", "/api/v1/summary")).json()
        return summary["total"] == 1 and summary["by_type"]["water_supply"] == 1 and summary
    summary = await eventually(everywhere, timeout=5.0, what="dispatched + one SMS + counted in reporting")
    elapsed = time.monotonic() - started
    print(f"complaint dispatched, texted and counted in {elapsed * 1000:.0f} ms")

    complaint = (await stack.get("intake", f"/api/v1/complaints/{cid}")).json()
    assert complaint["classification"]["type"] == "water_supply"
    assert complaint["classification"]["urgency"] == "urgent"
    assert summary["by_urgency"]["urgent"] == 1
    sms = await stack.query("notifier", "SELECT text FROM sms_messages")
    assert sms[0]["text"].startswith("[당직] 긴급 상수도")
    assert "010-****-4938" in sms[0]["text"]
    assert await stack.count("classifier", "classifications") == 1


async def test_every_event_delivered_twice_changes_nothing(stack: Stack):
    """Publish every message of every stream again (same event, new Nats-Msg-Id, so JetStream keeps it):
    each consumer gets each event twice. Still one classification, one notification, one SMS, one row."""
    r = await stack.post("weather", "/api/v1/observations", json={
        "nx": 57, "ny": 128, "observed_at": "2026-11-29T03:00:00+09:00", "precipitation_mm": 12.5,
        "precipitation_type": 1})
    assert r.status_code == 201, r.text
    cid = await _file(stack)
    await eventually(lambda: _dispatched(stack, cid), timeout=10, what="dispatched")

    ns = Namespace(stack.namespace)
    nc, js = await connect(stack.nats_url, name="e2e-redeliver")
    try:
        await eventually(lambda: _drained(js, ns), timeout=10, what="first delivery drained")
        before = await _snapshot(stack)
        originals = {s: await stream_messages(js, stack.namespace, s) for s in STREAMS}
        assert all(originals[s] for s in ("INTAKE", "CLASSIFIER", "NOTIFIER", "WEATHER")), \
            {s: len(m) for s, m in originals.items()}
        for stream, messages in originals.items():
            for subject, body, _ in messages:
                await js.publish(subject, body, headers={"Nats-Msg-Id": "again-" + uuid.uuid4().hex})
        await eventually(lambda: _drained(js, ns), timeout=15, what="second delivery drained")
        await asyncio.sleep(1.0)  # anything a duplicate might have queued (SMS sender, outbox) gets its chance
        after = {s: await stream_messages(js, stack.namespace, s) for s in STREAMS}
    finally:
        await nc.close()

    assert await _snapshot(stack) == before
    for stream in STREAMS:  # nothing new was published in reaction to a duplicate
        assert len(after[stream]) == 2 * len(originals[stream]), stream
    assert await stack.count("notifier", "sms_messages") == 1
    assert await stack.count("notifier", "notifications") == 1
    assert await stack.count("classifier", "classifications") == 1
    duplicates = 0
    for name in ("intake", "classifier", "notifier", "reporting"):
        ready = (await stack.get(name, "/readyz")).json()
        assert ready["consumers"]["dead_lettered"] == 0, name
        duplicates += ready["consumers"]["duplicates"]
    assert duplicates > 0


async def _snapshot(stack: Stack) -> dict:
    """What a duplicate must not change: rows that matter in each service's own store."""
    return {
        "intake": [dict(r) for r in await stack.query(
            "intake", "SELECT id, status, type, urgency, dispatched_at FROM complaints ORDER BY id")],
        "intake_history": await stack.count("intake", "complaint_status_history"),
        "classifier": [dict(r) for r in await stack.query(
            "classifier", "SELECT complaint_id, type, urgency FROM classifications")],
        "notifier": [dict(r) for r in await stack.query(
            "notifier", "SELECT complaint_id, worker_id, status FROM notifications")],
        "sms": await stack.count("notifier", "sms_messages"),
        "reporting": [dict(r) for r in await stack.query(
            "reporting", "SELECT * FROM complaints ORDER BY complaint_id")],
        "reporting_observations": await stack.count("reporting", "weather_observations"),
        "weather": await stack.count("weather", "observations"),
        "outboxes": {n: await stack.count(n, "outbox") for n in ("intake", "classifier", "notifier", "weather")},
    }


async def test_personal_data_is_in_no_table_stream_or_log(stack: Stack):
    cid = await _file(stack)
    await eventually(lambda: _dispatched(stack, cid), timeout=10, what="dispatched")
    # the officer reads it back (decrypted, then masked), and the SMS is on record
    shown = (await stack.get("intake", f"/api/v1/complaints/{cid}")).json()
    assert shown["complainant"]["phone"] == "010-****-4938"

    haystacks: dict[str, str] = {}
    for name, url in stack.databases.items():
        haystacks[f"db:{name}"] = await _dump_database(stack, name)
    ns = Namespace(stack.namespace)
    nc, js = await connect(stack.nats_url, name="e2e-pii")
    try:
        await eventually(lambda: _drained(js, ns), timeout=10, what="drained")
        for stream in STREAMS:
            msgs = await stream_messages(js, stack.namespace, stream)
            haystacks[f"stream:{stream}"] = "\n".join(b.decode(errors="replace") + dump_json(h) for _, b, h in msgs)
    finally:
        await nc.close()
    haystacks.update(await _reports_and_dashboard(stack))
    haystacks["logs"] = stack.log_text()

    assert "010-****-4938" in haystacks["db:notifier"]  # the masked number is what the worker gets
    assert len(haystacks["logs"]) > 1000  # the services did log
    for where, text in haystacks.items():
        assert NAME not in text, f"complainant name in clear in {where}"
        for form in PHONE_FORMS:
            assert form not in text, f"phone number ({form}) in clear in {where}"


async def _reports_and_dashboard(stack: Stack) -> dict[str, str]:
    """The duty report (Excel and PDF) a supervisor makes for the hour, the analytics dashboard and a CSV
    export, as text: none of them is a place for a caller's name or number (no role may see them there)."""
    import io

    import openpyxl
    from pypdf import PdfReader

    now = time.time()
    since = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 3600))
    until = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now + 60))
    r = await stack.post("reporting", "/api/v1/reports", json={"since": since, "until": until}, timeout=120)
    assert r.status_code == 201, r.text
    assert r.json()["complaints"] >= 1
    files = {f["format"]: f["url"] for f in r.json()["files"]}
    xlsx = (await stack.get("reporting", files["xlsx"])).content
    book = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True)
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
    pdf = PdfReader(io.BytesIO((await stack.get("reporting", files["pdf"])).content))
    out = {"report:xlsx": "\n".join(cells), "report:pdf": "\n".join(p.extract_text() for p in pdf.pages)}
    assert "민원" in out["report:pdf"] and len(cells) > 10  # the reports were read, not empty
    out["dashboard"] = (await stack.get("reporting", "/dashboard")).text
    csv = await stack.get("reporting", "/api/v1/analytics/repeat-places", params={"format": "csv"})
    out["analytics:csv"] = csv.text
    return out


async def _dump_database(stack: Stack, name: str) -> str:
    tables = await stack.query(name, """
        SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')""")
    assert tables, name
    parts = []
    for t in tables:
        rows = await stack.query(name, f'SELECT t::text AS line FROM "{t["table_schema"]}"."{t["table_name"]}" t')
        parts.extend(r["line"] for r in rows)
        # bytea columns render as hex; decode them too, so plaintext hidden in a byte column would show
        for line in (r["line"] for r in rows):
            for hexed in re.findall(r"\\\\x([0-9a-f]+)", line):
                parts.append(bytes.fromhex(hexed).decode(errors="replace"))
    return "\n".join(parts)


async def test_killing_intake_between_commit_and_publish_loses_nothing(servers, tmp_path):
    """Intake commits a complaint and its outbox row, then dies (kill -9) before any relay publishes it.
    Restarted, its relay publishes the row: the complaint is classified, dispatched and texted once."""
    stack = await start_stack(servers, tmp_path, extra={"intake": {"INTAKE_OUTBOX_RELAY": "false"}})
    try:
        cid = await _file(stack)
        rows = await stack.query("intake", "SELECT published_at FROM outbox")
        assert rows and all(r["published_at"] is None for r in rows)
        stack.services["intake"].kill(signal.SIGKILL)
        ns = Namespace(stack.namespace)
        nc, js = await connect(stack.nats_url, name="e2e-relay")
        try:
            assert not await stream_messages(js, stack.namespace, "INTAKE")  # nothing left the process
            await asyncio.to_thread(stack.restart, "intake", {"INTAKE_OUTBOX_RELAY": "true"})
            await eventually(lambda: _dispatched(stack, cid), timeout=10, what="dispatched after restart")
            await eventually(lambda: _drained(js, ns), timeout=10, what="drained")
            received = [m for m in await stream_messages(js, stack.namespace, "INTAKE")
                        if m[0].endswith("intake.complaint.received.v1")]
        finally:
            await nc.close()
        assert len(received) == 1
        assert await stack.count("notifier", "sms_messages") == 1
        assert await stack.count("intake", "outbox", "published_at IS NULL") == 0
    finally:
        stack.stop()
