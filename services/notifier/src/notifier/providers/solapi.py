"""Solapi messages API v4 (https://api.solapi.com), one message per request.

* Send: ``POST /messages/v4/send`` with ``{"message": {to, from, text, type, subject (LMS),
  customFields}}``; answer ``{groupId, messageId, statusCode: "2000", statusMessage, ...}``
  (2000: 정상 접수). Other codes: 1xxx/2xxx refused at intake (1024/2024 server errors are
  worth a retry).
* Every call carries ``Authorization: HMAC-SHA256 apiKey=<key>, date=<ISO 8601>,
  salt=<random>, signature=<hex HMAC-SHA256(apiSecret, date + salt)>``; the date must be
  within 15 minutes of the gateway's clock and a signature is accepted once. Refusals are
  HTTP 403 (InvalidAPIKey, SignatureDoesNotMatch, RequestTimeTooSkewed, DuplicatedSignature).
* ``customFields`` (keys up to 30 characters, values up to 100) carry our idempotency key,
  and ``GET /messages/v4/list?criteria=...&cond=eq&value=...`` returns messages with their
  ``customFields``, ``text`` and ``statusCode``: an interrupted send is found again by
  recipient and time, matching the key and this attempt's acknowledgement token.
* Delivery: the same list by ``messageId``; statusCode 4000 = 수신 완료, 2000/3000 = still on
  the way, anything else = failed (3xxx: the carrier's reason).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import timedelta
from typing import Any

import httpx

from sunmoon.events import utcnow

from . import DeliveryReport, Found, OutgoingSms, ProviderError, ProviderResult, SentRef
from .http import TokenBucket, clean, digits, json_or_text, parse_time, status_error, token_hash_in, transport_error

DEFAULT_BASE_URL = "https://api.solapi.com"
KEY_FIELD = "sunmoonKey"
ACCEPTED, ON_THE_WAY, DELIVERED = "2000", ("2000", "3000"), "4000"
RETRYABLE_CODES = ("1024", "2024")  # 서버 오류


def authorization(api_key: str, api_secret: str, date: str, salt: str) -> str:
    sig = hmac.new(api_secret.encode(), (date + salt).encode(), hashlib.sha256).hexdigest()
    return f"HMAC-SHA256 apiKey={api_key}, date={date}, salt={salt}, signature={sig}"


class SolapiProvider:
    name = "solapi"
    tracks_delivery = True

    def __init__(self, *, api_key: str, api_secret: str, base_url: str = DEFAULT_BASE_URL,
                 timeout: float = 10.0, rate_per_second: float = 10.0) -> None:
        if not (api_key and api_secret):
            raise ValueError("Solapi needs an API key and an API secret")
        self.api_key, self._secret = api_key, api_secret
        self.client = httpx.AsyncClient(base_url=base_url.rstrip("/"),
                                        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)))
        self.bucket = TokenBucket(rate_per_second)

    @classmethod
    def from_settings(cls, s: Any) -> SolapiProvider:
        return cls(api_key=s.solapi_api_key, api_secret=s.solapi_api_secret.get_secret_value(),
                   base_url=s.solapi_base_url, timeout=s.sms_http_timeout, rate_per_second=s.sms_rate_per_second)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _call(self, method: str, path: str, *, params: dict[str, str] | None = None,
                    body: dict[str, Any] | None = None) -> httpx.Response:
        date = utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        headers = {"Authorization": authorization(self.api_key, self._secret, date, secrets.token_hex(16))}
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
            content = json.dumps(body, ensure_ascii=False).encode()
        try:
            return await self.client.request(method, path, params=params, content=content, headers=headers)
        except httpx.HTTPError as exc:
            raise transport_error(self.name, exc) from exc

    # -- send --------------------------------------------------------------------------
    async def send(self, message: OutgoingSms) -> ProviderResult:
        payload: dict[str, Any] = {
            "to": digits(message.recipient.reveal()), "from": message.sender, "text": message.text,
            "type": message.kind,
            "customFields": {KEY_FIELD: message.idempotency_key[:100]},
        }
        if message.kind == "LMS" and message.subject:
            payload["subject"] = message.subject
        await self.bucket.acquire()
        r = await self._call("POST", "/messages/v4/send", body={"message": payload})
        if r.status_code != 200:
            raise status_error(self.name, r, _error_text(json_or_text(r)))
        data = json_or_text(r)
        if not isinstance(data, dict) or not data.get("messageId"):
            raise ProviderError(f"solapi: HTTP 200 without a messageId: {clean(data)}", in_doubt=True)
        code = str(data.get("statusCode", ""))
        if code != ACCEPTED:
            raise ProviderError(f"solapi: {code} {clean(data.get('statusMessage', ''))}",
                                retryable=code in RETRYABLE_CODES)
        return ProviderResult(provider=self.name, message_id=str(data["messageId"]),
                              request_id=data.get("groupId"))

    # -- reading results ---------------------------------------------------------------
    async def _list(self, params: dict[str, str]) -> list[dict[str, Any]]:
        r = await self._call("GET", "/messages/v4/list", params=params)
        if r.status_code != 200:
            raise status_error(self.name, r, _error_text(json_or_text(r)))
        data = json_or_text(r)
        if not isinstance(data, dict):
            raise ProviderError(f"solapi: unreadable answer: {clean(data)}")
        found = data.get("messageList") or {}
        return list(found.values()) if isinstance(found, dict) else list(found)

    async def lookup(self, ref: SentRef) -> Found | None:
        if ref.message_id:
            return Found(message_id=ref.message_id, request_id=ref.request_id)
        since = (ref.started_at - timedelta(minutes=1)).isoformat(timespec="seconds").replace("+00:00", "Z")
        items = await self._list({"criteria": "to", "cond": "eq", "value": digits(ref.recipient.reveal()),
                                  "startDate": since, "limit": "50"})
        for item in items:
            if (item.get("customFields") or {}).get(KEY_FIELD) != ref.idempotency_key[:100]:
                continue
            if "text" in item and token_hash_in(item.get("text")) != ref.token_hash:
                continue  # an earlier attempt of the same notification
            return Found(message_id=item.get("messageId") or item.get("_id"), request_id=item.get("groupId"))
        return None

    async def delivery(self, ref: SentRef) -> DeliveryReport:
        if not ref.message_id:
            raise ProviderError("solapi: no message id to look the delivery up by", retryable=False)
        items = await self._list({"criteria": "messageId", "cond": "eq", "value": ref.message_id})
        if not items:
            return DeliveryReport("pending", message_id=ref.message_id)
        item = items[0]
        code = str(item.get("statusCode", ""))
        at = parse_time(item.get("dateReceived") or item.get("dateReported") or item.get("dateUpdated"))
        if code == DELIVERED:
            return DeliveryReport("delivered", at=at, message_id=ref.message_id)
        if code in ON_THE_WAY or not code:
            return DeliveryReport("pending", message_id=ref.message_id)
        reason = clean(f"{code} {item.get('reason') or item.get('statusMessage') or ''}".strip())
        return DeliveryReport("failed", at=at, reason=reason, message_id=ref.message_id)


def _error_text(data: Any) -> str:
    if isinstance(data, dict) and ("errorCode" in data or "errorMessage" in data):
        return f"{data.get('errorCode', '')}: {data.get('errorMessage', '')}"
    return str(data)
