"""Base settings every service shares (pydantic-settings, validated at start).

Each service subclasses :class:`ServiceSettings` with its own ``env_prefix``
(``INTAKE_``, ``NOTIFIER_`` ...). Two values fall back to unprefixed variables so
one environment can serve the whole system:

* ``NATS_URL`` for ``<PREFIX>NATS_URL``;
* ``DATABASE_URL`` (a server URL) for ``<PREFIX>DATABASE_URL``, with the database
  name replaced by the service's own (``sunmoon_intake`` ...).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def database_url_for(server_url: str, dbname: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    database_url: str | None = None
    database_name: str | None = None
    nats_url: str | None = None
    nats_namespace: str = ""  # prefix of every subject and stream name (tests, several cities on one NATS)
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True
    allow_dev_keys: bool = True
    outbox_retention_hours: int = 72
    outbox_relay: bool = True  # false: this process writes the outbox but another one relays it

    @model_validator(mode="after")
    def _fallbacks(self) -> ServiceSettings:
        if not self.nats_url:
            self.nats_url = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
        if not self.database_url:
            server = os.environ.get("DATABASE_URL", "postgresql://127.0.0.1:5432/postgres")
            self.database_url = database_url_for(server, self.database_name or f"sunmoon_{self.service_name}")
        if not self.nats_namespace:
            self.nats_namespace = os.environ.get("NATS_NAMESPACE", "")
        return self
