"""Korean SMS rules a gateway enforces, checked before anything is sent (pure, no I/O)."""

import pytest

from notifier import domain
from notifier.domain import SmsFacts, compose_sms

LINK = "https://sunmoon.gimpo.go.kr/ack/" + "*" * domain.TOKEN_LENGTH


@pytest.mark.parametrize(("text", "safe"), [
    ("멧돼지 🐗 출몰", "멧돼지 ? 출몰"),
    ("가족 👨‍👩‍👧 셋", "가족 ? 셋"),  # one joined emoji is one '?', not five
    ("하트 ❤️ 표시", "하트 ? 표시"),  # the variation selector goes with it
    ("엄지 👍🏽 표시", "엄지 ? 표시"),  # so does a skin tone
    ("전화 ☎️ 문의", "전화 ☎ 문의"),  # ☎ is in KS X 1001: only the selector is dropped
    ("똠방각하 햏", "?방각하 ?"),  # Hangul outside KS X 1001's 2,350 syllables
    ("줄\n바꿈\t탭\u200b영폭", "줄 바꿈 탭 영폭"),  # control and format characters
    ("사우동 123-4 (A동)", "사우동 123-4 (A동)"),
])
def test_only_euc_kr_printable_characters_remain(text, safe):
    assert domain.euc_kr_safe(text) == safe
    assert domain.sendable(safe)


def test_sendable_rejects_what_a_gateway_would_refuse():
    assert domain.sendable("[당직] 긴급 하수·배수·침수")
    assert not domain.sendable("🐗")
    assert not domain.sendable("똠")  # Python would write it as an 8-byte jamo sequence
    assert not domain.sendable("a\tb")
    assert not domain.sendable("가" * 1001)  # 2,002 bytes: over the LMS limit
    assert domain.euc_kr_bytes("똠") == 1  # counted as the '?' it becomes


def test_counting_is_by_euc_kr_bytes():
    assert domain.euc_kr_bytes("가" * 45) == 90 and domain.kind_for(90) == "SMS"
    assert domain.euc_kr_bytes("가" * 45 + "a") == 91 and domain.kind_for(91) == "LMS"
    assert domain.euc_kr_bytes("·…") == 4  # middle dot and ellipsis are two-byte KS X 1001 symbols


def test_composed_text_format_and_kind():
    sms = compose_sms(SmsFacts(type="sewer_drainage", urgency="urgent", address="경기도 김포시 사우동 123-4",
                               district="사우동", callback_masked="010-****-5678"), LINK)
    assert sms.text == f"[당직] 긴급 하수·배수·침수 / 사우동 123-4 / 신고 010-****-5678 / 확인: {LINK}"
    assert sms.kind == "LMS" and sms.size_bytes == len(sms.text.encode("euc-kr")) > 90
    short = compose_sms(SmsFacts(type="noise", urgency="low", district="사우동"), "http://n.kr/ack/abc")
    assert short.kind == "SMS" and short.size_bytes <= 90


def test_an_overlong_place_is_cut_and_the_link_kept_at_the_end():
    sms = compose_sms(SmsFacts(type="facility_safety", urgency="urgent", callback_masked="010-****-5678",
                               address="사우동 " + "공사장 가림막 붕괴 위험 🚧 " * 200), LINK)
    assert sms.kind == "LMS" and sms.size_bytes <= domain.LMS_MAX_BYTES
    assert sms.text.endswith(f"… / 신고 010-****-5678 / 확인: {LINK}")
    assert domain.sendable(sms.text) and "🚧" not in sms.text
    # the live token has the masked token's length: filling it in never changes the kind or the size
    filled = domain.with_token(sms.text, domain.new_ack_token())
    assert len(filled.encode("euc-kr")) == sms.size_bytes and domain.sendable(filled)


def test_lms_subject_is_the_first_part_within_40_bytes():
    assert domain.sms_subject(f"[당직] 긴급 하수·배수·침수 / 사우동 / 확인: {LINK}") == "[당직] 긴급 하수·배수·침수"
    subject = domain.sms_subject("[당직] 긴급 " + "가나다라마바사" * 10 + " / 사우동")
    assert len(subject.encode("euc-kr")) <= 40 and subject.startswith("[당직] 긴급 가나다")
    assert domain.sms_subject("🐗 / x") == "?"


def test_retry_delay_grows_and_is_capped():
    assert [domain.retry_delay(n) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert domain.retry_delay(100) == 600
    assert [domain.retry_delay(n, 0.05, 0.2) for n in (1, 2, 3, 4)] == [0.05, 0.1, 0.2, 0.2]
