from pydantic_settings import SettingsConfigDict

from sunmoon.settings import ServiceSettings


class ClassifierSettings(ServiceSettings):
    """The classifier's settings; every field can be set as ``CLASSIFIER_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="CLASSIFIER_", extra="ignore")

    service_name: str = "classifier"
    http_port: int = 8001
    # How often the service checks which model version is active (after `retrain` or `activate`).
    model_refresh_seconds: float = 5.0
