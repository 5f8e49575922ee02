"""The rules around the lexicon: spacing, overlaps, confidence, urgency cues, the taxonomy table (no I/O)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from pydantic import ValidationError

from sunmoon.events.classifier import COMPLAINT_TYPES, URGENCY_LABELS, ComplaintClassified

from classifier import domain, lexicon, urgency_cues
from classifier.schemas import ClassifyIn
from classifier.taxonomy import TYPES, unknown_type_message


def _cases():
    # test modules are not importable by name under --import-mode=importlib
    spec = importlib.util.spec_from_file_location("lexicon_cases", Path(__file__).with_name("test_lexicon.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


CASES = _cases()


# -- spacing and normalisation ---------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected_type", "_u"), CASES[::3], ids=[c[0][:20] for c in CASES[::3]])
def test_spacing_does_not_change_the_answer(text, expected_type, _u):
    plain = domain.classify(text)
    squeezed = domain.classify(text.replace(" ", ""))
    spread = domain.classify("  ".join(text.split()) + " !!")
    for other in (squeezed, spread):
        assert (other.type, other.urgency) == (plain.type, plain.urgency), (text, other)


@pytest.mark.parametrize(("variant", "expected"), [
    ("가로 등이 안 들어 와요", "streetlight"),
    ("보도블록,깨짐!!", "road_damage"),
    ("ＣＣＴＶ 단속카메라가 고장났어요", "traffic_facility"),  # full-width letters (NFKC)
    ("맷돼지가 나타났어요", "animal"),
    ("빙판길 너무 미끄러워요ㅠㅠㅠ", "snow_ice"),
    ("씽크홀", "road_damage"),
    ("불볍주차 신고합니다", "illegal_parking"),
])
def test_typos_punctuation_and_odd_spacing(variant, expected):
    assert domain.classify(variant).type == expected


def test_normalise_keeps_hangul_digits_and_latin_only():
    t = domain.normalise("  CCTV가 \n고장!! (신고 010-****-1234) ㅠㅠ")
    assert t.compact == "cctv가고장신고0101234"
    assert t.words == ("cctv가", "고장", "신고", "010", "1234")
    assert t.offsets == (0, 5, 7, 9, 12)


def test_whole_word_terms_do_not_match_inside_other_words():
    assert domain.classify("눈이 많이 와서 길이 하얘요").type == "snow_ice"
    assert "눈" not in domain.classify("눈물이 나요 너무 억울해서").type_terms
    assert domain.classify("뱀이 나왔어요").type == "animal"


# -- the main thing the citizen wants fixed ----------------------------------------------------
@pytest.mark.parametrize(("text", "expected", "not_"), [
    ("주차장이 너무 어두워요", "streetlight", "illegal_parking"),
    ("수도관이 터져서 물이 도로로 넘치고 있어요", "water_supply", "sewer_drainage"),
    ("하수구에서 악취가 너무 심해요", "odor_pollution", "sewer_drainage"),
    ("하수구가 역류해서 냄새가 나요", "sewer_drainage", "odor_pollution"),
    ("공사장 소음 때문에 잠을 못 자요", "noise", "facility_safety"),
    ("공사장 때문에 옆집 담벼락에 금이 갔어요", "facility_safety", "noise"),
    ("버스정류장이 어두워요", "streetlight", "traffic_facility"),
    ("주차 자리에 라바콘을 놓고 자리를 맡아요", "other", "illegal_parking"),
    ("주차단속 직원이 너무 불친절해요", "other", "illegal_parking"),
    ("금연구역에서 담배 피워요", "other", "odor_pollution"),
    ("수도 요금이 너무 많이 나왔어요", "other", "water_supply"),
    ("도로에 나무가 쓰러져 있어요", "tree_vegetation", "public_order"),
    ("버스정류장에 할아버지가 쓰러져 계세요", "public_order", "traffic_facility"),
])
def test_the_type_is_what_the_citizen_wants_fixed(text, expected, not_):
    result = domain.classify(text)
    assert result.type == expected, (result.scores, result.type_terms)
    assert result.scores.get(not_, 0) < result.scores[expected]


def test_a_two_character_term_does_not_span_two_words():
    # "넘침, 수거" is not 침수 (flooding): a short term must lie inside one word
    result = domain.classify("분리수거함 넘침, 수거 요청")
    assert (result.type, result.urgency) == ("waste", "low")
    assert "침수" not in result.matched_terms
    # a longer phrase still spans spaces, and so do the cues
    assert domain.classify("물이 안 나와요").type == "water_supply"
    assert domain.classify("불법주차 차 때문에 차를 못 빼요").urgency == "normal"


def test_longest_match_wins_an_overlap():
    hits = domain.find_hits(domain.normalise("주차장이 어두워요"))
    assert [(h.type, h.text) for h in hits] == [("illegal_parking", "주차장"), ("streetlight", "어두워")]
    assert domain.score(domain.normalise("불법주차"))[0] == {"illegal_parking": 3.5}  # not also "주차"


def test_an_entry_counts_once_however_often_it_occurs():
    once = domain.classify("가로등이 꺼졌어요").scores["streetlight"]
    thrice = domain.classify("가로등 가로등 가로등이 꺼졌어요").scores["streetlight"]
    assert once == thrice


# -- confidence ---------------------------------------------------------------------------------
def test_nothing_matched_is_other_with_low_confidence():
    for text in ("안녕하세요", "12345", "ㅋㅋㅋ", "음... 그게요"):
        result = domain.classify(text)
        assert (result.type, result.confidence, result.type_terms) == ("other", 0.1, ())
        assert result.department == "당직실"


def test_more_evidence_more_confidence_and_conflict_less():
    one = domain.classify("가로등").confidence
    two = domain.classify("가로등이 꺼져서 어두워요").confidence
    conflicting = domain.classify("가로등 옆 하수구가 막혔어요").confidence
    clear = domain.classify("하수구가 막혀서 물이 안 빠져요").confidence
    assert one < two <= 0.95
    assert conflicting < clear
    assert conflicting < 0.5


def test_confidence_formula_edges():
    assert domain.confidence({}, "other") == 0.1
    assert domain.confidence({"waste": 0.5}, "waste") == 0.1  # below the minimum evidence
    assert domain.confidence({"waste": 3.0, "noise": 3.0}, "waste") == 0.3
    assert domain.confidence({"waste": 100.0}, "waste") == 0.95


def test_a_tie_goes_to_the_heavier_single_term():
    scores = {"noise": 3.0, "public_order": 3.0}
    hits = {"noise": [domain.Hit("noise", 1, "a", 1.5, 0, 1), domain.Hit("noise", 2, "b", 1.5, 1, 2)],
            "public_order": [domain.Hit("public_order", 3, "c", 3.0, 2, 3)]}
    assert domain.choose_type(scores, hits) == "public_order"


# -- urgency ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "urgency"), [
    ("도로에 싱크홀이 생겼어요", "urgent"),
    ("땅꺼짐이 있어요", "urgent"),
    ("수도관이 파열됐어요", "urgent"),
    ("지하차도가 침수됐어요", "urgent"),
    ("나무가 쓰러져서 도로를 막고 있어요", "urgent"),
    ("교차로 신호등이 안 들어와요", "urgent"),
    ("멧돼지가 나타났어요", "urgent"),
    ("들개가 돌아다녀요", "urgent"),
    ("사람이 쓰러져 있어요", "urgent"),
    ("술 취한 사람이 도로에 누워 있어요", "urgent"),
    ("어디서 가스 냄새가 나요", "urgent"),
    ("도로 위에 큰 돌이 떨어져 있어요", "urgent"),
    ("포트홀이 너무 깊어서 위험해요", "urgent"),  # plain urgency word: normal -> urgent
    ("쓰레기가 쌓여서 위험해요", "normal"),  # low -> normal
    ("급해요 불법주차 차량 좀 단속해 주세요", "normal"),
    ("포트홀이 생겼어요", "normal"),
    ("가로등이 꺼졌어요", "normal"),
    ("고양이 사체가 있어요", "normal"),
    ("윗집 소음이 심해요", "normal"),
    ("불법주차 차량 때문에 차를 못 빼요", "normal"),  # obstruction
    ("불법주차 차량이 있어요", "low"),
    ("쓰레기 무단투기", "low"),
    ("가로등 추가 설치 부탁드려요", "low"),
    ("공원 풀 좀 베어 주세요 잡초가 많아요", "low"),
    ("재산세 문의드립니다", "low"),
    ("도로변에 멧돼지 사체가 있어요", "normal"),  # a dead boar is a carcass, not a danger
    ("고라니가 다리를 다쳐서 못 움직여요", "normal"),  # injury words are about people
    ("큰 개가 사람을 물었어요", "urgent"),
    ("놀이터 말벌집 때문에 아이가 쏘였어요", "urgent"),
    ("집앞에 죽은 비둘기가 있어요", "normal"),  # a carcass, not a pest
    ("비둘기 때문에 베란다가 더러워요", "low"),
    ("공사장 가림막이 인도로 넘어졌어요", "urgent"),
    ("인도에 차를 주차해 놨어요", "normal"),  # obstruction of the sidewalk
])
def test_urgency(text, urgency):
    result = domain.classify(text)
    assert result.urgency == urgency, (result.type, result.urgency_terms)


def test_a_negated_cue_does_not_count():
    assert domain.classify("포트홀이 있는데 위험하지는 않아요").urgency == "normal"
    assert domain.classify("교통사고가 났는데 다친 사람은 없어요 신호등이 휘었어요").urgency in ("normal", "urgent")
    assert "다친" not in domain.classify("다친 사람은 없어요 보도블럭이 깨졌어요").urgency_terms
    assert domain.classify("침수는 없어요 하수구가 막혔어요").urgency == "normal"


def test_a_hazard_cue_for_another_type_does_not_make_it_urgent():
    # "터져" is a burst main for water; a burst tyre in a pothole is not a flood
    result = domain.classify("포트홀 때문에 타이어가 터졌어요")
    assert (result.type, result.urgency) == ("road_damage", "normal")
    # a car blocking the road is an obstruction (normal), not a fallen tree
    assert domain.classify("불법주차 차량이 도로를 막고 있어요").urgency == "normal"


# -- what the event carries -------------------------------------------------------------------
def test_matched_terms_are_type_terms_then_urgency_cues():
    result = domain.classify("사우동 사거리 맨홀 뚜껑이 열려 있어요")
    assert result.type_terms[0] == "맨홀뚜껑"
    assert result.matched_terms == [*result.type_terms, "맨홀뚜껑이열려"]
    event = ComplaintClassified(complaint_id="0b5f2c9e-6a1d-4c2e-9f00-3d2a1b4c5d6e", type=result.type,
                               urgency=result.urgency, department=result.department, confidence=result.confidence,
                               model_version=result.model_version, matched_terms=result.matched_terms)
    assert event.type == "road_damage" and event.urgency == "urgent"


def test_long_co_occurrences_are_reported_by_their_ends():
    result = domain.classify("옆 공사장 때문에 우리 집 벽에 금이 갔어요")
    assert "공사장…금이" in result.type_terms


# -- the taxonomy table and the lexicon's shape ----------------------------------------------
def test_every_type_has_label_department_and_default_urgency():
    assert list(TYPES) == list(COMPLAINT_TYPES)
    for code, info in TYPES.items():
        assert info.label == COMPLAINT_TYPES[code] and info.department
        assert info.default_urgency in URGENCY_LABELS
    assert TYPES["water_supply"].department == "상하수도과"
    assert TYPES["road_damage"].department == "도로과"
    assert TYPES["illegal_parking"].department == TYPES["traffic_facility"].department == "교통과"
    assert {TYPES[t].department for t in ("noise", "odor_pollution", "waste")} == {"환경과"}
    assert TYPES["tree_vegetation"].department == "공원녹지과"
    assert TYPES["other"].department == "당직실"
    assert "water_supply" in unknown_type_message("x")


def test_lexicon_shape():
    assert set(lexicon.TERMS) == set(COMPLAINT_TYPES)
    for type_, entries in lexicon.TERMS.items():
        assert len(entries) >= 5, type_
        for pattern, weight in entries:
            assert 0 < weight <= 4 and pattern == pattern.replace(" ", ""), (type_, pattern)
    assert {t for t, _, _ in lexicon.COMBOS} <= set(COMPLAINT_TYPES)
    for _, types, _unless in urgency_cues.URGENT_CUES:
        assert types is None or types <= set(COMPLAINT_TYPES)
    for _, types in (*urgency_cues.LOW_CUES, *urgency_cues.PUSH_UP):
        assert types is None or types <= set(COMPLAINT_TYPES)


def test_long_text_is_bounded():
    result = domain.classify("가로등이 꺼졌어요 " * 2000)
    assert result.type == "streetlight"


# -- request model ------------------------------------------------------------------------------
def test_classify_request_validation():
    assert ClassifyIn(text="가로등").text == "가로등"
    assert ClassifyIn(text=" \n").text == " \n"  # blank text is classified (other, for review), not refused
    for bad, message in (("가" * 20001, "at most 20000"),):
        with pytest.raises(ValidationError) as info:
            ClassifyIn(text=bad)
        assert message in str(info.value)
