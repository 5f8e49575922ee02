"""structlog setup shared by every service: JSON lines, with personal data kept out.

Two guards, both in the processor chain:

* :class:`~sunmoon.crypto.Revealed` values (what decryption returns) render as
  ``[redacted]`` wherever they appear;
* keys that name personal data (``phone``, ``name``, ``complainant_*`` ...) are
  replaced, and anything shaped like a Korean phone number inside any string
  (the event, an exception text) is masked to ``010-****-5678``.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

from .crypto import Revealed, mask_phone

PII_KEYS = frozenset({
    "phone", "name", "complainant_name", "complainant_phone", "first_name", "last_name",
    "email", "address_detail", "plaintext", "recipient_phone",
})
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?82[- ]?)?0?1[016789][- .]?\d{3,4}[- .]?\d{4}(?!\d)")


def mask_phones_in(text: str) -> str:
    return _PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


def _scrub(value: Any) -> Any:
    if isinstance(value, Revealed):
        return "[redacted]"
    if isinstance(value, str):
        return mask_phones_in(value)
    if isinstance(value, dict):
        return {k: ("[redacted]" if k in PII_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def redact_personal_data(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: ("[redacted]" if k in PII_KEYS else _scrub(v)) for k, v in event_dict.items()}


def configure_logging(service: str, level: str = "INFO", *, json: bool = True) -> None:
    """Configure structlog (and the stdlib root logger, for uvicorn and libraries)."""
    lvl = getattr(logging, level.upper(), logging.INFO)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_personal_data,  # after exc_info is rendered, so tracebacks are scrubbed too
    ]
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=lambda *_: structlog.PrintLogger(file=sys.stderr),  # stderr as it is now
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(lvl)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
