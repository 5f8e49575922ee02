"""The chaos run, short: kill -9 services (with replicas), NATS and PostgreSQL under load; nothing is lost
or duplicated. The long run is `python -m devstack.chaos` (see docs/benchmarks.md)."""

from __future__ import annotations

import pytest

from devstack.chaos import run
from devstack.fleet import Fleet


@pytest.mark.timeout(420)
async def test_kills_and_restarts_under_load_lose_nothing_and_send_nothing_twice(tmp_path):
    fleet = Fleet(tmp_path / "chaos", replicas={"classifier": 2, "notifier": 2})
    try:
        fleet.start(progress=print)
        result = await run(fleet, duration=20, rate=8, kills=7, seed=3, drain_timeout=120, progress=print)
    finally:
        fleet.stop()
    print("\n".join(result.lines()))
    audit = result.audit
    assert result.kills == 7 and result.nats_restarts == 1 and result.pg_restarts == 1
    assert audit.accepted > 30, "the load did not get through at all"
    assert audit.lost == [] and audit.duplicated == []
    assert audit.classified == audit.accepted == audit.in_reporting
    assert audit.sms_sent >= audit.sms_expected > 0
    # every complaint was texted, or is waiting for the officer because the model was unsure (never silently)
    assert audit.sms_expected + audit.held_for_review == audit.accepted
    assert not any(audit.dead_letters.values()), audit.dead_letters
