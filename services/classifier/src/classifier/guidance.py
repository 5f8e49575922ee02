"""Guidance for the duty officer, pure (no I/O): the parts of a manual that fit a complaint,
template drafts of the worker's SMS and the citizen's reply, and scrubbing personal data
out of anything that leaves for an outside LLM.

* ``best_sections`` ranks every line of a manual (steps, phone checks, what to tell the
  citizen, when to call an agency) by the character 2- and 3-grams it shares with the
  complaint, on text normalised like the classifier reads it (NFKC, lower case, spaces and
  punctuation removed). A gram counts more the fewer lines of the manual hold it (so "맨홀"
  outweighs "확인"), 3-grams more than 2-grams, and double when it belongs to a term of the
  classifier's lexicon found in the complaint (so in "가스 냄새가 심하게 나요" the gas counts,
  not the 심하게); the score is the cosine of the two weighted gram sets, in [0, 1].
* ``draft_worker_sms`` fits one SMS (90 bytes in EUC-KR) whenever the place allows, and
  never exceeds an LMS (2,000 bytes); characters EUC-KR cannot carry (emoji) are dropped,
  because they make a send fail.
* ``scrub_personal`` replaces phone numbers, resident registration numbers, e-mail
  addresses and the lot/house number after a dong, ri or road name.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sunmoon.events.classifier import COMPLAINT_TYPES, URGENCY_LABELS

from . import lexicon
from .taxonomy import TYPES

SMS_BYTES = 90  # one SMS in EUC-KR (45 Hangul)
LMS_BYTES = 2000  # the longest message a Korean gateway sends
SECTION_KINDS = ("steps", "phone_checks", "tell_citizen", "agencies")
TOPICAL_BOOST = 2.0  # a gram of a lexicon term found in the complaint counts double
MIN_SCORE = 0.01  # below this a line shares only filler with the text ("도로" in a road manual)


@dataclass(frozen=True)
class Facts:
    """What the drafts are written from."""

    type: str
    urgency: str
    text: str  # the complaint in the caller's words
    place: str = ""  # the address as given; the worker needs it exactly


# -- reading a manual (asyncpg Record, dict, dataclass or pydantic model) ----------------------
def field(manual: Any, name: str, default: Any = None) -> Any:
    if manual is None:
        return default
    if isinstance(manual, Mapping) or hasattr(manual, "keys"):
        try:
            value = manual[name]
        except (KeyError, IndexError, TypeError):
            value = default
    else:
        value = getattr(manual, name, default)
    return default if value is None else value


def agencies_of(manual: Any) -> list[dict[str, str]]:
    raw = field(manual, "agencies", [])
    if isinstance(raw, str):  # jsonb read without a codec
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    out = []
    for a in raw or []:
        get = (lambda k, a=a: a.get(k)) if isinstance(a, Mapping) else (lambda k, a=a: getattr(a, k, None))
        out.append({"name": str(get("name") or ""), "phone": str(get("phone") or ""), "when": str(get("when") or "")})
    return out


def sections_of(manual: Any) -> list[tuple[str, str]]:
    """Every rankable line of a manual as (section, text)."""
    out = [(kind, str(line)) for kind in ("steps", "phone_checks", "tell_citizen") for line in field(manual, kind, [])]
    for a in agencies_of(manual):
        who = f"{a['name']} {a['phone']}".strip()
        out.append(("agencies", f"{who}: {a['when']}" if a["when"] else who))
    return [(k, t) for k, t in out if t.strip()]


# -- ranking -----------------------------------------------------------------------------------
_DROP = re.compile(r"[^0-9a-z가-힣]+")


def compact(text: str) -> str:
    return _DROP.sub("", unicodedata.normalize("NFKC", text).lower())


def grams(text: str) -> set[str]:
    s = compact(text)
    return {s[i:i + n] for n in (2, 3) for i in range(len(s) - n + 1)}


def _spellings() -> tuple[str, ...]:
    """Every plain spelling in the classifier's lexicon (regular expressions left out)."""
    out = set()
    for entries in lexicon.TERMS.values():
        for pattern, _weight in entries:
            out.update(t.lstrip("@") for t in pattern.split("|") if t and not re.search(r"[()\[\]?*+.\\]", t))
    return tuple(sorted(t for t in out if len(t) >= 2))


_SPELLINGS = _spellings()


def topical_grams(text: str) -> set[str]:
    """The grams of the lexicon terms found in ``text``: what the complaint is about (가스냄새),
    as opposed to how it is said (심하게)."""
    s = compact(text)
    return {g for t in _SPELLINGS if t in s for g in grams(t)}


def best_sections(manual: Any, text: str, n: int = 3) -> list[dict[str, Any]]:
    """The ``n`` lines of the manual that share the most (rare) grams with ``text``, best first;
    lines scoring under ``MIN_SCORE`` are left out (so the list may be empty)."""
    sections = sections_of(manual)
    query = grams(text)
    if not sections or not query or n <= 0:
        return []
    topical = topical_grams(text)
    bags = [grams(t) for _, t in sections]
    df: dict[str, int] = {}
    for bag in bags:
        for g in bag:
            df[g] = df.get(g, 0) + 1
    total = len(sections)

    def weight(g: str) -> float:
        return (math.log(1 + total / df.get(g, 1)) * (1.5 if len(g) == 3 else 1.0)
                * (TOPICAL_BOOST if g in topical else 1.0))

    q_norm = math.sqrt(sum(weight(g) ** 2 for g in query))
    scored = []
    for i, ((kind, line), bag) in enumerate(zip(sections, bags, strict=True)):
        shared = query & bag
        if not shared:
            continue
        s_norm = math.sqrt(sum(weight(g) ** 2 for g in bag))
        score = sum(weight(g) ** 2 for g in shared) / (q_norm * s_norm)
        scored.append((-score, i, {"section": kind, "text": line, "score": round(score, 4)}))
    scored.sort(key=lambda x: (x[0], x[1]))
    return [item for _, _, item in scored[:n] if item["score"] >= MIN_SCORE]


# -- SMS-safe text -----------------------------------------------------------------------------
_REPLACE = str.maketrans({"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " "})


def euckr_len(s: str) -> int:
    return len(s.encode("euc-kr", errors="replace"))


def sms_safe(s: str) -> str:
    """Drop what EUC-KR cannot carry (emoji make a Korean SMS send fail); dashes and quotes become ASCII."""
    s = s.translate(_REPLACE)
    out = []
    for ch in s:
        try:
            ch.encode("euc-kr")
        except UnicodeEncodeError:
            continue
        out.append(ch)
    return "".join(out)


def fit(s: str, limit: int) -> str:
    """``s`` cut to at most ``limit`` EUC-KR bytes, ending in "…" when cut."""
    if euckr_len(s) <= limit:
        return s
    while s and euckr_len(s) + 2 > limit:
        s = s[:-1]
    return s.rstrip() + "…" if limit >= 2 else ""


def _one_line(s: str) -> str:
    return " ".join(sms_safe(s).split())


def area(place: str) -> str:
    """The place without its lot, house or unit numbers (``고촌읍 신곡리 123-4`` → ``고촌읍 신곡리``):
    enough for the citizen's reply and for an outside LLM."""
    return _one_line(re.sub(r"\s*\*{3}(?:동|호)?", "", scrub_personal(place or "")))


# -- templates ---------------------------------------------------------------------------------
_TOKENS = re.compile(r"\s*\[(?:전화번호|이메일|주민번호)\]")
_WORKER_ACTION = {"urgent": "즉시출동 바람", "normal": "금일 확인 바람", "low": "업무시간 처리"}
_NO_PLACE = "위치 확인 필요"


def _check(type_: str, urgency: str) -> None:
    if type_ not in COMPLAINT_TYPES:
        raise ValueError(f"unknown complaint type {type_!r}")
    if urgency not in URGENCY_LABELS:
        raise ValueError(f"unknown urgency {urgency!r}")


def draft_worker_sms(type_: str, urgency: str, place: str, summary: str) -> str:
    """``[긴급]상수도 누수·단수 <place> <summary> 즉시출동 바람``: one SMS when the place fits,
    the summary cut first; the place is never cut below what a worker needs (then it is an LMS)."""
    _check(type_, urgency)
    head = f"[{URGENCY_LABELS[urgency]}]{COMPLAINT_TYPES[type_]}"
    action = _WORKER_ACTION[urgency]
    where = _one_line(place) or _NO_PLACE
    what = _one_line(_TOKENS.sub("", scrub_personal(summary)))  # a worker needs no "[전화번호]"
    fixed = euckr_len(f"{head} {where} {action}")
    room = SMS_BYTES - fixed - 1  # one space before the summary
    if room >= 8:
        return f"{head} {where} {fit(what, room)} {action}" if what else f"{head} {where} {action}"
    # the place alone fills the SMS: an LMS with the whole place and a short summary
    msg = f"{head} {fit(where, 1000)} {fit(what, 200)} {action}" if what else f"{head} {fit(where, 1000)} {action}"
    return fit(msg, LMS_BYTES)


def draft_citizen_reply(type_: str, urgency: str, place: str, manual: Any = None) -> str:
    """A polite reply: received, who handles it and when; for urgent complaints, how to stay safe."""
    _check(type_, urgency)
    label = COMPLAINT_TYPES[type_]
    department = field(manual, "department", TYPES[type_].department)
    team = field(manual, "after_hours_team", "") or "야간 당직 근무자"
    where = area(place)
    lines = ["안녕하세요. 야간 당직실입니다.",
             f"신고하신 {where}의 {label} 민원이 접수되었습니다." if where else f"신고하신 {label} 민원이 접수되었습니다."]
    if urgency == "urgent":
        lines.append(f"긴급 민원으로 담당 부서({department})의 {team}에 즉시 현장 출동을 요청했습니다.")
    elif urgency == "normal":
        lines.append(f"담당 부서({department}) 당직자에게 전달했으며, 오늘 중으로 확인하고 조치하겠습니다.")
    else:
        lines.append(f"담당 부서({department})에 전달했으며, 업무 시간에 확인한 뒤 처리 결과를 안내해 드리겠습니다.")
    tips = [_one_line(t) for t in field(manual, "tell_citizen", [])][: 2 if urgency != "low" else 1]
    closing = ["안전을 위해 현장에 접근하지 마시고, 위험한 상황이 생기면 즉시 112(경찰) 또는 119(소방)에 "
               "신고해 주세요."] if urgency == "urgent" else []
    closing.append("감사합니다.")
    while tips and euckr_len("\n".join(lines + tips + closing)) > LMS_BYTES:
        tips.pop()
    return fit(sms_safe("\n".join(lines + tips + closing)), LMS_BYTES)


# -- scrubbing personal data -------------------------------------------------------------------
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_RRN = re.compile(r"(?<!\d)\d{6}\s*[-–]?\s*[1-8](?:\d{6}|\*{6})(?!\d)")  # 900101-1234567, masked too
_SEP = r"(?:\s*[-.–]\s*|\s+|)"
_PHONE = re.compile(
    r"(?:(?:\+|00)\s*82[\s.\-]*(?:\(\s*0\s*\)\s*)?0?"  # +82 10, +82-2, 0082, +82 (0)10
    r"|(?<![\d+])\(?0)"                                  # 010, 02, 031, (02)
    r"\d{1,3}(?:\s*\)\s*|\s*[-.–]\s*|\s+|)"              # the rest of the prefix, then ")" or a separator
    r"\d{3,4}" + _SEP + r"\d{4}(?!\d)"
)
_UNIT = re.compile(r"(?<!\d)\d{1,4}\s*동\s*\d{1,5}\s*호")  # 101동 1203호
# A number after a dong/ri/ga or road name is a lot or building number, unless a unit or a
# road-name suffix follows it (2차로, 3시, 10개, 795번길).
_NOT_A_LOT = (r"(?![\d\-A-Za-z%℃°]|\s*-\s*\d|차|시|분|초|개|곳|군데|명|층|대|년|월|일|주|배|도|톤|원|살|세|마리"
              r"|미터|센티|킬로|호선|단지|블[록럭]|단계|번째|번\s*(?:출구|버스|국도|도로|째)|번길|번안길|길|로|가)")
_LOT = re.compile(
    r"(?P<head>[가-힣][가-힣A-Za-z0-9]{0,24}(?:동|리|가|로|길))(?P<sep>\s*)"  # 신곡리, 사우동, 김포한강4로, 795번길
    r"(?:산\s*)?(?:\d{1,5}\s*-\s*\d{1,5}(?![\d\-])|\d{1,5}" + _NOT_A_LOT + r")"  # 123-4, 산 12, 45
    r"(?:\s*번지)?"
)


def scrub_personal(text: str) -> str:
    """``text`` with phone numbers, resident registration numbers, e-mail addresses and lot/house
    numbers replaced: ``신곡리 123-4`` → ``신곡리 ***``. Agency numbers (112, 1544-4500) are kept."""
    if not text:
        return text
    text = _EMAIL.sub("[이메일]", text)
    text = _RRN.sub("[주민번호]", text)
    text = _PHONE.sub("[전화번호]", text)
    text = _UNIT.sub("***동 ***호", text)
    return _LOT.sub(lambda m: f"{m['head']}{m['sep'] or ' '}***", text)
