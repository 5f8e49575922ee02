"""The notifier's settings; every field can be set as ``NOTIFIER_<FIELD>`` in the environment."""

from __future__ import annotations

import re

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from sunmoon.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore")

    service_name: str = "notifier"
    http_port: int = 8002
    # Base of the acknowledgement links put in every SMS: {public_url}/ack/{token}.
    public_url: str = "http://127.0.0.1:8002"
    # A complaint linked to one already texted: also send the worker a short notice ("동일 위치 민원 1건 추가").
    # Off by default: the job is the same, and the worker is texted once per job; the desk shows the link.
    linked_follow_up: bool = False
    # Which SMS gateway sends the texts (see notifier.providers.PROVIDERS).
    sms_provider: str = "console"
    # The city's registered caller number (Korean gateways reject unregistered senders).
    sender_number: str = "0319800000"
    ack_ttl_hours: float = 24.0
    sender_poll_interval: float = 2.0
    sender_max_attempts: int = 8
    # Texts in flight at once per notifier process (each attempt is still claimed, locked and marked on its
    # own: two never take the same notification). One at a time kept a typhoon night's queue waiting on
    # round trips: see docs/benchmarks.md.
    sender_concurrency: int = 4
    # Escalation (escalation.py): minutes without an acknowledgement before the backup, then the
    # supervisor is texted, then the duty officer told; by urgency, fractions allowed.
    escalate_urgent_minutes: float = 5.0
    escalate_normal_minutes: float = 15.0
    escalate_low_minutes: float = 60.0
    escalation_poll_interval: float = 1.0

    # SMS gateways (providers/sens.py, providers/solapi.py). A failover provider takes over after
    # sms_failover_after failed attempts (or one no retry can fix); all gateways are rate limited.
    sms_failover_provider: str | None = None
    sms_failover_after: int = 2
    sms_rate_per_second: float = 10.0
    sms_http_timeout: float = 10.0
    sms_retry_base_seconds: float = 5.0
    sms_retry_max_seconds: float = 600.0
    # An attempt that may have reached the gateway (timeout, crash) is checked there after this
    # long, never resent blindly; if the gateway cannot tell for sms_in_doubt_deadline_seconds,
    # the duty officer is alerted (NotificationFailed) instead.
    sms_in_doubt_check_seconds: float = 60.0
    sms_in_doubt_deadline_seconds: float = 900.0
    sens_access_key: str = ""
    sens_secret_key: SecretStr = SecretStr("")
    sens_service_id: str = ""  # ncp:sms:kr:<project number>:<name>
    sens_base_url: str = "https://sens.apigw.ntruss.com"
    solapi_api_key: str = ""
    solapi_api_secret: SecretStr = SecretStr("")
    solapi_base_url: str = "https://api.solapi.com"
    # Delivery results (delivery.py): how often, how long after sending the gateway is asked.
    delivery_poll_interval: float = 30.0
    delivery_recheck_seconds: float = 60.0
    delivery_max_age_hours: float = 24.0

    @field_validator("sms_failover_provider")
    @classmethod
    def _failover(cls, v: str | None) -> str | None:
        from .providers import PROVIDERS

        if v and v not in PROVIDERS:
            raise ValueError(f"unknown SMS provider {v!r}; one of: {', '.join(sorted(PROVIDERS))}")
        return v or None

    @field_validator("sms_rate_per_second", "sms_http_timeout", "sms_retry_base_seconds", "sms_retry_max_seconds",
                     "sms_in_doubt_check_seconds", "sms_in_doubt_deadline_seconds", "delivery_poll_interval",
                     "delivery_recheck_seconds", "delivery_max_age_hours")
    @classmethod
    def _sms_non_negative(cls, v: float) -> float:
        if v < 0:
            raise ValueError("must not be negative")
        return v

    @model_validator(mode="after")
    def _gateway_credentials(self) -> NotifierSettings:
        chosen = {self.sms_provider, self.sms_failover_provider}
        if self.sms_failover_provider == self.sms_provider:
            raise ValueError("NOTIFIER_SMS_FAILOVER_PROVIDER must differ from NOTIFIER_SMS_PROVIDER")
        if "sens" in chosen and not (self.sens_access_key and self.sens_secret_key.get_secret_value()
                                     and self.sens_service_id):
            raise ValueError("SENS needs NOTIFIER_SENS_ACCESS_KEY, NOTIFIER_SENS_SECRET_KEY and "
                             "NOTIFIER_SENS_SERVICE_ID")
        if "solapi" in chosen and not (self.solapi_api_key and self.solapi_api_secret.get_secret_value()):
            raise ValueError("Solapi needs NOTIFIER_SOLAPI_API_KEY and NOTIFIER_SOLAPI_API_SECRET")
        if self.sms_failover_after < 1:
            raise ValueError("NOTIFIER_SMS_FAILOVER_AFTER must be at least 1")
        return self

    @field_validator("escalate_urgent_minutes", "escalate_normal_minutes", "escalate_low_minutes",
                     "escalation_poll_interval")
    @classmethod
    def _escalation_positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("must be greater than 0 (minutes; fractions such as 0.5 are allowed)")
        return v

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

    @field_validator("sender_concurrency")
    @classmethod
    def _lanes(cls, v: int) -> int:
        if not 1 <= v <= 32:
            raise ValueError("must be between 1 and 32 (texts in flight at once per process)")
        return v

    @field_validator("ack_ttl_hours", "sender_poll_interval")
    @classmethod
    def _positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("must be greater than 0")
        return v
