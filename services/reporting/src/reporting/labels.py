"""Korean labels for codes, as reports and exports show them."""

from __future__ import annotations

from sunmoon.events.classifier import COMPLAINT_TYPES, URGENCY_LABELS

UNCLASSIFIED_LABEL = "미분류"
NO_DEPARTMENT = "부서 미지정"
STATUS_LABELS = {"received": "접수", "classified": "분류", "dispatched": "통보", "acknowledged": "확인",
                 "resolved": "완료"}
# what became of a complaint, by the furthest status it reached
OUTCOME_LABELS = {"received": "접수(분류 전)", "classified": "분류(통보 전)", "dispatched": "통보(확인 대기)",
                  "acknowledged": "확인(처리 중)", "resolved": "처리 완료"}
CHANNEL_LABELS = {"phone": "전화", "visit": "방문", "web": "인터넷", "open311": "Open311(앱·연계)"}
ROLE_LABELS = {"primary": "담당", "backup": "예비", "supervisor": "감독"}
WEEKDAY_LABELS = ["월", "화", "수", "목", "금", "토", "일"]
HAZARD_LABELS = {"rain": "비", "snow_cold": "눈·한파", "wind": "강풍", "heat": "폭염"}

PRIVACY_NOTE = ("이 보고서에는 개인정보가 없습니다: 성명·전화번호·상세 주소는 보고 서비스에 전달되지 않으며, "
                "장소는 읍·면·동 단위, 요약은 전화번호 등 번호를 지운 40자 이내 문장입니다. "
                "따라서 열람 권한에 따른 가림 처리가 필요한 항목이 없습니다.")
PRIVACY_SHORT = "개인정보 미포함 (성명·전화번호·주소 없음)"


def type_label(code: object) -> str:
    """Korean label of a type code; anything missing (None, NaN) is 미분류."""
    return COMPLAINT_TYPES.get(code, code) if isinstance(code, str) and code else UNCLASSIFIED_LABEL


def urgency_label(code: object) -> str:
    return URGENCY_LABELS.get(code, code) if isinstance(code, str) and code else UNCLASSIFIED_LABEL
