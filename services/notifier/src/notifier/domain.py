"""The notifier's pure rules: who is texted, what the text says, how it is counted. No I/O here.

SMS length is counted in EUC-KR bytes, as Korean gateways do: up to 90 bytes is an
SMS, longer is an LMS (at most 2,000 bytes). Characters EUC-KR cannot encode (emoji,
Hangul syllables outside KS X 1001's 2,350) make a send fail, so each run of them is
replaced by one "?" before anything is counted or sent; control characters (tabs, line
breaks, zero-width marks) become a space, since gateways refuse non-printable text.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sunmoon.crypto import mask_phone
from sunmoon.events.classifier import COMPLAINT_TYPES, URGENCY_LABELS

SMS_MAX_BYTES = 90
LMS_MAX_BYTES = 2000
SUBJECT_MAX_BYTES = 40  # LMS subject (Solapi: 한글 20자; SENS keeps it short too)
_JOINERS = frozenset("\u200d\ufe0e\ufe0f") | frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))  # ZWJ, VS, skin tones
HEADER = "[당직]"
SEPARATOR = " / "
UNKNOWN_PLACE = "위치 미상"
ELLIPSIS = "…"
CITY_PREFIX_RE = re.compile(r"^\s*(?:경기도|경기)?\s*김포시(?:\s+|$)")
ROLE_ORDER = ("primary", "backup", "supervisor")

TOKEN_BYTES = 16
TOKEN_LENGTH = 22  # len(secrets.token_urlsafe(16))
TOKEN_RE = re.compile(rf"^[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}$")
MASKED_TOKEN = "*" * TOKEN_LENGTH
_LINK_TOKEN_RE = re.compile(rf"/ack/[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")

MessageKind = Literal["SMS", "LMS"]


# -- text ------------------------------------------------------------------------------
def euc_kr_safe(text: str) -> str:
    """The text as a Korean gateway accepts it: EUC-KR only, printable only.

    A run of characters EUC-KR cannot encode (an emoji with its variation selector or
    zero-width joiners counts as one run) becomes a single '?'; control and format
    characters become a space.
    """
    out: list[str] = []
    unencodable = False
    for ch in text:
        if ch in _JOINERS:
            continue  # emoji glue (joiner, variation selector, skin tone): never sent on its own
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(" ")
            unencodable = False
            continue
        if not _euc_kr_char(ch):
            if not unencodable:
                out.append("?")
            unencodable = True
            continue
        out.append(ch)
        unencodable = False
    return "".join(out)


def _euc_kr_char(ch: str) -> bool:
    """One character of KS X 1001 (or ASCII). Python's codec would also write the 8,822 Hangul
    syllables outside KS X 1001 as 8-byte jamo make-up sequences; gateways take neither."""
    try:
        return len(ch.encode("euc-kr")) <= 2
    except UnicodeEncodeError:
        return False


def euc_kr_bytes(text: str) -> int:
    return len(euc_kr_safe(text).encode("euc-kr"))


def sendable(text: str) -> bool:
    """True when ``text`` can go to a gateway as it is (EUC-KR, printable, at most 2,000 bytes)."""
    try:
        size = len(text.encode("euc-kr"))
    except UnicodeEncodeError:
        return False
    return size <= LMS_MAX_BYTES and euc_kr_safe(text) == text


def sms_subject(text: str) -> str:
    """The LMS subject: the text's first part (``[당직] 긴급 하수·배수·침수``), at most 40 bytes."""
    first = euc_kr_safe(text).split(SEPARATOR, 1)[0].strip()
    return cut_to_bytes(first, SUBJECT_MAX_BYTES) or HEADER


def kind_for(size_bytes: int) -> MessageKind:
    return "SMS" if size_bytes <= SMS_MAX_BYTES else "LMS"


def place_of(address: str | None, district: str | None) -> str:
    """Address without the city prefix; else the district; else '위치 미상'."""
    if address and address.strip():
        place = CITY_PREFIX_RE.sub("", " ".join(address.split()))
        if place:
            return place
    if district and district.strip():
        return " ".join(district.split())
    return UNKNOWN_PLACE


def mask_callback(value: str | None) -> str | None:
    """The caller's number as a worker may see it (010-****-5678); None when there is none.

    Intake sends it masked already; a full number arriving by mistake is masked here.
    """
    if not value or not value.strip():
        return None
    v = " ".join(value.split())
    if sum(c.isdigit() for c in v) > 7:
        v = mask_phone(v)
    return v[:20]


@dataclass(frozen=True)
class SmsFacts:
    type: str
    urgency: str
    address: str | None = None
    district: str | None = None
    callback_masked: str | None = None
    linked: int = 0  # complaints linked to this one as duplicates before the dispatch


@dataclass(frozen=True)
class ComposedSms:
    text: str
    kind: MessageKind
    size_bytes: int


def type_label(type_: str) -> str:
    return COMPLAINT_TYPES.get(type_, COMPLAINT_TYPES["other"])


def urgency_label(urgency: str) -> str:
    return URGENCY_LABELS.get(urgency, urgency)


def linked_note(count: int) -> str | None:
    """``동일 민원 2건 추가``: how many more calls were about the same problem (None for none)."""
    return f"동일 민원 {count}건 추가" if count > 0 else None


def compose_sms(facts: SmsFacts, link: str) -> ComposedSms:
    """``[당직] 긴급 하수·배수·침수 / 사우동 123-4 / 동일 민원 2건 추가 / 신고 010-****-5678 / 확인: <link>``.

    The count of linked duplicates is never cut (only the place is, past 2,000 bytes); it makes the
    text an LMS when it no longer fits 90 bytes, like any other part.
    """
    head = euc_kr_safe(f"{HEADER} {urgency_label(facts.urgency)} {type_label(facts.type)}")
    place = euc_kr_safe(place_of(facts.address, facts.district))
    tail = []
    if note := linked_note(facts.linked):
        tail.append(note)
    callback = mask_callback(facts.callback_masked)
    if callback:
        tail.append(euc_kr_safe(f"신고 {callback}"))
    tail.append(euc_kr_safe(f"확인: {link}"))

    def assemble(p: str) -> str:
        return SEPARATOR.join([head, p, *tail])

    text = assemble(place)
    size = euc_kr_bytes(text)
    if size > LMS_MAX_BYTES:  # cut the place, never the link
        budget = LMS_MAX_BYTES - euc_kr_bytes(assemble("")) - euc_kr_bytes(ELLIPSIS)
        text = assemble(cut_to_bytes(place, max(budget, 0)) + ELLIPSIS)
        size = euc_kr_bytes(text)
    return ComposedSms(text=text, kind=kind_for(size), size_bytes=size)


FOLLOW_UP_NOTE = "동일 위치 민원 {count}건 추가"


def compose_follow_up(place: str, count: int, link: str) -> ComposedSms:
    """The notice for a complaint linked AFTER the dispatch, to the worker holding the job:
    ``[당직] 동일 위치 민원 1건 추가 / 사우동 123-4 / 확인: <link>``.

    Never a second dispatch text: no type, urgency or caller; only that one more call came for the
    job already texted, and where (so the worker knows which job). With a link of a real public
    address it is usually an LMS (the head and the link alone take about 90 bytes); past 2,000 bytes
    the place is cut, never the link.
    """
    head = euc_kr_safe(f"{HEADER} {FOLLOW_UP_NOTE.format(count=max(count, 1))}")
    tail = euc_kr_safe(f"확인: {link}")
    place = euc_kr_safe(" ".join((place or UNKNOWN_PLACE).split()))
    text = SEPARATOR.join([head, place, tail])
    if euc_kr_bytes(text) > LMS_MAX_BYTES:
        budget = LMS_MAX_BYTES - euc_kr_bytes(SEPARATOR.join([head, "", tail])) - euc_kr_bytes(ELLIPSIS)
        text = SEPARATOR.join([head, cut_to_bytes(place, max(budget, 0)) + ELLIPSIS, tail])
    size = euc_kr_bytes(text)
    return ComposedSms(text=text, kind=kind_for(size), size_bytes=size)


def follow_up_key(linked_complaint_id: object, worker_id: str) -> str:
    """One notice per linked complaint and worker, ever."""
    return f"{linked_complaint_id}:{worker_id}:linked"


def cut_to_bytes(text: str, limit: int) -> str:
    """The longest prefix of ``text`` that fits in ``limit`` EUC-KR bytes."""
    out, used = [], 0
    for ch in text:
        n = len(ch.encode("euc-kr"))
        if used + n > limit:
            break
        out.append(ch)
        used += n
    return "".join(out)


# -- acknowledgement tokens ------------------------------------------------------------------
def new_ack_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> bytes:
    """What is stored: the SHA-256 of the token, never the token."""
    return hashlib.sha256(token.encode()).digest()


def valid_token(token: str) -> bool:
    return bool(TOKEN_RE.match(token))


def ack_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/ack/{token}"


def with_token(text: str, token: str) -> str:
    """Put the real token into a text composed with :data:`MASKED_TOKEN` (same length)."""
    marker = f"/ack/{MASKED_TOKEN}"
    head, found, rest = text.rpartition(marker)
    if not found:
        raise ValueError("the text has no acknowledgement link to fill in")
    return f"{head}/ack/{token}{rest}"


def hide_token(text: str) -> str:
    """The text with any acknowledgement token masked (for logs and staff views)."""
    return _LINK_TOKEN_RE.sub(f"/ack/{MASKED_TOKEN}", text)


def idempotency_key(complaint_id: object, worker_id: str, stage: str = "primary") -> str:
    """One SMS per complaint, recipient and stage (the first call is 'primary')."""
    return f"{complaint_id}:{worker_id}:{stage}"


def retry_delay(attempts: int, base: float = 5.0, cap: float = 600.0) -> float:
    """Seconds before the next try after ``attempts`` failed sends: 5, 10, 20 ... at most 10 min."""
    return float(min(base * 2 ** min(max(attempts - 1, 0), 30), cap))


# -- roster ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Team:
    id: str
    name: str
    types: tuple[str, ...]
    districts: tuple[str, ...] | None = None  # None: the whole city
    fallback: bool = False  # the duty supervisor team: takes what nobody else covers

    def covers(self, type_: str, district: str | None) -> bool:
        type_ok = self.fallback or type_ in self.types
        area_ok = self.districts is None or (district is not None and district in self.districts)
        return type_ok and area_ok


@dataclass(frozen=True)
class Worker:
    id: str
    team_id: str
    role: Literal["primary", "backup", "supervisor"]
    active: bool = True


@dataclass(frozen=True)
class Selection:
    team: Team
    worker: Worker
    fallback: bool


def select_recipient(teams: Iterable[Team], workers: Iterable[Worker], type_: str,
                     district: str | None) -> Selection | None:
    """The on-call worker for a complaint of ``type_`` in ``district``.

    Teams that cover the type come first, a team with an area that includes the
    district before a city-wide one, a narrower team before a broader one. In a team
    the active primary is texted, else the backup, else the supervisor. When no team
    for the type has anybody active, the duty supervisor ("당직 총괄") team is used.
    """
    teams = list(teams)
    on_duty: dict[str, list[Worker]] = {}
    for w in sorted(workers, key=lambda w: (_role_rank(w.role), w.id)):
        if w.active:
            on_duty.setdefault(w.team_id, []).append(w)

    def rank(t: Team) -> tuple[int, int, str]:
        return (0 if t.districts is not None else 1, len(t.types), t.id)

    for fallback in (False, True):
        candidates = sorted((t for t in teams if t.fallback == fallback and t.covers(type_, district)), key=rank)
        for team in candidates:
            if on_duty.get(team.id):
                return Selection(team=team, worker=on_duty[team.id][0], fallback=fallback)
    return None


def _role_rank(role: str) -> int:
    return ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER)


AckState = Literal["open", "acknowledged", "expired"]


def ack_state(acknowledged_at: object, expires_at: object, now: object) -> AckState:
    """Whether a sent notification's link can still be used."""
    if acknowledged_at is not None:
        return "acknowledged"
    if expires_at is None or expires_at <= now:  # type: ignore[operator]
        return "expired"
    return "open"
