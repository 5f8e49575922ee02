"""Sign-in for the desk: Argon2id password hashes, server-side sessions, CSRF tokens, a failure throttle.

A session is a random token in an HTTP-only, SameSite=Strict, Secure cookie; the database keeps only its
SHA-256, the user, a per-session CSRF token, when it was last used (idle expiry) and when it ends
(absolute expiry). Every POST from the desk carries the CSRF token (form field or ``X-CSRF-Token``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Request

from sunmoon.logging import get_logger

log = get_logger(__name__)

ROLES: dict[str, str] = {"duty_officer": "당직 근무자", "supervisor": "당직 책임자", "admin": "관리자"}
SESSION_COOKIE = "sunmoon_desk"
LOGIN_CSRF_COOKIE = "sunmoon_desk_login"
MIN_PASSWORD_LENGTH = 10
NAME_PATTERN = r"^[A-Za-z0-9._-]{2,40}$"

# argon2-cffi's defaults are RFC 9106's second recommendation for Argon2id (t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()
# Verified when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class DeskUser:
    id: int
    name: str
    role: str
    csrf_token: str

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    def can(self, *roles: str) -> bool:
        return self.role in roles


class SignInRequired(Exception):
    """No valid session: pages redirect to the sign-in form, JSON endpoints answer 401."""


class Forbidden(Exception):
    """Signed in, but the role may not do this."""


class CsrfFailed(Exception):
    """A POST without the session's CSRF token."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must have at least {MIN_PASSWORD_LENGTH} characters"
    if password.strip() != password:
        return "password must not start or end with spaces"
    return None


async def save_user(conn: Any, name: str, role: str, password: str, *, update: bool) -> str:
    """Create the user (or, with ``update``, set an existing one's password and role). Returns what happened."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    hashed = hash_password(password)
    existing = await conn.fetchval("SELECT id FROM desk_users WHERE name = $1", name)
    if existing is not None:
        if not update:
            raise LookupError(f"user {name!r} exists already (use --update to set a new password and role)")
        await conn.execute("UPDATE desk_users SET password_hash = $2, role = $3, disabled = false,"
                           " password_changed_at = now() WHERE id = $1", existing, hashed, role)
        await conn.execute("DELETE FROM desk_sessions WHERE user_id = $1", existing)
        return "updated"
    try:
        await conn.execute("INSERT INTO desk_users (name, role, password_hash) VALUES ($1, $2, $3)", name, role, hashed)
    except asyncpg.CheckViolationError:
        raise ValueError("a user name is 2-40 letters, digits, '.', '_' or '-'") from None
    return "created"


async def throttled(pool: Any, name: str, client_ip: str | None, *, max_failures: int, window_minutes: int) -> bool:
    """Too many recent failures for this name, or from this address (4x the limit)?"""
    window = timedelta(minutes=window_minutes)
    row = await pool.fetchrow(
        "SELECT count(*) FILTER (WHERE name = $1) AS by_name, count(*) FILTER (WHERE client_ip = $2) AS by_ip"
        " FROM desk_login_attempts WHERE NOT succeeded AND at > now() - $3::interval"
        " AND (name = $1 OR client_ip = $2)", name, client_ip, window)
    return row["by_name"] >= max_failures or row["by_ip"] >= 4 * max_failures


async def locked(pool: Any, name: str, *, lock_failures: int) -> bool:
    """Locked: ``lock_failures`` failed sign-ins for this name since its last success and its last password
    change. No time heals it: an administrator unlocks the account by setting a new password."""
    if lock_failures <= 0:
        return False
    failures = await pool.fetchval(
        "SELECT count(*) FROM desk_login_attempts WHERE name = $1 AND NOT succeeded AND at > greatest("
        " (SELECT max(at) FROM desk_login_attempts WHERE name = $1 AND succeeded),"
        " (SELECT password_changed_at FROM desk_users WHERE name = $1), '-infinity'::timestamptz)", name)
    return failures >= lock_failures


async def authenticate(pool: Any, name: str, password: str, client_ip: str | None) -> tuple[int, str] | None:
    """(user id, role) when the name and password match an enabled user; the attempt is recorded either way."""
    row = await pool.fetchrow("SELECT id, role, password_hash, disabled FROM desk_users WHERE name = $1", name)
    ok = verify_password(row["password_hash"] if row else None, password) and row is not None and not row["disabled"]
    await pool.execute("INSERT INTO desk_login_attempts (name, client_ip, succeeded) VALUES ($1, $2, $3)",
                       name[:100], client_ip, ok)
    if ok and _hasher.check_needs_rehash(row["password_hash"]):
        await pool.execute("UPDATE desk_users SET password_hash = $2 WHERE id = $1", row["id"], hash_password(password))
    log.info("desk sign-in", user=name[:100], succeeded=ok, client_ip=client_ip)
    return (row["id"], row["role"]) if ok else None


async def start_session(pool: Any, user_id: int, *, max_hours: int) -> str:
    token = secrets.token_urlsafe(32)
    await pool.execute(
        "INSERT INTO desk_sessions (token_hash, user_id, csrf_token, expires_at)"
        " VALUES ($1, $2, $3, now() + $4::interval)",
        token_hash(token), user_id, secrets.token_urlsafe(32), timedelta(hours=max_hours))
    # old sessions of anybody are swept now and then, here, where it costs nothing noticeable
    await pool.execute("DELETE FROM desk_sessions WHERE expires_at < now() - interval '1 day'")
    return token


async def load_session(pool: Any, token: str | None, *, idle_minutes: int) -> DeskUser | None:
    if not token or len(token) > 200:
        return None
    row = await pool.fetchrow(
        "SELECT s.csrf_token, s.last_seen_at, u.id, u.name, u.role FROM desk_sessions s"
        " JOIN desk_users u ON u.id = s.user_id"
        " WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.disabled"
        " AND s.last_seen_at > now() - $2::interval", token_hash(token), timedelta(minutes=idle_minutes))
    if row is None:
        return None
    await pool.execute("UPDATE desk_sessions SET last_seen_at = now() WHERE token_hash = $1"
                       " AND last_seen_at < now() - interval '30 seconds'", token_hash(token))
    return DeskUser(id=row["id"], name=row["name"], role=row["role"], csrf_token=row["csrf_token"])


async def end_session(pool: Any, token: str | None) -> None:
    if token:
        await pool.execute("DELETE FROM desk_sessions WHERE token_hash = $1", token_hash(token))


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def same_token(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


async def current_user(request: Request) -> DeskUser:
    """FastAPI dependency: the signed-in user, or :class:`SignInRequired`."""
    cached = getattr(request.state, "desk_user", None)
    if cached is not None:
        return cached
    settings = request.app.state.settings
    user = await load_session(request.app.state.runtime.pool, request.cookies.get(SESSION_COOKIE),
                              idle_minutes=settings.session_idle_minutes)
    if user is None:
        raise SignInRequired
    request.state.desk_user = user
    return user


def require_csrf(request: Request, user: DeskUser, form_token: str | None = None) -> None:
    if not same_token(user.csrf_token, form_token or request.headers.get("x-csrf-token")):
        log.warning("desk request without a valid CSRF token", user=user.name, path=request.url.path)
        raise CsrfFailed


def require_role(user: DeskUser, *roles: str) -> None:
    if not user.can(*roles):
        raise Forbidden
