"""Who may call a service's HTTP API: machine identities by bearer token, roles, one policy table per service.

Tokens are configured as ``name:role:sha256hex`` entries (comma- or newline-separated, ``#`` comments) in
``<PREFIX>API_TOKENS`` / ``SUNMOON_API_TOKENS``, or in a file named by ``<PREFIX>API_TOKENS_FILE`` /
``SUNMOON_API_TOKENS_FILE``. Only the SHA-256 of a token is kept; a presented token is hashed and compared
with every entry in constant time. ``python -m sunmoon.auth issue --name desk --role service`` makes one.

Each service declares, in its ``policy.py``, one :class:`Policy`: ``"METHOD /path/template" -> roles`` (or
:data:`PUBLIC`). :func:`guard` turns it into a FastAPI dependency installed on the whole app, so a route
with no entry is refused (403) and the authorisation matrix test (tests/security) reads the same table.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import re
import secrets
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.routing import APIRoute, iter_route_contexts

ROLES: dict[str, str] = {
    "admin": "관리자 (administrator)",
    "supervisor": "당직 책임자 (supervisor)",
    "duty_officer": "당직 근무자 (duty officer)",
    "service": "다른 Sun to Moon 서비스 (the desk gateway)",
    "analytics": "분석 플랫폼, 읽기 전용 (read-only analytics)",
}
PUBLIC = frozenset({"*public*"})  # no credentials needed (probes, the field worker's ack link, Open311 reads)
DESK = frozenset({"duty_officer", "supervisor", "admin"})
SUPERVISORS = frozenset({"supervisor", "admin"})
ADMIN = frozenset({"admin"})
SIGNED_IN = frozenset(ROLES)
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

NO_CREDENTIALS = "인증이 필요합니다. (authentication required: send 'Authorization: Bearer <token>')"
BAD_CREDENTIALS = "인증 정보가 올바르지 않습니다. (invalid or unknown token)"
WRONG_ROLE = "이 작업을 할 권한이 없습니다. (your role may not do this)"
NO_POLICY = "이 경로에는 접근 정책이 없습니다. (no access policy for this route: refused)"
_ENTRY = re.compile(r"^([A-Za-z0-9._-]{1,60}):([a-z_]+):([0-9a-f]{64})$")


@dataclass(frozen=True)
class Identity:
    name: str
    role: str
    via: str = "token"  # "token" or "session" (the desk's cookie)


@dataclass(frozen=True)
class TokenEntry:
    name: str
    role: str
    digest: bytes


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_tokens(text: str) -> list[TokenEntry]:
    """``name:role:sha256hex`` entries; ValueError naming the bad entry (never the hash) otherwise."""
    entries = []
    for raw in re.split(r"[,\n]", text or ""):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = _ENTRY.match(line)
        if not m:
            raise ValueError(f"API token entry {line.split(':', 1)[0]!r}: expected name:role:sha256-hex")
        if m.group(2) not in ROLES:
            raise ValueError(f"API token entry {m.group(1)!r}: unknown role {m.group(2)!r}; one of {', '.join(ROLES)}")
        entries.append(TokenEntry(m.group(1), m.group(2), bytes.fromhex(m.group(3))))
    return entries


class TokenRegistry:
    def __init__(self, entries: Iterable[TokenEntry]) -> None:
        self.entries = list(entries)

    @classmethod
    def from_settings(cls, settings: Any) -> TokenRegistry:
        text = getattr(settings, "api_tokens", None) or ""
        path = getattr(settings, "api_tokens_file", None)
        if path:
            text += "\n" + Path(path).read_text()
        return cls(parse_tokens(text))

    def identify(self, token: str) -> Identity | None:
        if not token or len(token) > 200:
            return None
        given = hashlib.sha256(token.encode()).digest()
        found = None
        for entry in self.entries:  # no early exit: the time does not depend on which entry matches
            if hmac.compare_digest(entry.digest, given):
                found = found or entry
        return Identity(found.name, found.role) if found else None


@dataclass
class Policy:
    """``"METHOD /path"`` → the roles allowed (or PUBLIC). ``notes`` explain entries that need it."""

    rules: dict[str, frozenset[str]]
    notes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, roles in self.rules.items():
            method, _, path = key.partition(" ")
            assert method in {"GET", "POST", "PUT", "PATCH", "DELETE"} and path.startswith("/"), key
            assert roles == PUBLIC or roles <= SIGNED_IN, f"{key}: unknown role in {sorted(roles)}"

    def allowed(self, method: str, path: str) -> frozenset[str] | None:
        return self.rules.get(f"{'GET' if method == 'HEAD' else method} {path}")


def route_keys(app: Any) -> list[tuple[str, str, APIRoute]]:
    """Every (method, path template, route) the app serves through FastAPI routes, include prefixes applied."""
    out = []
    for rc in iter_route_contexts(app.routes):
        route = rc.original_route
        if isinstance(route, APIRoute):
            out.extend((m, rc.path, route) for m in sorted(route.methods) if m != "HEAD")
    return out


def _route_path(request: Request) -> str | None:
    route = request.scope.get("route")
    if route is None:
        return None
    app = request.app
    table = getattr(app.state, "_auth_route_paths", None)
    if table is None or table[0] != len(app.routes):
        paths: dict[int, list[str]] = {}
        for rc in iter_route_contexts(app.routes):
            paths.setdefault(id(rc.original_route), []).append(rc.path)
        table = app.state._auth_route_paths = (len(app.routes), paths)
    candidates = table[1].get(id(route), [])
    if len(candidates) == 1:
        return candidates[0]
    for path in candidates:  # one route included under several prefixes: the one this request matched
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", path), request.url.path):
            return path
    return None


SessionLoader = Callable[[Request, str], Awaitable[Identity | None]]


def unauthorized(detail: str = NO_CREDENTIALS) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="sunmoon"'})


def forbidden(detail: str = WRONG_ROLE) -> HTTPException:
    return HTTPException(403, detail)


async def identify(request: Request, session: SessionLoader | None = None, path: str = "",
                   tokens: bool = True) -> Identity | None:
    """The bearer token's identity; else, with a session loader (intake's desk), the signed-in user."""
    header = request.headers.get("authorization", "") if tokens else ""
    if header:
        scheme, _, token = header.partition(" ")
        registry: TokenRegistry = request.app.state.api_tokens
        identity = registry.identify(token.strip()) if scheme.lower() == "bearer" else None
        if identity is None:
            raise unauthorized(BAD_CREDENTIALS)
        return identity
    return await session(request, path) if session else None


def guard(policy: Policy, session: SessionLoader | None = None,
          on_missing: Callable[[Request], Exception] | None = None,
          on_forbidden: Callable[[Request], Exception] | None = None,
          session_only: Callable[[str], bool] = lambda _path: False) -> Callable[[Request], Awaitable[None]]:
    """The app-wide dependency: look the route up in ``policy``, then 401 / 403 or let it through.
    ``on_missing`` / ``on_forbidden`` may give another exception (the desk's pages redirect to sign-in);
    on a path where ``session_only(path)`` holds a bearer token is ignored (the desk's pages)."""

    async def authorize(request: Request) -> None:
        path = _route_path(request)
        roles = policy.allowed(request.method, path) if path else None
        if roles is None:
            raise forbidden(NO_POLICY)
        if roles == PUBLIC:
            return
        identity = await identify(request, session, path or "", tokens=not session_only(path or ""))
        if identity is None:
            raise on_missing(request) if on_missing else unauthorized()
        request.state.identity = identity
        if identity.role not in roles:
            raise on_forbidden(request) if on_forbidden else forbidden()

    return authorize


def protect(app: Any, policy: Policy, settings: Any, **hooks: Any) -> None:
    """Enforce ``policy`` on every FastAPI route of ``app`` (call before the routers are included)."""
    from fastapi import Depends

    app.state.api_tokens = TokenRegistry.from_settings(settings)
    app.state.policy = policy
    app.router.dependencies.append(Depends(guard(policy, **hooks)))


def require(*roles: str) -> Callable[[Request], Awaitable[Identity]]:
    """A dependency for one route: a bearer token whose role is one of ``roles``."""

    async def dependency(request: Request) -> Identity:
        identity = await identify(request)
        if identity is None:
            raise unauthorized()
        request.state.identity = identity
        if identity.role not in roles:
            raise forbidden()
        return identity

    return dependency


def bearer(token: str | None) -> dict[str, str]:
    """Headers for a call to another service with this token (none when unset)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def issue(name: str, role: str) -> tuple[str, str]:
    """A new random token and its configuration line ``name:role:sha256``."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,60}", name):
        raise ValueError("a name is 1-60 letters, digits, '.', '_' or '-'")
    token = "smt_" + secrets.token_urlsafe(32)
    return token, f"{name}:{role}:{digest(token)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sunmoon.auth",
                                     description="API tokens of the Sun to Moon services (bearer tokens with a role).")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("issue", help="make a token: prints it once, and the line for SUNMOON_API_TOKENS")
    p.add_argument("--name", required=True, help="who holds it, e.g. desk, ops-alice, city-bi")
    p.add_argument("--role", required=True, choices=list(ROLES), help="what it may do")
    sub.add_parser("roles", help="list the roles")
    args = parser.parse_args(argv)
    if args.command == "roles":
        for role, label in ROLES.items():
            print(f"{role:13} {label}")
        return 0
    token, line = issue(args.name, args.role)
    print(f"token (shown once; give it to {args.name}): {token}")
    print(f"add to SUNMOON_API_TOKENS (or the file of SUNMOON_API_TOKENS_FILE): {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
