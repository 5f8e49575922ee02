"""The desk's pure rules and helpers: no I/O."""

from datetime import datetime, timedelta, timezone

import pytest

from intake.web import gazetteer
from intake.web.rules import KST, OverdueLimits, elapsed_label, is_overdue, night_start
from intake.web.security import content_security_policy, tile_source

UTC = timezone.utc


@pytest.mark.parametrize("now_kst, start_kst", [
    ("2026-11-29 23:10", "2026-11-29 18:00"),
    ("2026-11-30 03:00", "2026-11-29 18:00"),
    ("2026-11-30 18:00", "2026-11-30 18:00"),
    ("2026-11-30 12:00", "2026-11-29 18:00"),   # in the daytime the board still shows last night
])
def test_night_starts_at_six_in_the_evening_kst(now_kst, start_kst):
    now = datetime.strptime(now_kst, "%Y-%m-%d %H:%M").replace(tzinfo=KST).astimezone(UTC)
    assert night_start(now) == datetime.strptime(start_kst, "%Y-%m-%d %H:%M").replace(tzinfo=KST)


def test_overdue_by_urgency_until_a_worker_confirms():
    limits = OverdueLimits(urgent=15, normal=60, low=180, unclassified=10)
    t0 = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
    assert not is_overdue("dispatched", "urgent", t0, t0 + timedelta(minutes=15), limits)
    assert is_overdue("dispatched", "urgent", t0, t0 + timedelta(minutes=16), limits)
    assert not is_overdue("classified", "normal", t0, t0 + timedelta(minutes=59), limits)
    assert is_overdue("received", None, t0, t0 + timedelta(minutes=11), limits)   # stuck before classification
    assert not is_overdue("acknowledged", "urgent", t0, t0 + timedelta(hours=5), limits)
    assert not is_overdue("resolved", "low", t0, t0 + timedelta(days=1), limits)


def test_elapsed_label_in_korean():
    t0 = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
    assert elapsed_label(t0, t0 + timedelta(seconds=30)) == "방금"
    assert elapsed_label(t0, t0 + timedelta(minutes=7)) == "7분"
    assert elapsed_label(t0, t0 + timedelta(minutes=65)) == "1시간 5분"


def test_gazetteer_holds_gimpos_fourteen_places():
    names = [p.name for p in gazetteer.places()]
    assert len(names) == 14 and "사우동" in names and "고촌읍" in names and "하성면" in names
    assert [p.name for p in gazetteer.search("사우")] == ["사우동"]
    assert {p.name for p in gazetteer.search("읍")} == {"고촌읍", "양촌읍", "통진읍"}
    p = gazetteer.find("고촌읍")
    assert p.address == "경기도 김포시 고촌읍" and 37.5 < p.lat < 37.8 and 126.5 < p.lon < 126.9
    assert gazetteer.city_center() == pytest.approx((37.6124, 126.7178), abs=1e-3)


def test_csp_allows_only_own_scripts_and_the_configured_tiles():
    csp = content_security_policy("")
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    assert "img-src 'self' data: https://tiles.example.kr;" in content_security_policy(
        "https://tiles.example.kr/{z}/{x}/{y}.png")
    assert tile_source("javascript:alert(1)") == ""


def test_history_reasons_read_in_korean():
    from intake.web.views import reason_ko

    assert reason_ko("model base-1a2b") == "자동 분류 (모델 base-1a2b)"
    assert reason_ko("type set by officer: streetlight (접수 시 담당자 선택)") == \
        "담당자가 유형 지정: 가로등·보안등 (접수 시 담당자 선택)"
    assert reason_ko("SMS to primary w1") == "현장 근무자에게 문자 발송 (primary w1)"
    assert reason_ko("뚜껑 닫음") == "뚜껑 닫음" and reason_ko(None) == ""
