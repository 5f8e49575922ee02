"""Drafts from an OpenAI-compatible LLM (OpenAI, Ollama, vLLM ...), with the templates as the floor.

``chat`` POSTs ``{url}/chat/completions`` and returns ``choices[0].message.content``. Every
message is passed through ``guidance.scrub_personal`` first, here, so no caller can send a
phone number or an exact address out by mistake. The whole call (connect, send, read) has one
hard deadline (``CLASSIFIER_LLM_TIMEOUT_SECONDS``, 5 s): at 3 a.m. a template now beats a
better sentence later. Any failure raises ``LLMUnavailable`` with a reason.

``drafts`` asks for both drafts as JSON and falls back to the templates on any failure; the
reason is logged and returned (``fallback_reason``), the texts never are. The LLM sees the
place without its lot number and writes ``{장소}`` where it goes; the exact place is put into
the worker's SMS here, after the answer came back.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from sunmoon.events.classifier import COMPLAINT_TYPES, URGENCY_LABELS
from sunmoon.logging import get_logger

from .guidance import (
    LMS_BYTES,
    Facts,
    agencies_of,
    area,
    best_sections,
    draft_citizen_reply,
    draft_worker_sms,
    euckr_len,
    field,
    scrub_personal,
    sms_safe,
)
from .taxonomy import TYPES

log = get_logger(__name__)

MAX_CONTENT_CHARS = 2000
PLACE_TOKEN = "{장소}"


class LLMSettings(BaseSettings):
    """``CLASSIFIER_LLM_URL`` empty (the default) means no LLM: the templates are used."""

    model_config = SettingsConfigDict(env_prefix="CLASSIFIER_LLM_", extra="ignore")

    url: str = Field("", description="Base URL, e.g. https://api.openai.com/v1 or http://localhost:11434/v1")
    model: str = "gpt-4o-mini"
    api_key: SecretStr = SecretStr("")
    timeout_seconds: float = Field(5.0, gt=0, le=60, description="Hard deadline for the whole call")
    max_tokens: int = Field(400, ge=16, le=4096)

    @property
    def enabled(self) -> bool:
        return bool(self.url.strip())


class LLMUnavailable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Drafts:
    worker_sms: str
    citizen_reply: str
    source: Literal["llm", "template"]
    fallback_reason: str | None = None


def _endpoint(url: str) -> str:
    url = url.strip().rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


async def chat(settings: LLMSettings, system: str, user: str, *, client: httpx.AsyncClient | None = None) -> str:
    """The assistant's answer to one system + user message (both scrubbed before they leave)."""
    if not settings.enabled:
        raise LLMUnavailable("LLM disabled (CLASSIFIER_LLM_URL is not set)")
    body = {
        "model": settings.model,
        "messages": [{"role": "system", "content": scrub_personal(system)},
                     {"role": "user", "content": scrub_personal(user)}],
        "temperature": 0.2,
        "max_tokens": settings.max_tokens,
    }
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if key := settings.api_key.get_secret_value():
        headers["Authorization"] = f"Bearer {key}"
    timeout = settings.timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            if client is not None:
                resp = await client.post(_endpoint(settings.url), json=body, headers=headers, timeout=timeout)
            else:
                async with httpx.AsyncClient(timeout=timeout) as own:
                    resp = await own.post(_endpoint(settings.url), json=body, headers=headers)
    except (TimeoutError, httpx.TimeoutException):
        raise LLMUnavailable(f"timeout: no answer within {timeout:g} s") from None
    except httpx.HTTPError as e:
        raise LLMUnavailable(f"connection failed: {type(e).__name__}: {str(e)[:120]}") from None
    if not 200 <= resp.status_code < 300:
        raise LLMUnavailable(f"HTTP {resp.status_code} from the LLM")
    try:
        content = resp.json()["choices"][0]["message"]["content"]
    except ValueError:
        raise LLMUnavailable("malformed JSON in the LLM response") from None
    except (KeyError, IndexError, TypeError):
        raise LLMUnavailable("unexpected response shape (no choices[0].message.content)") from None
    if not isinstance(content, str) or not content.strip():
        raise LLMUnavailable("empty content in the LLM response")
    if len(content) > MAX_CONTENT_CHARS:
        raise LLMUnavailable(f"content over {MAX_CONTENT_CHARS} characters ({len(content)})")
    return content.strip()


# -- the drafts ---------------------------------------------------------------------------------
SYSTEM_PROMPT = f"""당신은 한국 지방자치단체 야간 당직실의 문안 작성을 돕습니다.
주어진 사실과 매뉴얼만 사용하고, 없는 사실이나 전화번호를 지어내지 마세요.
반드시 JSON 객체 하나만 답하세요: {{"worker_sms": "...", "citizen_reply": "..."}}
- worker_sms: 현장 근무자에게 보낼 문자. 한글 45자(90바이트) 이내. [긴급도]유형, 장소, 요점, 조치를 담으세요.
- citizen_reply: 민원인에게 보낼 존댓말 안내. "접수되었습니다"를 넣고, 담당 부서와 야간 출동 여부를 안내하세요.
  긴급이면 현장에 접근하지 말고 위험하면 112 또는 119에 신고하라고 안내하세요. 300자 이내.
- 장소는 두 문안 모두 {PLACE_TOKEN}라고만 쓰세요. 이모지는 쓰지 마세요."""


def _prompt(facts: Facts, manual: Any) -> str:
    info = TYPES[facts.type]
    sections = best_sections(manual, facts.text, n=3) if manual is not None else []
    payload = {
        "유형": COMPLAINT_TYPES[facts.type],
        "긴급도": URGENCY_LABELS[facts.urgency],
        "담당 부서": field(manual, "department", info.department),
        "야간 대응팀": field(manual, "after_hours_team", "") or "야간 당직 근무자",
        "장소(대략)": area(facts.place) or "확인 필요",
        "민원 내용": facts.text[:1000],
        "민원인에게 안내할 내용": list(field(manual, "tell_citizen", []))[:3],
        "관련 매뉴얼": [s["text"] for s in sections],
    }
    return json.dumps(payload, ensure_ascii=False, indent=1)


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)
_LONG_NUMBER = re.compile(r"(?<![\d-])(?:0\d{1,3}[-.\s]?\d{3,4}[-.\s]?\d{4}|1[5-9]\d{2}-?\d{4})(?![\d-])")


def parse_drafts(content: str) -> tuple[str, str]:
    """``worker_sms`` and ``citizen_reply`` from an answer that should be JSON (code fences and
    prose around the object are tolerated)."""
    candidates = [m.group(1) for m in _FENCE.finditer(content)] + [content]
    decoder = json.JSONDecoder()
    for text in candidates:
        for start in [i for i, ch in enumerate(text) if ch == "{"][:20]:
            try:
                obj, _ = decoder.raw_decode(text, start)
            except ValueError:
                continue
            if isinstance(obj, dict) and "worker_sms" in obj and "citizen_reply" in obj:
                worker, citizen = obj["worker_sms"], obj["citizen_reply"]
                if not (isinstance(worker, str) and worker.strip() and isinstance(citizen, str) and citizen.strip()):
                    raise LLMUnavailable("worker_sms or citizen_reply empty or not a string")
                return worker.strip(), citizen.strip()
    raise LLMUnavailable("no JSON object with worker_sms and citizen_reply in the answer")


def _finish(worker: str, citizen: str, facts: Facts, manual: Any) -> tuple[str, str]:
    """Put the places in, drop what an SMS cannot carry, refuse invented numbers and oversize texts."""
    allowed = {a["phone"].replace("-", "") for a in agencies_of(manual) if a["phone"]}
    for text in (worker, citizen):
        for number in _LONG_NUMBER.findall(text):
            if re.sub(r"\D", "", number) not in allowed:
                raise LLMUnavailable("the answer holds a phone number that is not in the manual")
    place, rough = " ".join(facts.place.split()), area(facts.place)
    if place:
        worker = worker.replace(PLACE_TOKEN, place)
        if place not in worker:
            worker = f"{worker} ({place})"
    worker = sms_safe(worker.replace(PLACE_TOKEN, "위치 확인 필요")).strip()
    citizen = sms_safe(citizen.replace(PLACE_TOKEN, rough or "신고하신 장소")).strip()
    for name, text in (("worker_sms", worker), ("citizen_reply", citizen)):
        if euckr_len(text) > LMS_BYTES:
            raise LLMUnavailable(f"{name} over {LMS_BYTES} bytes")
    return worker, citizen


def template_drafts(facts: Facts, manual: Any, reason: str | None) -> Drafts:
    return Drafts(
        worker_sms=draft_worker_sms(facts.type, facts.urgency, facts.place, facts.text),
        citizen_reply=draft_citizen_reply(facts.type, facts.urgency, facts.place, manual),
        source="template", fallback_reason=reason,
    )


async def drafts(facts: Facts, manual: Any, llm_settings: LLMSettings, *,
                 client: httpx.AsyncClient | None = None) -> Drafts:
    """The worker's SMS and the citizen's reply: from the LLM when it answers well in time,
    else from the templates (``source="template"`` with ``fallback_reason``)."""
    if not llm_settings.enabled:
        return template_drafts(facts, manual, "LLM disabled (CLASSIFIER_LLM_URL is not set)")
    try:
        content = await chat(llm_settings, SYSTEM_PROMPT, _prompt(facts, manual), client=client)
        worker, citizen = _finish(*parse_drafts(content), facts, manual)
    except LLMUnavailable as e:
        reason = e.reason
    except Exception as e:  # noqa: BLE001 - a draft must never fail the request; the text stays out of the log
        reason = f"unexpected error: {type(e).__name__}"
    else:
        return Drafts(worker, citizen, "llm", None)
    log.warning("llm drafts unavailable, using the templates", reason=reason, type=facts.type,
                urgency=facts.urgency, model=llm_settings.model)
    return template_drafts(facts, manual, reason)
