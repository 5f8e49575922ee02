"""Weather's settings; every field can be set as ``WEATHER_<FIELD>`` in the environment."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from sunmoon.settings import ServiceSettings

REAL_KMA_BASE_URL = "https://apis.data.go.kr/1360000"
FAKE_KMA_BASE_URL = "http://127.0.0.1:8090/1360000"  # `python -m weather fake-kma` (default port)
FAKE_SCENARIO_EXTERNAL = ("", "external", "off", "none")


class WeatherSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEATHER_", extra="ignore")

    service_name: str = "weather"
    http_port: int = 8003

    # -- KMA ----------------------------------------------------------------------------------
    kma_service_key: SecretStr = Field(
        default=SecretStr(""),
        description="data.go.kr service key (Encoding or Decoding form). Empty: simulated weather from the fake.")
    kma_base_url: str | None = Field(
        default=None,
        description="default: the fake's URL without a key, https://apis.data.go.kr/1360000 with one")
    kma_timeout_s: float = Field(default=10.0, gt=0)
    kma_retries: int = Field(default=3, ge=0, le=10, description="retries of a timed-out or 5xx request")
    kma_backoff_s: float = Field(default=2.0, ge=0, description="first back-off; doubles on each retry")
    kma_page_size: int = Field(default=1000, ge=1, le=1000, description="numOfRows per page")
    kma_data_type: str = Field(default="JSON", pattern="^(JSON|XML)$")
    fake_kma_scenario: str = Field(
        default="clear_night",
        description="without a key: the in-process fake's scenario; empty/'external': use kma_base_url instead")

    # -- what to watch --------------------------------------------------------------------------
    city: str = Field(default="경기도 김포시", description="시·도 시·군·구 whose grid cells are polled")
    warning_station: int = Field(default=109, description="KMA forecast office whose telegrams cover the city")
    warning_area: str | None = Field(default=None, description="the city as warnings name it (default: 김포)")

    # -- the poller -----------------------------------------------------------------------------
    poll: bool = Field(default=True, description="run the KMA poller in this process")
    nowcast_minute: int = Field(default=10, ge=0, le=59, description="fetch each hour's now-cast from :MM KST")
    nowcast_jitter_s: float = Field(default=300, ge=0, description="spread requests over :10-:15")
    warnings_interval_s: float = Field(default=600, gt=0)
    retry_interval_s: float = Field(default=300, gt=0, description="after a failed poll, try again this much later")

    @field_validator("kma_service_key")
    @classmethod
    def _strip_key(cls, v: SecretStr) -> SecretStr:
        return SecretStr(v.get_secret_value().strip())

    @model_validator(mode="after")
    def _check_city(self) -> WeatherSettings:
        from .fakekma import SCENARIOS
        from .grid_table import default_table

        if self.simulated and self.in_process_fake and self.fake_kma_scenario not in SCENARIOS:
            raise ValueError(f"WEATHER_FAKE_KMA_SCENARIO={self.fake_kma_scenario!r} is not one of: "
                             f"{', '.join(SCENARIOS)} (or empty to use WEATHER_KMA_BASE_URL)")
        try:
            default_table().city(self.city)
        except LookupError as exc:
            raise ValueError(f"WEATHER_CITY={self.city!r}: {exc}") from None
        return self

    @property
    def simulated(self) -> bool:
        """No key: the weather comes from the fake KMA server, and everything says so."""
        return not self.kma_service_key.get_secret_value()

    @property
    def in_process_fake(self) -> bool:
        return self.simulated and self.fake_kma_scenario.strip().lower() not in FAKE_SCENARIO_EXTERNAL

    @property
    def resolved_kma_base_url(self) -> str:
        if self.kma_base_url:
            return self.kma_base_url.rstrip("/")
        return FAKE_KMA_BASE_URL if self.simulated else REAL_KMA_BASE_URL

    @property
    def source(self) -> str:
        return "fake" if self.simulated else "kma"
