"""Intake as the desk's gateway to the services that own what an administrator edits.

The classifier owns the handling manuals and the complaint types, the notifier the roster. Their own admin
APIs validate and store every change; intake never touches their tables. The browser talks only to intake,
which checks the desk session, the role and the CSRF token, forwards the call with a deadline, records it
(``desk_admin_log``, with the administrator's name) and turns the owner's answer into a Korean message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from sunmoon.logging import get_logger

from .auth import DeskUser

log = get_logger(__name__)
DEADLINE_SECONDS = 5.0
SERVICE_LABELS = {"classifier": "분류 서비스", "notifier": "알림 서비스"}
_STATUS_KO = {400: "요청이 올바르지 않습니다", 404: "찾을 수 없습니다", 409: "다른 변경과 충돌했습니다",
              422: "입력값이 올바르지 않습니다"}


class OwnerError(Exception):
    """The owning service refused the call, or could not be reached: ``status`` and a Korean ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _detail_text(body: Any) -> str:
    """The owner's FastAPI error detail as one line: a string, or the fields of a validation error."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for e in detail[:5]:
            where = ".".join(str(x) for x in e.get("loc", [])[1:]) if isinstance(e, dict) else ""
            msg = e.get("msg", "") if isinstance(e, dict) else str(e)
            parts.append(f"{where}: {msg}" if where else msg)
        return "; ".join(parts)
    return ""


@dataclass
class OwnerClient:
    service: str
    base_url: str
    timeout: float = DEADLINE_SECONDS
    transport: httpx.AsyncBaseTransport | None = None  # tests may put an in-process app here
    verify: Any = True  # https://: the system's CAs plus SUNMOON_TLS_CA_FILE (sunmoon.tls.httpx_verify)
    headers: dict[str, str] | None = None  # the desk's service token (sunmoon.auth.bearer)

    async def _send(self, method: str, path: str, body: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.base_url.rstrip("/"), timeout=self.timeout,
                                     transport=self.transport, verify=self.verify, headers=self.headers) as client:
            return await client.request(method, path, json=body)

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        """The owner's JSON answer; :class:`OwnerError` (with a Korean message) for anything but 2xx."""
        label = SERVICE_LABELS.get(self.service, self.service)
        try:
            r = await asyncio.wait_for(self._send(method, path, body), self.timeout)
        except (httpx.HTTPError, TimeoutError, OSError) as exc:
            log.warning("admin gateway: owner unreachable", service=self.service, method=method, path=path,
                        error=type(exc).__name__)
            raise OwnerError(502, f"서비스에 연결할 수 없습니다 ({label}). 잠시 후 다시 시도해 주세요.") from None
        if r.status_code == 204:
            return None
        try:
            data = r.json()
        except ValueError:
            data = None
        if r.is_success:
            return data
        if r.status_code >= 500 or r.status_code not in _STATUS_KO:
            log.warning("admin gateway: owner failed", service=self.service, path=path, status=r.status_code)
            raise OwnerError(502, f"{label}에서 오류가 났습니다 (HTTP {r.status_code}). 잠시 후 다시 시도해 주세요.")
        detail = _detail_text(data)
        raise OwnerError(r.status_code, f"{_STATUS_KO[r.status_code]}: {detail}" if detail
                         else _STATUS_KO[r.status_code])


@dataclass
class AdminGateway:
    classifier: OwnerClient
    notifier: OwnerClient

    @classmethod
    def from_settings(cls, settings: Any) -> AdminGateway:
        from sunmoon.tls import httpx_verify

        from sunmoon.auth import bearer

        verify = httpx_verify(getattr(settings, "tls_ca_file", None))
        headers = bearer(settings.service_token.get_secret_value())
        return cls(OwnerClient("classifier", settings.classifier_url, verify=verify, headers=headers),
                   OwnerClient("notifier", settings.notifier_url, verify=verify, headers=headers))


async def record(pool: Any, user: DeskUser, service: str, action: str, target: str, status: int,
                 detail: str | None, client_ip: str | None) -> None:
    """One row of ``desk_admin_log`` (and a log line): who changed what, and what the owner answered."""
    await pool.execute(
        "INSERT INTO desk_admin_log (user_id, user_name, service, action, target, status, detail, client_ip)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        user.id, user.name, service, action, target[:200], status, (detail or "")[:1000] or None, client_ip)
    log.info("admin change", admin=user.name, service=service, action=action, target=target, status=status)


async def edit(request: Any, user: DeskUser, service: str, method: str, path: str, body: Any,
               target: str, detail: str | None = None) -> Any:
    """Forward an administrator's change to its owner and record it either way."""
    from .auth import client_ip

    client: OwnerClient = getattr(request.app.state.desk.admin, service)
    pool = request.app.state.runtime.pool
    try:
        out = await client.call(method, path, body)
    except OwnerError as exc:
        await record(pool, user, service, f"{method} {path}", target, exc.status, exc.message, client_ip(request))
        raise
    await record(pool, user, service, f"{method} {path}", target, 200, detail, client_ip(request))
    return out


async def recent(pool: Any, limit: int = 50) -> list[Any]:
    return await pool.fetch("SELECT at, user_name, service, action, target, status, detail FROM desk_admin_log"
                            " ORDER BY at DESC, id DESC LIMIT $1", limit)
