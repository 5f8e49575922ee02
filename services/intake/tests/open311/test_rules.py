"""Pure Open311 rules (no I/O): the catalogue, attribute checks, dates, status and expected times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from intake.open311 import catalog, domain
from sunmoon.events.classifier import COMPLAINT_TYPES

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=timezone.utc)


def test_one_service_per_complaint_type_with_korean_names():
    assert list(catalog.SERVICES) == list(COMPLAINT_TYPES)
    assert all(s.name == COMPLAINT_TYPES[s.code] and s.description for s in catalog.SERVICES.values())
    assert catalog.SERVICES["illegal_parking"].metadata and not catalog.SERVICES["waste"].metadata
    for service in catalog.SERVICES.values():
        assert [a.order for a in service.attributes] == list(range(1, len(service.attributes) + 1))


def test_attributes_are_checked_and_described():
    parking = catalog.SERVICES["illegal_parking"]
    clean = catalog.clean_attributes(parking, {"vehicle_number": [" 12가3456 "], "parking_place": ["crosswalk"]})
    assert clean == {"vehicle_number": "12가3456", "parking_place": "crosswalk"}
    assert catalog.describe(parking, clean) == "차량번호: 12가3456 · 주차 위치: 횡단보도"
    with pytest.raises(catalog.InvalidAttribute, match="vehicle_number"):
        catalog.clean_attributes(parking, {"parking_place": ["crosswalk"]})
    with pytest.raises(catalog.InvalidAttribute, match="single value"):
        catalog.clean_attributes(parking, {"vehicle_number": ["1", "2"]})
    sewer = catalog.SERVICES["sewer_drainage"]
    assert catalog.clean_attributes(sewer, {"water_depth_cm": ["30"]}) == {"water_depth_cm": 30.0}
    assert catalog.describe(sewer, {"water_depth_cm": 30.0}) == "고인 물 깊이(cm): 30"
    for bad in ("deep", "nan", "inf"):
        with pytest.raises(catalog.InvalidAttribute, match="not a number"):
            catalog.clean_attributes(sewer, {"water_depth_cm": [bad]})


def test_w3c_dates_and_the_90_day_window():
    assert domain.w3c(datetime(2026, 11, 29, 18, 12, 45, 999, tzinfo=timezone.utc)) == "2026-11-30T03:12:45+09:00"
    assert domain.parse_w3c("2026-11-30", "start_date") == datetime(2026, 11, 30, tzinfo=domain.KST)
    assert domain.parse_w3c("2026-11-30T00:00:00Z", "x") == datetime(2026, 11, 30, tzinfo=timezone.utc)
    for bad in ("30/11/2026", "2026-13-01", "now"):
        with pytest.raises(ValueError):
            domain.parse_w3c(bad, "start_date")
    assert domain.date_range(None, None, NOW) == (NOW - timedelta(days=90), NOW + timedelta(minutes=1))
    start = NOW - timedelta(days=200)
    assert domain.date_range(start, None, NOW) == (start, start + timedelta(days=90))
    assert domain.date_range(None, NOW, NOW) == (NOW - timedelta(days=90), NOW)
    with pytest.raises(ValueError, match="90"):
        domain.date_range(NOW - timedelta(days=91), NOW, NOW)
    with pytest.raises(ValueError, match="end_date"):
        domain.date_range(NOW, NOW - timedelta(days=1), NOW)


def test_status_notes_and_expected_time():
    row = {"status": "classified", "type": "water_supply", "urgency": "urgent", "received_at": NOW,
           "resolution_note": None}
    assert domain.open311_status("acknowledged") == "open" and domain.open311_status("resolved") == "closed"
    assert "상수도 누수·단수" in domain.status_notes(row)
    assert domain.expected(row) == NOW + timedelta(hours=4)
    assert domain.expected({**row, "urgency": None}) is None
    closed = {**row, "status": "resolved", "resolution_note": "010-1234-5678 주민께 안내함"}
    assert "010-****-5678" in domain.status_notes(closed) and "1234" not in domain.status_notes(closed)
