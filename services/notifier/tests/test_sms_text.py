"""Unit tests of the SMS text rules (pure, no I/O)."""

import pytest

from notifier import domain
from notifier.domain import SmsFacts, compose_sms

LINK = "https://s.kr/ack/abc"


def test_exact_example_format():
    sms = compose_sms(SmsFacts(type="sewer_drainage", urgency="urgent", address="경기도 김포시 사우동 123-4",
                               district="사우동", callback_masked="010-****-5678"), LINK)
    assert sms.text == "[당직] 긴급 하수·배수·침수 / 사우동 123-4 / 신고 010-****-5678 / 확인: https://s.kr/ack/abc"
    assert sms.size_bytes == len(sms.text.encode("euc-kr"))


@pytest.mark.parametrize(("urgency", "label"), [("urgent", "긴급"), ("normal", "보통"), ("low", "낮음")])
def test_urgency_labels(urgency, label):
    sms = compose_sms(SmsFacts(type="road_damage", urgency=urgency, district="풍무동"), LINK)
    assert sms.text.startswith(f"[당직] {label} 도로·보도 파손 / 풍무동 / ")


def test_place_rules():
    assert domain.place_of("경기도 김포시 사우동 123-4", "사우동") == "사우동 123-4"
    assert domain.place_of("김포시 풍무동 55", None) == "풍무동 55"
    assert domain.place_of("서울특별시 강서구 공항대로 1", None) == "서울특별시 강서구 공항대로 1"
    assert domain.place_of("  경기도   김포시  ", "구래동") == "구래동"  # nothing left after the prefix
    assert domain.place_of(None, "통진읍") == "통진읍"
    assert domain.place_of("", None) == "위치 미상"
    assert domain.place_of("김포시청앞 광장", None) == "김포시청앞 광장"  # not the city prefix


def test_callback_part_is_omitted_when_there_is_none():
    sms = compose_sms(SmsFacts(type="noise", urgency="normal", address="김포시 장기동 1"), LINK)
    assert sms.text == "[당직] 보통 소음 / 장기동 1 / 확인: https://s.kr/ack/abc"
    assert "신고" not in sms.text


def test_full_number_arriving_by_mistake_is_masked():
    sms = compose_sms(SmsFacts(type="noise", urgency="low", district="사우동", callback_masked="010-1234-5678"),
                      LINK)
    assert "신고 010-****-5678" in sms.text
    assert "1234" not in sms.text
    assert domain.mask_callback("01098765432") == "010-****-5432"
    assert domain.mask_callback("010-****-5678") == "010-****-5678"
    assert domain.mask_callback("  ") is None


def _padded(n_ascii: int):
    return compose_sms(SmsFacts(type="noise", urgency="low", address="A" * n_ascii), "http://x/a")


def test_sms_lms_boundary_is_90_euc_kr_bytes():
    base = _padded(1).size_bytes
    at_limit = _padded(1 + 90 - base)
    over = _padded(2 + 90 - base)
    assert len(at_limit.text.encode("euc-kr")) == 90 and at_limit.kind == "SMS"
    assert len(over.text.encode("euc-kr")) == 91 and over.kind == "LMS"
    # Hangul counts two bytes: 45 syllables fill an SMS
    assert domain.euc_kr_bytes("가" * 45) == 90
    assert domain.kind_for(90) == "SMS" and domain.kind_for(91) == "LMS"


def test_emoji_and_other_non_euc_kr_characters_are_replaced():
    sms = compose_sms(SmsFacts(type="animal", urgency="urgent", address="김포시 운양동 🐗 출몰 지점 ✅"), LINK)
    assert "🐗" not in sms.text and "✅" not in sms.text
    assert "운양동 ? 출몰 지점 ?" in sms.text
    sms.text.encode("euc-kr")  # would raise if anything unencodable remained
    assert sms.size_bytes == len(sms.text.encode("euc-kr"))


def test_very_long_text_is_cut_to_2000_bytes_and_keeps_the_link():
    link = "https://sunmoon.gimpo.go.kr/ack/" + "*" * domain.TOKEN_LENGTH
    sms = compose_sms(SmsFacts(type="facility_safety", urgency="urgent", address="사우동 " + "공사장" * 600,
                               callback_masked="010-****-5678"), link)
    assert sms.kind == "LMS"
    assert sms.size_bytes <= 2000 and len(sms.text.encode("euc-kr")) == sms.size_bytes
    assert sms.text.endswith(f"신고 010-****-5678 / 확인: {link}")
    assert "…" in sms.text


def test_token_is_filled_in_and_hidden_again():
    composed = compose_sms(SmsFacts(type="noise", urgency="low", district="사우동"),
                           domain.ack_link("http://n.kr", domain.MASKED_TOKEN))
    token = domain.new_ack_token()
    assert domain.valid_token(token)
    sent = domain.with_token(composed.text, token)
    assert sent.endswith(f"확인: http://n.kr/ack/{token}")
    assert len(sent.encode("euc-kr")) == composed.size_bytes  # same length: kind decided up front stays right
    assert domain.hide_token(sent) == composed.text
    assert domain.token_hash(token) != domain.token_hash(domain.new_ack_token())
    assert len(domain.token_hash(token)) == 32
    with pytest.raises(ValueError):
        domain.with_token("no link here", token)


def test_unknown_type_reads_as_other():
    sms = compose_sms(SmsFacts(type="ufo", urgency="normal", district="사우동"), LINK)
    assert sms.text.startswith("[당직] 보통 기타 / 사우동")


def test_idempotency_key_and_retry_delay():
    assert domain.idempotency_key("c1", "w-1") == "c1:w-1:primary"
    assert [domain.retry_delay(n) for n in (1, 2, 3)] == [5, 10, 20]
    assert domain.retry_delay(50) == 600
