"""The analytics dashboard page: charts and tables from the read model, Korean, no outside resources."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sunmoon.events import utcnow


async def test_dashboard_shows_charts_and_hotspots(start_reporting):
    async with start_reporting() as svc:
        now = utcnow()
        for i in range(4):  # a hotspot: four drainage complaints within a few metres in a week
            await svc.pool.execute(
                "INSERT INTO complaints (complaint_id, received_at, channel, district, status, type, urgency,"
                " department, dispatched_at, lat, lon) VALUES ($1, $2, 'phone', '사우동', 'dispatched',"
                " 'sewer_drainage', 'normal', '하수도과', $3, $4, 126.7150)",
                uuid.uuid4(), now - timedelta(days=i + 1), now - timedelta(days=i + 1) + timedelta(minutes=3),
                37.6150 + i * 0.00001)
        page = await svc.client.get("/dashboard", params={"days": 30})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        text = page.text
        assert "당직 민원 분석" in text and "사우동" in text and "반복 민원 장소" in text
        assert "http://" not in text and "https://" not in text  # nothing from outside the service
        for chart in ("hours", "months"):
            r = await svc.client.get(f"/dashboard/charts/{chart}.png", params={"days": 30})
            assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n" and len(r.content) > 2000
        assert (await svc.client.get("/dashboard/charts/pie.png")).status_code == 404
        assert (await svc.client.get("/dashboard", params={"days": 0})).status_code == 422
