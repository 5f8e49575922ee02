"""Guidance without I/O: which manual lines fit a text, the template drafts, scrubbing personal data,
and reading an LLM's answer."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import pytest

from sunmoon.events.classifier import COMPLAINT_TYPES, URGENCY_LABELS

from classifier import guidance, llm
from classifier.guidance import (
    LMS_BYTES,
    SMS_BYTES,
    best_sections,
    draft_citizen_reply,
    draft_worker_sms,
    scrub_personal,
)
from classifier.taxonomy import TYPES


def euckr(s: str) -> int:
    return len(s.encode("euc-kr", errors="replace"))


# the road_damage manual as the migrations leave it (steps from 0002, details from 0004)
ROAD = {
    "type": "road_damage", "department": "도로과", "after_hours_team": "도로 보수 야간 긴급대응반",
    "steps": [
        "위치(도로명, 가까운 건물, 몇 차로인지)와 파손 크기·깊이, 차량과 보행자가 지나다니는지 확인한다.",
        "싱크홀, 열린 맨홀 뚜껑, 깊은 포트홀처럼 사고 위험이 있으면 즉시 112·119에 알리고 현장 통제를 요청한다.",
        "도로과 당직(도로 보수 담당)에게 출동을 요청하고 라바콘·안전표지 설치를 부탁한다.",
        "도로 위 낙하물·파편은 2차 사고 위험이 있으므로 즉시 치우도록 요청한다.",
        "임시 조치 결과를 확인해 당직일지에 기록하고, 영구 복구는 아침에 도로과로 인계한다.",
    ],
    "phone_checks": ["정확한 위치: 도로명, 가까운 건물이나 가게, 몇 차로인지, 차도인지 보도인지",
                     "지금 차량과 보행자가 지나다니는지, 이미 사고가 났거나 다친 사람이 있는지"],
    "tell_citizen": ["파손된 곳에 가까이 가지 마시고, 운전 중이시면 서행하거나 다른 길로 돌아가 주세요."],
    "agencies": [{"name": "경찰", "phone": "112", "when": "교통 통제가 필요할 때"},
                 {"name": "한국도로공사 콜센터", "phone": "1588-2504", "when": "고속도로 구간의 파손·낙하물"}],
}


@dataclass
class ManualObj:
    steps: list[str]
    phone_checks: list[str] = field(default_factory=list)
    tell_citizen: list[str] = field(default_factory=list)
    agencies: list[dict] = field(default_factory=list)


# -- best_sections -----------------------------------------------------------------------------
def test_an_open_manhole_finds_the_manhole_step():
    ranked = best_sections(ROAD, "맨홀 뚜껑이 열려있어요")
    assert ranked and "맨홀" in ranked[0]["text"] and ranked[0]["section"] == "steps"
    assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)
    assert all(0 < r["score"] <= 1 for r in ranked) and len(ranked) <= 3


def test_spacing_and_width_do_not_matter():
    a = best_sections(ROAD, "맨홀 뚜껑이 열려있어요")
    b = best_sections(ROAD, "맨홀뚜껑이  열려 있어요!!")
    assert a[0]["text"] == b[0]["text"]


def test_each_kind_of_section_can_win():
    assert best_sections(ROAD, "고속도로에 낙하물")[0]["section"] in {"agencies", "steps"}
    assert any(r["section"] == "agencies" for r in best_sections(ROAD, "고속도로 구간", n=5))
    assert best_sections(ROAD, "가게 앞 보도")[0]["section"] == "phone_checks"
    assert best_sections(ROAD, "다른 길로 돌아가야 하나요")[0]["section"] == "tell_citizen"


def test_no_shared_grams_no_sections_and_a_dataclass_works_too():
    assert best_sections(ROAD, "zzzz qqq") == []
    assert best_sections(ROAD, "") == [] and best_sections(ROAD, "맨") == []
    obj = ManualObj(steps=["맨홀 뚜껑을 확인한다.", "기록한다."])
    [only] = best_sections(obj, "맨홀이 열렸어요", n=1)
    assert (only["section"], only["text"]) == ("steps", "맨홀 뚜껑을 확인한다.") and only["score"] > 0


def test_rare_grams_outweigh_common_ones():
    manual = {"steps": ["현장을 확인한다.", "결과를 확인한다.", "가스 밸브를 확인한다."]}
    assert best_sections(manual, "가스를 확인해 주세요")[0]["text"] == "가스 밸브를 확인한다."


def test_agencies_stored_as_json_text_are_read():
    manual = {"steps": ["기록한다."], "agencies": '[{"name": "한국전력공사", "phone": "123", "when": "전선이 끊어졌을 때"}]'}
    top = best_sections(manual, "전선이 끊어졌어요")[0]
    assert (top["section"], top["text"]) == ("agencies", "한국전력공사 123: 전선이 끊어졌을 때")


# -- templates -----------------------------------------------------------------------------------
PLACE = "경기도 김포시 고촌읍 신곡리 123-4"
SUMMARY = "수도관이 터져서 물이 도로로 넘치고 있어요. 제 번호는 010-1234-5678 이에요 🙏"


@pytest.mark.parametrize("type_", list(COMPLAINT_TYPES))
@pytest.mark.parametrize("urgency", list(URGENCY_LABELS))
def test_worker_sms_fits_one_sms_for_every_type_and_urgency(type_, urgency):
    sms = draft_worker_sms(type_, urgency, PLACE, SUMMARY)
    assert euckr(sms) <= SMS_BYTES, (euckr(sms), sms)
    sms.encode("euc-kr")  # nothing a Korean gateway would refuse (the emoji is gone)
    assert sms.startswith(f"[{URGENCY_LABELS[urgency]}]{COMPLAINT_TYPES[type_]}")
    assert PLACE in sms  # the worker needs the exact place
    assert "010" not in sms and "5678" not in sms


@pytest.mark.parametrize("type_", list(COMPLAINT_TYPES))
@pytest.mark.parametrize("urgency", list(URGENCY_LABELS))
def test_citizen_reply_is_polite_and_within_an_lms(type_, urgency):
    manual = {"department": TYPES[type_].department, "after_hours_team": "야간 긴급대응반",
              "tell_citizen": ["안전한 곳에서 기다려 주세요.", "담당자가 연락드립니다.", "세 번째 안내입니다."]}
    reply = draft_citizen_reply(type_, urgency, PLACE, manual)
    assert euckr(reply) <= LMS_BYTES
    reply.encode("euc-kr")
    assert "접수되었습니다" in reply and COMPLAINT_TYPES[type_] in reply and TYPES[type_].department in reply
    assert "고촌읍 신곡리" in reply and "123-4" not in reply  # the area, not the lot number
    assert "세 번째 안내입니다." not in reply
    if urgency == "urgent":
        assert "현장에 접근하지 마" in reply and "112" in reply and "119" in reply and "야간 긴급대응반" in reply
    else:
        assert "현장에 접근하지 마" not in reply
    if urgency == "low":
        assert "업무 시간" in reply


def test_without_a_manual_or_a_place_the_taxonomy_fills_in():
    reply = draft_citizen_reply("streetlight", "normal", "", None)
    assert "건설과" in reply and "가로등·보안등 민원이 접수되었습니다" in reply
    assert "위치 확인 필요" in draft_worker_sms("streetlight", "normal", "", "가로등이 꺼졌어요")


def test_a_place_too_long_for_an_sms_becomes_an_lms_that_keeps_the_place():
    place = "경기도 김포시 고촌읍 신곡리 " + "아주 긴 골목 안쪽 " * 8 + "123-4"
    sms = draft_worker_sms("noise", "low", place, "음악 소리가 너무 커요" * 50)
    assert SMS_BYTES < euckr(sms) <= LMS_BYTES and " ".join(place.split()) in sms
    huge = draft_worker_sms("noise", "low", "가" * 3000, "나" * 3000)
    assert euckr(huge) <= LMS_BYTES


def test_unknown_type_or_urgency_is_refused():
    with pytest.raises(ValueError, match="unknown complaint type"):
        draft_worker_sms("pothole", "urgent", "", "")
    with pytest.raises(ValueError, match="unknown urgency"):
        draft_citizen_reply("noise", "asap", "", None)


# -- scrub_personal ------------------------------------------------------------------------------
@pytest.mark.parametrize("number", [
    "010-1234-5678", "01012345678", "010 1234 5678", "010.1234.5678", "011-123-4567", "(010)1234-5678",
    "02-123-4567", "02-1234-5678", "0212345678", "031-987-6543", "031)987-6543", "(02)123-4567", "070-1234-5678",
    "0505-123-4567", "+82 10-1234-5678", "+82-10-1234-5678", "+821012345678", "+82 (0)10 1234 5678",
    "+82 2-123-4567", "0082-10-1234-5678",
])
def test_every_phone_number_form_is_removed(number):
    out = scrub_personal(f"제 번호는 {number}이고요 연락 주세요")
    assert out == "제 번호는 [전화번호]이고요 연락 주세요", out


@pytest.mark.parametrize("rrn", ["900101-1234567", "900101 - 2345678", "9001011234567", "900101-1******"])
def test_resident_registration_numbers_are_removed(rrn):
    assert scrub_personal(f"주민번호 {rrn} 입니다") == "주민번호 [주민번호] 입니다"


@pytest.mark.parametrize("email", ["hong@example.com", "gil.dong+night@mail.gimpo.go.kr", "a_b-c@d-e.co.kr"])
def test_email_addresses_are_removed(email):
    assert scrub_personal(f"메일은 {email} 로 주세요") == "메일은 [이메일] 로 주세요"


@pytest.mark.parametrize(("text", "expected"), [
    ("경기도 김포시 고촌읍 신곡리 123-4 앞이에요", "경기도 김포시 고촌읍 신곡리 *** 앞이에요"),
    ("사우동 123-45번지에서 물이 새요", "사우동 ***에서 물이 새요"),
    ("신곡리 123-4에 물이 차요", "신곡리 ***에 물이 차요"),
    ("김포한강4로 123 앞", "김포한강4로 *** 앞"),
    ("태장로795번길 23", "태장로795번길 ***"),
    ("김포대로 1번길 23 근처", "김포대로 1번길 *** 근처"),
    ("신곡리 산 12-3 야산", "신곡리 *** 야산"),
    ("풍무동 OO아파트 101동 1203호", "풍무동 OO아파트 ***동 ***호"),
])
def test_lot_and_house_numbers_are_removed_but_the_area_is_kept(text, expected):
    assert scrub_personal(text) == expected


@pytest.mark.parametrize("text", [
    "편도 2차로 중 1차로가 막혔어요", "도로 3시부터 계속", "사거리에서 10개 정도", "국번없이 121, 한전 123",
    "한국가스안전공사 1544-4500, 한국도로공사 1588-2504, 112와 119", "김포대로 1번길", "수도관이 터졌어요",
])
def test_what_is_not_personal_is_left_alone(text):
    assert scrub_personal(text) == text


def test_everything_at_once_leaves_no_digits_of_the_person():
    text = ("홍길동(900101-1234567, hong@example.com)입니다. 집은 고촌읍 신곡리 123-4, "
            "휴대폰 010-9876-5432, 회사 +82 2-555-1234로 연락 주세요.")
    out = scrub_personal(text)
    assert not re.search(r"\d{3,}", out), out
    assert "고촌읍 신곡리" in out and "[이메일]" in out and "[주민번호]" in out and out.count("[전화번호]") == 2


def test_scrubbing_the_longest_text_stays_fast():
    started = time.perf_counter()
    for text in ("가" * 5000, "동" * 5000, "신곡리 123-4 010-1234-5678 " * 200):
        scrub_personal(text)
    assert time.perf_counter() - started < 1.0  # no quadratic backtracking on long runs of Hangul


def test_area_drops_the_lot_number():
    assert guidance.area("경기도 김포시 고촌읍 신곡리 123-4") == "경기도 김포시 고촌읍 신곡리"
    assert guidance.area("풍무동 OO아파트 101동 1203호") == "풍무동 OO아파트"
    assert guidance.area("") == ""


# -- reading an LLM's answer ---------------------------------------------------------------------
@pytest.mark.parametrize("content", [
    '{"worker_sms": "[긴급]누수 {장소} 출동", "citizen_reply": "접수되었습니다."}',
    '```json\n{"worker_sms": "[긴급]누수 {장소} 출동", "citizen_reply": "접수되었습니다."}\n```',
    '다음과 같습니다.\n{"worker_sms": "[긴급]누수 {장소} 출동", "citizen_reply": "접수되었습니다."} 끝',
])
def test_the_answer_is_read_robustly(content):
    assert llm.parse_drafts(content) == ("[긴급]누수 {장소} 출동", "접수되었습니다.")


@pytest.mark.parametrize("content", [
    "죄송합니다, 도와드릴 수 없습니다.", '{"worker_sms": "출동"}', '{"worker_sms": "", "citizen_reply": "접수"}',
    '{"worker_sms": 3, "citizen_reply": "접수"}', "{not json",
])
def test_an_answer_without_both_drafts_is_refused(content):
    with pytest.raises(llm.LLMUnavailable):
        llm.parse_drafts(content)


def test_the_exact_place_goes_into_the_worker_sms_and_invented_numbers_are_refused():
    facts = guidance.Facts("water_supply", "urgent", "수도관이 터졌어요", PLACE)
    worker, citizen = llm._finish("[긴급]누수 {장소} 출동 😀", "{장소} 민원이 접수되었습니다.", facts, ROAD)
    assert worker == f"[긴급]누수 {PLACE} 출동" and citizen == "경기도 김포시 고촌읍 신곡리 민원이 접수되었습니다."
    worker, _ = llm._finish("[긴급]누수 출동", "접수되었습니다.", facts, ROAD)
    assert worker == f"[긴급]누수 출동 ({PLACE})"
    assert llm._finish("출동", "1588-2504로 문의하세요. 접수되었습니다.", facts, ROAD)[1].startswith("1588-2504")
    with pytest.raises(llm.LLMUnavailable, match="phone number"):
        llm._finish("출동", "담당자 010-2222-3333으로 연락하세요", facts, ROAD)


def test_llm_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CLASSIFIER_LLM_URL", "http://localhost:11434/v1")
    monkeypatch.setenv("CLASSIFIER_LLM_MODEL", "qwen2.5:3b")
    monkeypatch.setenv("CLASSIFIER_LLM_API_KEY", "sk-test")
    monkeypatch.setenv("CLASSIFIER_LLM_TIMEOUT_SECONDS", "2.5")
    s = llm.LLMSettings()
    assert (s.enabled, s.model, s.timeout_seconds, s.max_tokens) == (True, "qwen2.5:3b", 2.5, 400)
    assert s.api_key.get_secret_value() == "sk-test" and "sk-test" not in repr(s)
    monkeypatch.delenv("CLASSIFIER_LLM_URL")
    assert llm.LLMSettings().enabled is False


async def test_a_disabled_llm_gives_the_templates():
    d = await llm.drafts(guidance.Facts("noise", "normal", "음악 소리", "사우동"), None, llm.LLMSettings(url=""))
    assert d.source == "template" and "disabled" in d.fallback_reason
    assert d.worker_sms == draft_worker_sms("noise", "normal", "사우동", "음악 소리")
