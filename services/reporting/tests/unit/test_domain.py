"""Reporting's pure rules (no I/O)."""

from datetime import UTC, datetime, timedelta

import pytest

from reporting import domain
from sunmoon.events.classifier import COMPLAINT_TYPES

NOW = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(("current", "new", "expected"), [
    ("received", "classified", "classified"),
    ("classified", "dispatched", "dispatched"),
    ("dispatched", "classified", "dispatched"),  # a late event never moves it back
    ("resolved", "acknowledged", "resolved"),
    ("received", "resolved", "resolved"),  # skipping ahead is fine
    ("dispatched", "dispatched", "dispatched"),
])
def test_status_only_moves_forward(current, new, expected):
    assert domain.later_status(current, new) == expected


def test_range_defaults_to_the_last_24_hours():
    r = domain.report_range(None, None, NOW)
    assert (r.since, r.until) == (NOW - timedelta(hours=24), NOW)
    until = NOW - timedelta(days=2)
    assert domain.report_range(None, until, NOW).since == until - timedelta(hours=24)
    since = NOW - timedelta(days=7)
    assert domain.report_range(since, None, NOW) == domain.Range(since, NOW)


@pytest.mark.parametrize(("since", "until", "message"), [
    (NOW, NOW, "before"),
    (NOW, NOW - timedelta(hours=1), "before"),
    (NOW - timedelta(days=367), NOW, "366 days"),
])
def test_bad_ranges(since, until, message):
    with pytest.raises(domain.BadRange, match=message):
        domain.report_range(since, until, NOW)


def test_a_full_year_is_allowed():
    assert domain.report_range(NOW - timedelta(days=366), NOW, NOW).since == NOW - timedelta(days=366)


def test_summary_has_every_key_and_adds_up():
    s = domain.summarize([
        ("dispatched", "sewer_drainage", "urgent", 2),
        ("received", None, None, 3),
        ("resolved", "noise", "normal", 1),
    ])
    assert s["total"] == 6
    assert s["by_status"] == {"received": 3, "classified": 0, "dispatched": 2, "acknowledged": 0, "resolved": 1}
    assert s["by_type"]["sewer_drainage"] == 2 and s["by_type"]["noise"] == 1
    assert s["by_type"]["unclassified"] == 3 and s["by_type"]["road_damage"] == 0
    assert set(s["by_type"]) == {*COMPLAINT_TYPES, "unclassified"}
    assert s["by_urgency"] == {"urgent": 2, "normal": 1, "low": 0, "unclassified": 3}
    for key in ("by_status", "by_type", "by_urgency"):
        assert sum(s[key].values()) == s["total"]


def test_empty_summary():
    s = domain.summarize([])
    assert s["total"] == 0 and set(s["by_status"]) == {"received", "classified", "dispatched", "acknowledged",
                                                        "resolved"}
    assert not any(s["by_status"].values())
