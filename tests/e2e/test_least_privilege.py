"""The normal flow with least privilege on: every service on its own NATS user and PostgreSQL role.

Proves the generated permissions are enough for real work (a complaint is classified, dispatched, texted,
counted, and the weather reaches the classifier), and that one service's credentials cannot do another's.
"""

from __future__ import annotations

import asyncio

import asyncpg
import nats
import pytest

from sunmoon.access import inbox_prefix
from sunmoon.messaging import Namespace, connect
from sunmoon.settings import database_url_for

from .conftest import eventually, start_stack

pytestmark = pytest.mark.timeout(240)

COMPLAINT = {
    "description": "고촌읍 신곡리 도로에서 수도관이 터져서 물이 도로로 넘치고 있어요",
    "location": {"address": "경기도 김포시 고촌읍 신곡리 123-4", "lat": 37.6012, "lon": 126.7701},
    "complainant": {"name": "홍길동", "phone": "010-2345-6789"},
    "channel": "phone",
}


async def test_flow_with_own_credentials_and_refusals_across_services(servers, tmp_path):
    stack = await start_stack(servers, tmp_path, auth=True)
    try:
        env = {name: svc.env for name, svc in stack.services.items()}
        assert env["intake"]["INTAKE_NATS_USER"] == "intake" and "NATS_USER" not in env["intake"]
        assert "@" in env["classifier"]["CLASSIFIER_DATABASE_URL"].split("//", 1)[1]  # its own role

        r = await stack.post("weather", "/api/v1/observations", json={
            "nx": 57, "ny": 128, "observed_at": "2026-11-29T03:00:00+09:00", "precipitation_mm": 12.5,
            "precipitation_type": 1})
        assert r.status_code == 201, r.text
        r = await stack.post("intake", "/api/v1/complaints", json=COMPLAINT)
        assert r.status_code == 201, r.text
        cid = r.json()["id"]

        async def everywhere():
            c = (await stack.get("intake", f"/api/v1/complaints/{cid}")).json()
            summary = (await stack.get("reporting", "/api/v1/summary")).json()
            return (c["status"] == "dispatched" and await stack.count("notifier", "sms_messages") == 1
                    and summary["total"] == 1 and await stack.count("classifier", "weather_observations") >= 1)
        await eventually(everywhere, timeout=20, what="dispatched, texted, counted, weather heard")
        for name in stack.services:  # no service was refused anything while doing its work
            assert "permissions violation" not in (stack.logs / f"{name}.log").read_text().lower(), name

        # intake's credentials: refused another producer's subject and a consumer of another service
        errors: list[str] = []

        async def on_error(exc: Exception) -> None:
            errors.append(str(exc))

        ns = Namespace(stack.namespace)
        nc = await nats.connect(stack.nats_url, user="intake", password=env["intake"]["INTAKE_NATS_PASSWORD"],
                                inbox_prefix=inbox_prefix("intake"), error_cb=on_error, allow_reconnect=False)
        try:
            js = nc.jetstream(timeout=0.5)
            with pytest.raises(nats.errors.TimeoutError):
                await js.publish(ns.subject("notifier.notification.sent.v1"), b"{}")
            with pytest.raises(nats.errors.TimeoutError):
                await js.pull_subscribe(ns.subject("intake.complaint.dispatch_requested.v1"),
                                        durable="notifier-complaint-dispatch_requested",
                                        stream=ns.stream("INTAKE"))
            await asyncio.sleep(0.1)
            assert any("notifier.notification.sent.v1" in e for e in errors), errors
            assert any("consumer.info" in e.lower() and "notifier-complaint-dispatch_requested" in e
                       for e in errors), errors
        finally:
            await nc.close()

        # the admin (operators) sees everything: the durable above still has nothing pending
        anc, ajs = await connect(stack.nats_url, name="e2e-admin", **stack.nats_admin)
        try:
            info = await ajs.consumer_info(ns.stream("INTAKE"), "notifier-complaint-dispatch_requested")
            assert info.num_pending == 0 and info.delivered.stream_seq >= 1
        finally:
            await anc.close()

        # intake's role cannot open the classifier's database
        classifier_db = database_url_for(env["intake"]["INTAKE_DATABASE_URL"],
                                         stack.databases["classifier"].rsplit("/", 1)[1])
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied for database"):
            await asyncpg.connect(classifier_db)
    finally:
        stack.stop()
        await stack._http.aclose()
