from pydantic_settings import SettingsConfigDict

from sunmoon.settings import ServiceSettings


class WeatherSettings(ServiceSettings):
    """Weather's settings; every field can be set as ``WEATHER_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="WEATHER_", extra="ignore")

    service_name: str = "weather"
    http_port: int = 8003
