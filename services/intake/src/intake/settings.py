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
