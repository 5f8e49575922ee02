"""The pure rules of duplicates, linking, holding and (re-)dispatching (intake/dispatch.py): no I/O."""

import uuid
from datetime import datetime, timezone

import pytest

from intake import dispatch

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=timezone.utc)


def row(**kw):
    base = {"id": uuid.uuid4(), "status": "classified", "type": "road_damage", "duplicate_of": None,
            "dispatch_requested_at": None, "dispatched_at": None, "dispatch_attempt": 0, "dispatch_worker_id": None}
    return {**base, **kw}


def test_haversine_matches_known_distances():
    assert dispatch.haversine_m(37.6202, 126.7151, 37.6202, 126.7151) == 0
    # 0.00045 degrees of latitude is ~50 m anywhere
    assert 49.5 < dispatch.haversine_m(37.6202, 126.7151, 37.62065, 126.7151) < 50.5
    # Gimpo City Hall to Seoul City Hall: 5.45 km south, 23.1 km east (0.2623° at cos 37.59°) -> ~23.75 km
    assert 23_600 < dispatch.haversine_m(37.6153, 126.7156, 37.5663, 126.9779) < 23_900


def test_bounding_box_contains_the_circle():
    box = dispatch.bounding_box(37.62, 126.71, 300)
    for bearing_lat, bearing_lon in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        lat = 37.62 + bearing_lat * (box.lat_max - 37.62) * 0.999
        lon = 126.71 + bearing_lon * (box.lon_max - 126.71) * 0.999
        assert box.lat_min <= lat <= box.lat_max and box.lon_min <= lon <= box.lon_max
        assert dispatch.haversine_m(37.62, 126.71, lat, lon) < 300.5
    assert 299 < dispatch.haversine_m(37.62, 126.71, box.lat_max, 126.71) < 301
    assert 299 < dispatch.haversine_m(37.62, 126.71, 37.62, box.lon_max) < 301


def test_link_rules():
    primary = row()
    dispatch.check_link(row(status="received", type=None), primary)  # fine
    with pytest.raises(dispatch.Refused, match="자기|같은 민원"):
        dispatch.check_link(primary, primary)
    with pytest.raises(dispatch.Refused, match="이미 출동 요청"):
        dispatch.check_link(row(dispatch_requested_at=NOW), primary)
    with pytest.raises(dispatch.Refused, match="대표 민원이 이미 처리 완료"):
        dispatch.check_link(row(), row(status="resolved"))
    with pytest.raises(dispatch.Refused, match="이미 다른 민원에 연결"):
        dispatch.check_link(row(duplicate_of=uuid.uuid4()), primary)
    with pytest.raises(dispatch.Refused, match="처리 완료된 민원"):
        dispatch.check_link(row(status="resolved"), primary)


def test_hold_rules():
    dispatch.check_hold(row(status="received", type=None))
    for bad, words in ((row(dispatch_requested_at=NOW), "이미 출동 요청"), (row(status="resolved"), "처리 완료"),
                       (row(duplicate_of=uuid.uuid4()), "대표 민원")):
        with pytest.raises(dispatch.Refused, match=words):
            dispatch.check_hold(bad)


def test_dispatch_plans():
    assert dispatch.plan_dispatch(row(), None) == dispatch.DispatchPlan(attempt=1, redispatch=False)
    assert dispatch.plan_dispatch(row(), "w-1") == dispatch.DispatchPlan(attempt=1, redispatch=False)
    sent = row(dispatch_requested_at=NOW, dispatch_attempt=1, dispatch_worker_id="w-1")
    assert dispatch.plan_dispatch(sent, "w-2") == dispatch.DispatchPlan(attempt=2, redispatch=True)
    with pytest.raises(dispatch.Refused, match="근무자를 선택"):
        dispatch.plan_dispatch(sent, None)
    with pytest.raises(dispatch.Refused, match="같은 사람"):
        dispatch.plan_dispatch(sent, "w-1")
    with pytest.raises(dispatch.Refused, match="분류되지"):
        dispatch.plan_dispatch(row(type=None), None)
    with pytest.raises(dispatch.Refused, match="대표 민원"):
        dispatch.plan_dispatch(row(duplicate_of=uuid.uuid4()), None)
    with pytest.raises(dispatch.Refused, match="처리 완료"):
        dispatch.plan_dispatch(row(status="resolved"), "w-2")


def test_a_late_link_catches_up_with_the_primary():
    assert dispatch.catch_up("received", "classified") == []
    assert dispatch.catch_up("classified", "dispatched") == ["dispatched"]
    assert dispatch.catch_up("received", "acknowledged") == ["dispatched", "acknowledged"]
    assert dispatch.catch_up("dispatched", "resolved") == ["acknowledged", "resolved"]
    assert dispatch.catch_up("acknowledged", "dispatched") == []
