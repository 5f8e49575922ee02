from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from sunmoon.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Intake's settings; every field can be set as ``INTAKE_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    service_name: str = "intake"
    http_port: int = 8000
    max_body_bytes: int = 64 * 1024
    # Foundation policy: every classified complaint is dispatched at once.
    # The officer's desk (hold / re-dispatch) changes this per complaint.
    auto_dispatch: bool = True

    # --- the duty officer's desk (src/intake/web/) ---
    # The classifier's HTTP API, for the read-only live preview while the officer types (the one synchronous
    # call between services; everything else travels as events). Unreachable or slow: the desk shows "unknown".
    classifier_url: str = "http://127.0.0.1:8001"
    classifier_timeout_seconds: float = 1.5
    # The notifier's HTTP API: the administration screens (/desk/admin) read and edit the roster through it
    # (the classifier's for manuals and complaint types). The owning service validates and stores every edit.
    notifier_url: str = "http://127.0.0.1:8002"
    # The desk's own bearer token (role ``service``) for those calls to the classifier, notifier and weather
    # (``python -m sunmoon.auth issue --name desk --role service``; ``make up`` makes one).
    service_token: SecretStr = SecretStr("")
    # Base map tiles, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; empty = no tiles (the gazetteer's points).
    map_tile_url: str = ""
    map_tile_attribution: str = ""
    # The weather service's HTTP API, for the map's warnings-in-force layer (a read-only call with a short
    # deadline, like the classifier preview; unreachable: the map says "기상특보 정보를 가져올 수 없음").
    weather_url: str = "http://127.0.0.1:8003"
    weather_timeout_seconds: float = 1.5
    # A real geocoder for full addresses (VWorld or Kakao Local), used only when a key is set; empty: only the
    # offline gazetteer. URL empty = the provider's public address.
    geocoder: Literal["", "vworld", "kakao"] = ""
    geocoder_key: SecretStr = SecretStr("")
    geocoder_url: str = ""
    geocoder_timeout_seconds: float = 2.0
    # Where the desk's "분석" link goes: reporting's analytics dashboard (charts, hotspots, response times).
    dashboard_url: str = "http://127.0.0.1:8004/dashboard"
    # Sessions: idle expiry and an absolute limit (one night shift); cookies carry the Secure flag unless false
    # (only for plain-HTTP development on a non-localhost address).
    session_idle_minutes: int = 60
    session_max_hours: int = 14
    cookie_secure: bool = True
    # Sign-in throttle: after this many failures for one name (or 4x as many from one address) in the window,
    # further attempts are refused until the window passes.
    login_max_failures: int = 5
    login_window_minutes: int = 15
    # Lock: this many failures in a row (since the last success or password change) lock the account until an
    # administrator sets a new password (desk 사용자 관리, or `python -m intake create-user --update`). 0: never.
    login_lock_failures: int = 10
    # A complaint is overdue when not yet acknowledged this many minutes after it came in (by urgency; before
    # classification the "unclassified" limit applies).
    overdue_minutes_urgent: int = 15
    overdue_minutes_normal: int = 60
    overdue_minutes_low: int = 180
    overdue_minutes_unclassified: int = 10
    # --- retention (src/intake/retention.py; docs/security.md "Access records and retention") ---
    # Complainants' personal data is purged this many days after the complaint was resolved (or, never
    # resolved, received). 365 is this project's default, not the law's number: PIPA (Art. 21) asks for
    # deletion once the purpose is served; each city sets its own period from its records schedule.
    pii_retention_days: int = Field(365, ge=1)
    # Access records (접속기록) are kept at least two years (the safety-measure standard's period for a system
    # holding data of 50,000 or more people, as a city's complaint desk does); less is refused at start.
    access_record_retention_days: int = 730

    @field_validator("access_record_retention_days")
    @classmethod
    def _two_years_at_least(cls, v: int) -> int:
        if v < 730:
            raise ValueError(f"INTAKE_ACCESS_RECORD_RETENTION_DAYS must be at least 730 (access records are kept "
                             f"at least 2 years / 접속기록은 최소 2년 보관); got {v}")
        return v
