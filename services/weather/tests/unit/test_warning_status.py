"""Reading t6 for Gimpo, and what changed between two states."""

import pytest

from weather.warning_status import Change, WarningArea, diff, parse_in_force, region_covers, split_top_level, warnings_for

GIMPO = WarningArea.from_city("경기도", "김포시")


def test_gimpo_as_warnings_name_it():
    assert GIMPO.area == "김포" and GIMPO.provinces == {"경기도", "경기"}
    assert WarningArea.from_city("인천광역시", "강화군").provinces == {"인천광역시", "인천"}
    assert WarningArea.from_city("강원특별자치도", "철원군").provinces >= {"강원", "강원도"}


@pytest.mark.parametrize("none", ["o 없음", "o 없 음", "", "  "])
def test_none_in_force(none):
    assert parse_in_force(none) == []
    assert warnings_for(none, GIMPO) == {}


def test_parse_lines_kinds_and_levels():
    t6 = ("o 호우경보 : 경기도(김포, 고양, 파주), 인천(강화)\r\n o 호우주의보 : 서울, 경기도(안산, 시흥 제외)\n"
          "o 폭염중대경보 : 경상남도(양산, 의령)\no 폭풍해일주의보 : 경기도(시흥, 김포), 인천")
    parsed = parse_in_force(t6)
    assert [(w.kind, w.level) for w in parsed] == [("호우", "경보"), ("호우", "주의보"), ("폭염", "중대경보"),
                                                  ("폭풍해일", "주의보")]
    assert parsed[0].regions == ("경기도(김포, 고양, 파주)", "인천(강화)")
    assert parsed[0].name == "호우경보"


@pytest.mark.parametrize(("region", "covers"), [
    ("경기도", True),  # the whole province
    ("경기", True),
    ("경기도(김포, 고양)", True),
    ("경기도(고양, 파주)", False),
    ("경기도(안산, 시흥, 김포, 평택, 화성 제외)", False),  # all but these
    ("경기도(안산, 시흥 제외)", True),
    ("경기도(김포시)", True),
    ("충청남도(보령(도서제외), 보령도서)", False),
    ("인천", False),
    ("서울(서울서북권 제외)", False),
])
def test_region_covers_gimpo(region, covers):
    assert region_covers(region, GIMPO) is covers


def test_split_respects_nested_parentheses():
    assert split_top_level("충청남도(보령(도서제외), 보령도서), 서울") == ["충청남도(보령(도서제외), 보령도서)", "서울"]


def test_warnings_for_gimpo_takes_the_higher_level():
    t6 = "o 호우주의보 : 경기도\no 호우경보 : 경기도(김포)\no 건조주의보 : 경기도(고양)\no 한파경보 : 경기도(파주 제외)"
    assert warnings_for(t6, GIMPO) == {"호우": "경보", "한파": "경보"}


def test_diff():
    before = {"호우": "주의보", "강풍": "주의보"}
    after = {"호우": "경보", "한파": "주의보"}
    assert diff(before, after) == [Change("한파", "주의보", "issued"), Change("호우", "경보", "changed"),
                                   Change("강풍", "주의보", "lifted")]
    assert diff(after, after) == []
    assert diff({}, {}) == []
