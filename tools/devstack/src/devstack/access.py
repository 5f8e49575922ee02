"""Least privilege for `make up`: NATS users and PostgreSQL roles for the embedded servers (sunmoon.access),
and the API tokens of the services' HTTP APIs (sunmoon.auth)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sunmoon import access
from sunmoon.messaging import Namespace
from sunmoon.settings import database_url_for

from .stack import SERVICES


@dataclass
class NatsAuth:
    secrets_dir: Path
    passwords: dict[str, str]
    authorization: str  # the block for nats-server's configuration

    def env(self, service: str) -> dict[str, str]:
        """What one service gets: its own user and password, nobody else's."""
        prefix = service.upper() + "_"
        return {f"{prefix}NATS_USER": service, f"{prefix}NATS_PASSWORD": self.passwords[service]}


def nats_auth(home: Path, namespace: str = "", *, rounds: int = 11) -> NatsAuth:
    """Passwords in ``home/nats-credentials/<user>.password`` (made on first start, mode 0600), bcrypt-hashed
    into an authorization block with each service's generated permissions."""
    secrets_dir = home / "nats-credentials"
    passwords = access.ensure_passwords(secrets_dir, access.all_users())
    block = access.nats_authorization(passwords, Namespace(namespace), rounds=rounds)
    return NatsAuth(secrets_dir, passwords, block)


async def service_database_urls(server_url: str, *, role_prefix: str = "",
                          databases: dict[str, str] | None = None) -> dict[str, str]:
    """Give each service a role owning its database (created if missing; CONNECT revoked from PUBLIC) and
    return the URL each service connects with: its own database, as its own role."""
    databases = databases or {name: f"sunmoon_{name}" for name in SERVICES}
    admin_url = database_url_for(server_url, "postgres")
    roles = await access.apply_pg_roles(admin_url, databases, role_prefix=role_prefix)
    return {name: access.with_user(database_url_for(server_url, databases[name]), roles[name])
            for name in databases}


@dataclass
class ApiTokens:
    """Bearer tokens of `make up` (sunmoon.auth): ``admin`` for you (curl), ``desk`` for intake's calls to the
    other services. The tokens live in ``home/api-tokens/<name>.token`` (mode 0600, made on first start);
    the services get only their SHA-256 hashes."""

    secrets_dir: Path
    tokens: dict[str, str]
    entries: str  # name:role:sha256 lines for SUNMOON_API_TOKENS

    ROLES = {"admin": "admin", "desk": "service"}

    def env(self, service: str, inherited: str = "") -> dict[str, str]:
        out = {"SUNMOON_API_TOKENS": ",".join(filter(None, [self.entries, inherited]))}
        if service == "intake":
            out["INTAKE_SERVICE_TOKEN"] = self.tokens["desk"]
        return out


def api_tokens(home: Path) -> ApiTokens:
    from sunmoon.auth import digest, issue

    secrets_dir = home / "api-tokens"
    secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    tokens = {}
    for name, role in ApiTokens.ROLES.items():
        path = secrets_dir / f"{name}.token"
        if not path.exists() or not path.read_text().strip():
            token, _line = issue(name, role)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(token + "\n")
        tokens[name] = path.read_text().strip()
    entries = ",".join(f"makeup-{name}:{role}:{digest(tokens[name])}" for name, role in ApiTokens.ROLES.items())
    return ApiTokens(secrets_dir, tokens, entries)
