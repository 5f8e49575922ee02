"""The analytics feed: a ComplaintState per change, in the read model's transaction, free of personal data."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sunmoon.events import decode
from sunmoon.kmagrid import to_grid

T0 = datetime(2026, 7, 14, 13, 0, tzinfo=UTC)
SUBJECT = "reporting.analytics.complaint_state.v1"
CONSUMER = Path(__file__).resolve().parents[4] / "examples" / "analytics_consumer.py"


async def _states(svc) -> list[dict]:
    return [e for s, e in await svc.reporting_events() if s == SUBJECT]


async def test_every_change_is_announced_once_and_without_personal_data(start_reporting, complaint, sleep):
    async with start_reporting() as svc:
        c = complaint(T0, "사우동", "sewer_drainage", "urgent", "하수도과", "acknowledged", ["호우경보"], "하수과 당직")
        events = c.events()
        for env in events:  # one at a time: each consumer folds its own subject, so order them here
            await svc.send(env)
        states = await svc.eventually(lambda: _n_states(svc, 5), what="five states")
        payloads = [s["payload"] for s in states]
        assert [p["change"] for p in payloads] == ["received", "classified", "classified", "dispatched",
                                                   "acknowledged"]
        assert [p["status"] for p in payloads] == ["received", "received", "classified", "dispatched",
                                                   "acknowledged"]
        last = payloads[-1]
        assert (last["type"], last["urgency"], last["department"], last["district"]) == (
            "sewer_drainage", "urgent", "하수도과", "사우동")
        assert (last["nx"], last["ny"]) == to_grid(c.lat, c.lon)  # from the place, not the weather's cell
        assert last["sms_count"] == 1 and last["warnings"] == ["호우경보"] and last["weather_raised"] is True
        assert last["precipitation_mm"] == 25.0 and last["acknowledged_at"] == "2026-07-14T13:12:00Z"
        assert all(s["correlation_id"] == str(c.id) and s["producer"] == "reporting" for s in states)

        # the same events again (redelivered), and the same facts under new event ids: nothing new
        for env in events:
            await svc.publish_to(env.subject, env, msg_id=f"{env.event_id}-again")
        await svc.eventually(lambda: _duplicates(svc, len(events)), what="duplicates seen")
        await svc.send(*complaint(T0, id=c.id, lat=c.lat, lon=c.lon).events()[:1])
        async def relayed() -> bool:
            return await svc.count("outbox", "published_at IS NULL") == 0
        await svc.eventually(relayed, what="outbox relayed")
        await sleep(0.3)
        assert len(await _states(svc)) == 5

        # PII-free by construction: decode with the model (extra fields forbidden) and scan the bytes
        raw = json.dumps([s for _subject, s in await svc.reporting_events()], ensure_ascii=False)
        for env in await svc.reporting_events():
            decode(env[0], json.dumps(env[1]).encode())
        for secret in ("경기도 김포시", "123-4", "맨홀", "연락처", "****", "w-017", "선우혜림",
                       str(c.lat), str(c.lon), "description", "address", "summary", '"lat"', '"lon"'):
            assert secret not in raw, secret


async def _n_states(svc, n: int):
    states = await _states(svc)
    return states if len(states) >= n else None


async def _duplicates(svc, n: int) -> bool:
    return svc.stats.duplicates >= n


async def test_feed_can_be_switched_off(start_reporting, complaint, sleep):
    async with start_reporting(analytics_feed=False, fold_summary=False) as svc:
        c = complaint(T0 + timedelta(hours=1), "풍무동", "noise", "low", "환경과", "dispatched", team="환경과 당직")
        await svc.send(*c.events())
        await sleep(0.3)
        assert await _states(svc) == []
        assert await svc.pool.fetchval("SELECT summary FROM complaints WHERE complaint_id = $1", c.id) is None


async def _consumer(svc, *args: str) -> dict:
    env = {**os.environ, "NATS_URL": svc.settings.nats_url, "NATS_NAMESPACE": svc.ns.prefix}
    proc = await asyncio.create_subprocess_exec(sys.executable, str(CONSUMER), "--once", "--json", *args, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, err.decode()
    return json.loads(out.decode().strip().splitlines()[-1])


async def test_the_example_consumer_tallies_the_feed(start_reporting, complaint):
    async with start_reporting() as svc:
        stories = [complaint(T0, "사우동", "sewer_drainage", "urgent", "하수도과", "acknowledged", team="하수과 당직"),
                   complaint(T0 + timedelta(minutes=5), "풍무동", "noise", "low", "환경과", "classified"),
                   complaint(T0 + timedelta(minutes=9), "사우동", "road_damage", "urgent", "도로과", "resolved",
                             team="도로과 당직")]
        for c in stories:
            for env in c.events():
                await svc.send(env)
        await svc.eventually(lambda: _n_states(svc, 14), what="the states of three complaints")
        tally = await _consumer(svc, "--durable", "example-tally")
        assert tally["complaints"] == 3 and tally["events"] == 14
        assert tally["status"] == {"확인": 1, "분류": 1, "완료": 1}
        assert tally["type"] == {"하수·배수·침수": 1, "소음": 1, "도로·보도 파손": 1}
        assert tally["district"] == {"사우동": 2, "풍무동": 1} and tally["urgent_open"] == 1
        again = await _consumer(svc, "--durable", "example-tally")  # a durable resumes where it stopped
        assert again["events"] == 0
        assert (await _consumer(svc))["complaints"] == 3  # a temporary consumer replays the stream
