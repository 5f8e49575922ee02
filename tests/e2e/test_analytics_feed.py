"""The city's analytics feed after a real run of all five services: the example consumer tallies it, and no
event carries the complainant's name, phone number or the street address."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sunmoon.messaging import connect

from .conftest import eventually, start_stack, stream_messages

pytestmark = pytest.mark.timeout(240)
ROOT = Path(__file__).resolve().parents[2]
NAME, PHONE = "남궁민서", "010-5821-3467"
ADDRESS = "경기도 김포시 풍무동 풍무로 98번길 12"


async def test_the_example_consumer_tallies_an_end_to_end_run_without_personal_data(servers, tmp_path):
    stack = await start_stack(servers, tmp_path)
    try:
        r = await stack.post("intake", "/api/v1/complaints", json={
            "description": f"풍무로 98번길 12 앞 가로등이 꺼져서 너무 어두워요. 연락처 {PHONE}",
            "location": {"address": ADDRESS, "lat": 37.6037, "lon": 126.7227},
            "complainant": {"name": NAME, "phone": PHONE}, "channel": "phone"})
        cid = r.json()["id"]

        async def dispatched():
            return (await stack.get("intake", f"/api/v1/complaints/{cid}")).json()["status"] == "dispatched"
        await eventually(dispatched, timeout=15, what="dispatched")

        nc, js = await connect(stack.nats_url, name="e2e-feed")
        try:
            async def feed():
                msgs = [m for m in await stream_messages(js, stack.namespace, "REPORTING")
                        if m[0].endswith("reporting.analytics.complaint_state.v1")]
                changes = {json.loads(b)["payload"]["change"] for _, b, _ in msgs}
                return msgs if {"received", "classified", "dispatched"} <= changes else None
            msgs = await eventually(feed, timeout=15, what="received, classified and dispatched in the feed")
        finally:
            await nc.close()
        text = "\n".join(b.decode() for _, b, _ in msgs)
        for secret in (NAME, PHONE, PHONE.replace("-", ""), "5821-3467", "풍무로", "98번길", "12 앞"):
            assert secret not in text, f"{secret!r} in the analytics feed"

        env = {**os.environ, "NATS_URL": stack.nats_url, "NATS_NAMESPACE": stack.namespace}
        done = await asyncio.to_thread(subprocess.run, [sys.executable, str(ROOT / "examples/analytics_consumer.py"),
                                                         "--once", "--json"],
                                       env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        tally = json.loads(done.stdout.strip().splitlines()[-1])
        assert tally["complaints"] == 1 and tally["district"] == {"풍무동": 1}
        assert tally["type"] == {"가로등·보안등": 1}
    finally:
        stack.stop()
