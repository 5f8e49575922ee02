from intake import domain


def test_status_only_moves_forward():
    assert domain.advances("received", "classified")
    assert domain.advances("classified", "dispatched")
    assert not domain.advances("dispatched", "classified")
    assert not domain.advances("resolved", "acknowledged")
    assert not domain.advances("dispatched", "dispatched")


def test_district_of_address():
    assert domain.district_of("경기도 김포시 사우동 123-4") == "사우동"
    assert domain.district_of("김포시 통진읍 마송리 55") == "통진읍"
    assert domain.district_of("김포시 대곶면 율생리") == "대곶면"
    assert domain.district_of("김포시 장기동") == "장기동"
    assert domain.district_of("김포한강로 123") is None
    assert domain.district_of(None) is None


def test_phone_validation_and_scrubbing():
    assert domain.valid_phone("010-1234-5678") and domain.valid_phone("01012345678")
    assert domain.valid_phone("031-980-2114") and domain.valid_phone("+82 10 1234 5678")
    assert not domain.valid_phone("12345") and not domain.valid_phone("010-12-34")
    assert domain.scrub_description(" 제 번호 010-1234-5678 로 연락 주세요 ") == "제 번호 010-****-5678 로 연락 주세요"
    assert domain.summary_of("가" * 50, 10) == "가" * 9 + "…"
