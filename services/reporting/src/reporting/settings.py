from pydantic_settings import SettingsConfigDict

from sunmoon.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    """Reporting's settings; every field can be set as ``REPORTING_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    service_name: str = "reporting"
    http_port: int = 8004
