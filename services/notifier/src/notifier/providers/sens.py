"""Naver Cloud SENS, SMS API v2 (https://sens.apigw.ntruss.com).

* Send: ``POST /sms/v2/services/{serviceId}/messages``, JSON body ``{type, contentType,
  countryCode, from, subject (LMS), content, messages: [{to}]}``; answer 202
  ``{requestId, requestTime, statusCode: "202", statusName: "success"}``.
* Every call is signed: ``x-ncp-apigw-timestamp`` (epoch ms, within 5 minutes of the
  gateway's clock), ``x-ncp-iam-access-key``, ``x-ncp-apigw-signature-v2`` =
  Base64(HMAC-SHA256(secretKey, "{METHOD} {path?query}\\n{timestamp}\\n{accessKey}")). The
  path is signed exactly as it goes on the wire (``raw_path``), query string included.
* Results: ``GET /sms/v2/services/{serviceId}/messages?requestId=`` lists the messages of a
  request (``messageId`` ...); ``GET .../messages/{messageId}`` gives one message's
  ``status`` (READY, PROCESSING, COMPLETED), ``statusName`` (success, fail),
  ``statusCode``, ``statusMessage`` and ``completeTime`` (Korean local time).
* SENS takes no client reference or idempotency key. An interrupted send is found again
  by listing the requests of a narrow time window (``requestStartTime``/``requestEndTime``,
  "YYYY-MM-DD HH:mm:ss", Korean time) and matching the recipient and the acknowledgement
  token inside each message's ``content``: the token is new for every attempt and only its
  hash is stored, so a match is this attempt and nothing else. Not verified against the
  live service: whether the window listing pages (we read one page; our service id sends
  only duty SMS, a few a minute at most).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta
from typing import Any

import httpx

from sunmoon.events import utcnow

from . import DeliveryReport, Found, OutgoingSms, ProviderError, ProviderResult, SentRef
from .http import (KST, TokenBucket, clean, digits, json_or_text, parse_time, status_error, token_hash_in,
                   transport_error)

DEFAULT_BASE_URL = "https://sens.apigw.ntruss.com"


def signature(secret_key: str, method: str, path_and_query: str, timestamp: str, access_key: str) -> str:
    message = f"{method} {path_and_query}\n{timestamp}\n{access_key}"
    return base64.b64encode(hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()).decode()


class SensProvider:
    name = "sens"
    tracks_delivery = True

    def __init__(self, *, access_key: str, secret_key: str, service_id: str, base_url: str = DEFAULT_BASE_URL,
                 timeout: float = 10.0, rate_per_second: float = 10.0, country_code: str = "82",
                 lookup_window: timedelta = timedelta(minutes=2)) -> None:
        if not (access_key and secret_key and service_id):
            raise ValueError("SENS needs an access key, a secret key and a service id")
        self.access_key, self._secret, self.service_id = access_key, secret_key, service_id
        self.country_code, self.lookup_window = country_code, lookup_window
        self.client = httpx.AsyncClient(base_url=base_url.rstrip("/"),
                                        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)))
        self.bucket = TokenBucket(rate_per_second)

    @classmethod
    def from_settings(cls, s: Any) -> SensProvider:
        return cls(access_key=s.sens_access_key, secret_key=s.sens_secret_key.get_secret_value(),
                   service_id=s.sens_service_id, base_url=s.sens_base_url, timeout=s.sms_http_timeout,
                   rate_per_second=s.sms_rate_per_second)

    async def aclose(self) -> None:
        await self.client.aclose()

    @property
    def _messages(self) -> str:
        return f"/sms/v2/services/{self.service_id}/messages"

    async def _call(self, method: str, path: str, *, params: dict[str, str] | None = None,
                    body: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"Content-Type": "application/json; charset=utf-8"} if body is not None else {}
        content = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        request = self.client.build_request(method, path, params=params, content=content, headers=headers)
        timestamp = str(int(time.time() * 1000))
        request.headers["x-ncp-apigw-timestamp"] = timestamp
        request.headers["x-ncp-iam-access-key"] = self.access_key
        request.headers["x-ncp-apigw-signature-v2"] = signature(
            self._secret, method, request.url.raw_path.decode("ascii"), timestamp, self.access_key)
        try:
            return await self.client.send(request)
        except httpx.HTTPError as exc:
            raise transport_error(self.name, exc) from exc

    # -- send --------------------------------------------------------------------------
    async def send(self, message: OutgoingSms) -> ProviderResult:
        body: dict[str, Any] = {
            "type": message.kind, "contentType": "COMM", "countryCode": self.country_code,
            "from": message.sender, "content": message.text,
            "messages": [{"to": digits(message.recipient.reveal())}],
        }
        if message.kind == "LMS" and message.subject:
            body["subject"] = message.subject
        await self.bucket.acquire()
        r = await self._call("POST", self._messages, body=body)
        if r.status_code not in (200, 202):
            raise status_error(self.name, r, json_or_text(r))
        data = json_or_text(r)
        if not isinstance(data, dict) or not data.get("requestId"):
            # accepted (2xx) but unreadable: the message may well be on its way
            raise ProviderError(f"sens: HTTP {r.status_code} without a requestId: {clean(data)}", in_doubt=True)
        if str(data.get("statusName", "success")).lower() != "success":
            raise ProviderError(f"sens: refused: {clean(data)}", retryable=False)
        return ProviderResult(provider=self.name, request_id=str(data["requestId"]))

    # -- reading results ---------------------------------------------------------------
    async def _get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        r = await self._call("GET", path, params=params)
        if r.status_code != 200:
            raise status_error(self.name, r, json_or_text(r))
        data = json_or_text(r)
        if not isinstance(data, dict):
            raise ProviderError(f"sens: unreadable answer: {clean(data)}")
        return data

    async def _message(self, message_id: str) -> dict[str, Any]:
        data = await self._get(f"{self._messages}/{message_id}")
        items = data.get("messages") or []
        return items[0] if items else {}

    async def lookup(self, ref: SentRef) -> Found | None:
        """Did this attempt reach SENS? ``None`` only when the window lists no such message."""
        if ref.request_id:  # SENS answered this attempt: it has it
            return Found(request_id=ref.request_id)
        start = ref.started_at - timedelta(minutes=1)
        end = max(utcnow(), ref.started_at + self.lookup_window)
        data = await self._get(self._messages, {"requestStartTime": _kst(start), "requestEndTime": _kst(end)})
        to = digits(ref.recipient.reveal())
        for item in data.get("messages") or []:
            if item.get("to") and digits(str(item["to"])) != to:
                continue
            if "content" not in item and item.get("messageId"):
                item = {**item, **await self._message(str(item["messageId"]))}
            if digits(str(item.get("to", to))) == to and token_hash_in(item.get("content")) == ref.token_hash:
                return Found(message_id=item.get("messageId"),
                             request_id=item.get("requestId") or data.get("requestId"))
        return None

    async def delivery(self, ref: SentRef) -> DeliveryReport:
        if ref.message_id:
            item = await self._message(ref.message_id)
            item.setdefault("messageId", ref.message_id)
        elif ref.request_id:
            data = await self._get(self._messages, {"requestId": ref.request_id})
            items = data.get("messages") or []
            if not items:
                return DeliveryReport("pending")
            item = items[0]
            if ("status" not in item or "statusName" not in item) and item.get("messageId"):
                item = {**item, **await self._message(str(item["messageId"]))}
        else:
            raise ProviderError("sens: no request id to look the delivery up by", retryable=False)
        message_id = item.get("messageId")
        status, outcome = str(item.get("status", "")).upper(), str(item.get("statusName", "")).lower()
        if status != "COMPLETED" or outcome not in ("success", "fail"):
            return DeliveryReport("pending", message_id=message_id)
        at = parse_time(item.get("completeTime"))
        if outcome == "success":
            return DeliveryReport("delivered", at=at, message_id=message_id)
        reason = clean(f"{item.get('statusCode', '')} {item.get('statusMessage', '')}".strip() or "fail")
        return DeliveryReport("failed", at=at, reason=reason, message_id=message_id)


def _kst(t: datetime) -> str:
    return t.astimezone(KST).strftime("%Y-%m-%d %H:%M:%S")
