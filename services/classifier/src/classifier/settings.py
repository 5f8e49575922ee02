from pydantic_settings import SettingsConfigDict

from sunmoon.settings import ServiceSettings


class ClassifierSettings(ServiceSettings):
    """The classifier's settings; every field can be set as ``CLASSIFIER_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="CLASSIFIER_", extra="ignore")

    service_name: str = "classifier"
    http_port: int = 8001
