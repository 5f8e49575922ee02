"""Base settings every service shares (pydantic-settings, validated at start).

Each service subclasses :class:`ServiceSettings` with its own ``env_prefix``
(``INTAKE_``, ``NOTIFIER_`` ...). Two values fall back to unprefixed variables so
one environment can serve the whole system:

* ``NATS_URL`` for ``<PREFIX>NATS_URL`` (and ``NATS_USER`` / ``NATS_PASSWORD`` for
  ``<PREFIX>NATS_USER`` / ``<PREFIX>NATS_PASSWORD``: unset means no auth);
* ``DATABASE_URL`` (a server URL) for ``<PREFIX>DATABASE_URL``, with the database
  name replaced by the service's own (``sunmoon_intake`` ...);
* ``SUNMOON_TLS_CERT_FILE`` / ``_KEY_FILE`` / ``_CA_FILE`` for ``<PREFIX>TLS_...``: serve HTTPS with
  that pair, trust that CA for NATS, PostgreSQL (verified when the server offers TLS) and other services;
* ``SUNMOON_API_TOKENS`` / ``SUNMOON_API_TOKENS_FILE`` for ``<PREFIX>API_TOKENS`` / ``<PREFIX>API_TOKENS_FILE``:
  who may call the HTTP API (``sunmoon.auth``); both unset: only the public routes answer.
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
    shutdown_timeout_seconds: float = 10.0  # graceful stop: in-flight work gets this long, then is cancelled
    outbox_relay: bool = True  # false: this process writes the outbox but another one relays it
    nats_user: str | None = None  # NATS credentials (sunmoon.access); none: connect without auth
    nats_password: str | None = None
    tls_cert_file: str | None = None  # with tls_key_file: serve HTTPS (see sunmoon.tls)
    tls_key_file: str | None = None
    tls_ca_file: str | None = None  # trust this CA (besides the system's) for NATS, PostgreSQL, services
    api_tokens: str | None = None  # name:role:sha256 entries allowed to call the HTTP API (sunmoon.auth)
    api_tokens_file: str | None = None  # a file of such entries (one a line)

    @model_validator(mode="after")
    def _fallbacks(self) -> ServiceSettings:
        if not self.nats_url:
            self.nats_url = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
        if not self.database_url:
            server = os.environ.get("DATABASE_URL", "postgresql://127.0.0.1:5432/postgres")
            self.database_url = database_url_for(server, self.database_name or f"sunmoon_{self.service_name}")
        if not self.nats_namespace:
            self.nats_namespace = os.environ.get("NATS_NAMESPACE", "")
        if not self.nats_user:
            self.nats_user = os.environ.get("NATS_USER") or None
            self.nats_password = self.nats_password or os.environ.get("NATS_PASSWORD") or None
        if not self.api_tokens and not self.api_tokens_file:
            self.api_tokens = os.environ.get("SUNMOON_API_TOKENS") or None
            self.api_tokens_file = os.environ.get("SUNMOON_API_TOKENS_FILE") or None
        for name in ("cert", "key", "ca"):
            if not getattr(self, f"tls_{name}_file"):
                setattr(self, f"tls_{name}_file", os.environ.get(f"SUNMOON_TLS_{name.upper()}_FILE") or None)
        if self.tls_ca_file:
            from .tls import postgres_url

            self.database_url = postgres_url(self.database_url, self.tls_ca_file)
        return self

    @property
    def https(self) -> bool:
        return bool(self.tls_cert_file and self.tls_key_file)
