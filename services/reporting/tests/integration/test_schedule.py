"""The duty report appears on its own once a shift ends: once, and even if the service was down then."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from reporting.shifts import Calendar

TZ = ZoneInfo("Asia/Seoul")


async def test_report_made_once_at_the_end_of_a_shift_across_restarts(start_reporting, servers, complaint, wait):
    now = datetime.now(TZ)
    handover = (now + timedelta(seconds=4)).replace(microsecond=0)  # this shift ends in a few seconds
    shift = Calendar(TZ, handover.time(), time(18, 0)).shift_of((handover - timedelta(days=1)).date())
    assert shift.until == handover and shift.since < now - timedelta(minutes=1)
    settings = {"auto_reports": True, "shift_handover": handover.time(), "schedule_poll_seconds": 0.2,
                "report_delay_seconds": 0.3}
    database = await servers.fresh_database("reporting")

    async def automatic(svc) -> list:
        return await svc.pool.fetch("SELECT id, kind, since, until, complaints, formats FROM reports"
                                    " WHERE automatic ORDER BY generated_at")

    # 1. the service runs for a moment during the shift (its schedule starts then), and stops
    async with start_reporting(database, **settings) as svc:
        await svc.send(*complaint(now.astimezone() - timedelta(minutes=1), "사우동", "sewer_drainage", "urgent",
                                  "하수도과", "dispatched", team="하수과 당직").events())
        assert await automatic(svc) == []
    # 2. the shift ends while it is down; started again, it makes the shift's report at once
    await asyncio.sleep(max(0.0, (handover - datetime.now(TZ)).total_seconds()) + 0.4)
    async with start_reporting(database, **settings, warm_up_after_seconds=0) as svc:  # warms up, then reports
        made = await wait(lambda: automatic(svc), what="the end-of-shift report")
        assert len(made) == 1
        r = made[0]
        assert (r["kind"], r["since"], r["until"], r["complaints"]) == ("shift", shift.since, shift.until, 1)
        assert sorted(r["formats"]) == ["pdf", "xlsx"]
        listed = (await svc.client.get("/api/v1/reports", params={"automatic": True})).json()
        assert listed["total"] == 1 and listed["items"][0]["parameters"]["shift_date"] == shift.duty_date.isoformat()
        xlsx = await svc.client.get(f"/api/v1/reports/{r['id']}/xlsx")
        assert xlsx.status_code == 200 and len(xlsx.content) > 1000

        async def announced():
            return [e for s, e in await svc.reporting_events() if s == "reporting.report.generated.v1"]
        event = (await svc.eventually(announced, what="ReportGenerated"))[0]["payload"]
        assert event["automatic"] is True and event["kind"] == "shift" and event["report_id"] == str(r["id"])
        await asyncio.sleep(1.0)  # several more rounds of the schedule
        assert len(await automatic(svc)) == 1
        cursor = await svc.pool.fetchval("SELECT last_until FROM report_schedule WHERE name = 'shift'")
        assert cursor == shift.until
    # 3. a third start makes nothing more: the schedule's position is in the database
    async with start_reporting(database, **settings) as svc:
        await asyncio.sleep(0.8)
        assert len(await automatic(svc)) == 1


async def test_no_schedule_when_switched_off(start_reporting, sleep):
    handover = (datetime.now(TZ) + timedelta(seconds=1)).replace(microsecond=0)
    async with start_reporting(auto_reports=False, shift_handover=handover.time(), schedule_poll_seconds=0.1,
                               report_delay_seconds=0) as svc:
        await sleep(max(0.0, (handover - datetime.now(TZ)).total_seconds()) + 0.5)
        assert await svc.count("reports") == 0
        assert await svc.count("report_schedule") == 0
