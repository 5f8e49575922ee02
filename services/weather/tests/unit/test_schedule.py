"""KMA's release schedule (KST) and the quota day."""

from datetime import UTC, datetime

import pytest

from weather import domain

KST = domain.KST


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=KST)


@pytest.mark.parametrize(("now", "base"), [
    ("2026-01-15 03:10", "2026-01-15 03:00"),
    ("2026-01-15 03:09", "2026-01-15 02:00"),
    ("2026-01-15 00:05", "2026-01-14 23:00"),
    ("2026-01-15 23:59", "2026-01-15 23:00"),
])
def test_nowcast_base(now, base):
    assert domain.nowcast_base(at(now)) == at(base)


def test_nowcast_base_accepts_utc():
    assert domain.nowcast_base(datetime(2026, 1, 14, 18, 12, tzinfo=UTC)) == at("2026-01-15 03:00")


@pytest.mark.parametrize(("now", "base"), [
    ("2026-01-15 03:45", "2026-01-15 03:30"),
    ("2026-01-15 03:44", "2026-01-15 02:30"),
    ("2026-01-15 00:10", "2026-01-14 23:30"),
])
def test_ultra_forecast_base(now, base):
    assert domain.ultra_forecast_base(at(now)) == at(base)


@pytest.mark.parametrize(("now", "base"), [
    ("2026-01-15 05:10", "2026-01-15 05:00"),
    ("2026-01-15 05:09", "2026-01-15 02:00"),
    ("2026-01-15 01:00", "2026-01-14 23:00"),
    ("2026-01-15 02:15", "2026-01-15 02:00"),
])
def test_village_forecast_base(now, base):
    assert domain.village_forecast_base(at(now)) == at(base)


def test_previous_base_and_midnight():
    assert domain.previous_base("getUltraSrtNcst", at("2026-01-15 00:00")) == at("2026-01-14 23:00")
    assert domain.previous_base("getVilageFcst", at("2026-01-15 02:00")) == at("2026-01-14 23:00")
    assert domain.next_midnight_kst(at("2026-01-15 14:12")) == at("2026-01-16 00:00")
    # 15:30 UTC is already 00:30 KST the next day
    assert domain.next_midnight_kst(datetime(2026, 1, 15, 15, 30, tzinfo=UTC)) == at("2026-01-17 00:00")
    assert domain.next_nowcast_run(at("2026-01-15 03:00"), minute=10, jitter_s=120) == at("2026-01-15 04:12")
