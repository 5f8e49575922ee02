"""The notifier's settings; every field can be set as ``NOTIFIER_<FIELD>`` in the environment."""

from __future__ import annotations

import re

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from sunmoon.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore")

    service_name: str = "notifier"
    http_port: int = 8002
    # Base of the acknowledgement links put in every SMS: {public_url}/ack/{token}.
    public_url: str = "http://127.0.0.1:8002"
    # Which SMS gateway sends the texts (see notifier.providers.PROVIDERS).
    sms_provider: str = "console"
    # The city's registered caller number (Korean gateways reject unregistered senders).
    sender_number: str = "0319800000"
    ack_ttl_hours: float = 24.0
    sender_poll_interval: float = 2.0
    sender_max_attempts: int = 8

    @field_validator("public_url")
    @classmethod
    def _url(cls, v: str) -> str:
        v = v.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", v) or len(v) > 200:
            raise ValueError("must be an http(s) URL of at most 200 characters, e.g. https://sunmoon.gimpo.go.kr")
        return v

    @field_validator("sms_provider")
    @classmethod
    def _provider(cls, v: str) -> str:
        from .providers import PROVIDERS

        if v not in PROVIDERS:
            raise ValueError(f"unknown SMS provider {v!r}; one of: {', '.join(sorted(PROVIDERS))}")
        return v

    @field_validator("sender_number")
    @classmethod
    def _sender(cls, v: str) -> str:
        digits = re.sub(r"\D", "", v)
        if not 8 <= len(digits) <= 12:
            raise ValueError("must be the registered caller number, digits only, e.g. 0319800000")
        return digits

    @field_validator("ack_ttl_hours", "sender_poll_interval")
    @classmethod
    def _positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("must be greater than 0")
        return v
