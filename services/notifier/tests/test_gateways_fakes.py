"""Local stand-ins for Naver Cloud SENS v2 and Solapi v4: real HTTP on 127.0.0.1, each checking
requests the way the documentation says the real gateway does (signatures recomputed from the
received headers and raw path, body shape, EUC-KR limits) and answering with the real samples
in ../shared/data/sms/. No tests here: the test modules load this file by path.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "data" / "sms"
KST = timezone(timedelta(hours=9))
SENS_ACCESS_KEY, SENS_SECRET = "AKIAFAKE0123456789AB", "sens-secret-0123456789abcdefghijklmnopqr"
SENS_SERVICE_ID = "ncp:sms:kr:263092132141:sunmoon"
SOLAPI_KEY, SOLAPI_SECRET = "NCSFAKEKEY000001", "SOLAPIFAKESECRET0123456789ABCDEFGHIJ"


def _sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def euc_kr_ok(text: str) -> bool:
    """What a Korean gateway accepts: every character one KS X 1001 (or ASCII) code, printable."""
    for ch in text:
        try:
            if len(ch.encode("euc-kr")) > 2 or (ord(ch) < 32 and ch not in "\n"):
                return False
        except UnicodeEncodeError:
            return False
    return True


class FakeGateway:
    """A threaded HTTP server. ``script`` holds what the next sends do: 'ok', '500', '429', '401',
    'hang' (no answer, nothing accepted) or 'accept_then_hang' (accepted, answer never comes)."""

    hang_seconds = 1.5

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []  # every request: method, path, headers, body
        self.accepted: list[dict[str, Any]] = []  # messages the gateway took
        self.rejected: list[tuple[int, Any]] = []
        self.script: list[str] = []
        self.always: str | None = None  # every send does this (after the script)
        self.lookup_fails = False  # result/list endpoints answer 500
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def _do(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with gateway.lock:
                    gateway.requests.append({"method": self.command, "path": self.path,
                                             "headers": dict(self.headers), "body": raw})
                try:
                    status, body = gateway.handle(self.command, self.path, self.headers, raw)
                except _Hang:
                    time.sleep(gateway.hang_seconds)
                    return
                data = json.dumps(body, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            do_GET = do_POST = _do

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # a hanging handler must not hold up the test's teardown
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next_behaviour(self) -> str:
        with self.lock:
            if self.script:
                return self.script.pop(0)
            return self.always or "ok"

    def sends(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "POST"]

    def handle(self, method: str, path: str, headers: Any, raw: bytes) -> tuple[int, Any]:  # pragma: no cover
        raise NotImplementedError


class _Hang(Exception):
    pass


# -- Naver Cloud SENS v2 -----------------------------------------------------------------------
class FakeSens(FakeGateway):
    UNAUTHORIZED = {"error": {"errorCode": "200", "message": "Authentication Failed",
                              "details": "Invalid authentication information."}}

    def __init__(self) -> None:
        super().__init__()
        self.base = f"/sms/v2/services/{SENS_SERVICE_ID}/messages"
        self.ids = itertools.count(1)

    def signature_ok(self, method: str, path: str, headers: Any) -> bool:
        ts, key = headers.get("x-ncp-apigw-timestamp", ""), headers.get("x-ncp-iam-access-key", "")
        sig = headers.get("x-ncp-apigw-signature-v2", "")
        if key != SENS_ACCESS_KEY or not ts.isdigit() or abs(time.time() * 1000 - int(ts)) > 5 * 60 * 1000:
            return False
        message = f"{method} {path}\n{ts}\n{key}"  # path as received: raw, query string included
        expected = base64.b64encode(hmac.new(SENS_SECRET.encode(), message.encode(), hashlib.sha256).digest()).decode()
        return hmac.compare_digest(sig, expected)

    def handle(self, method: str, path: str, headers: Any, raw: bytes) -> tuple[int, Any]:
        if not self.signature_ok(method, path, headers):
            return 401, self.UNAUTHORIZED
        url = urlsplit(path)
        if method == "POST" and unquote(url.path) == self.base:
            return self.send(headers, raw)
        if method == "GET" and unquote(url.path) == self.base:
            return self.list(parse_qs(url.query))
        if method == "GET" and unquote(url.path).startswith(self.base + "/"):
            return self.result(unquote(url.path)[len(self.base) + 1:])
        return 404, {"error": {"errorCode": "404", "message": "Not Found"}}

    def send(self, headers: Any, raw: bytes) -> tuple[int, Any]:
        if not headers.get("Content-Type", "").startswith("application/json"):
            return 415, {"error": {"message": "Unsupported Media Type"}}
        body = json.loads(raw.decode("utf-8"))
        problem = self.shape_problem(body)
        if problem:
            self.rejected.append((400, problem))
            return 400, {"statusCode": "400", "statusName": "fail", "errorMessage": problem}
        behaviour = self.next_behaviour()
        if behaviour in ("500", "429", "401"):
            return int(behaviour), {"status": int(behaviour), "errorMessage": "fake failure"}
        if behaviour == "hang":
            raise _Hang
        answer = dict(_sample("ncp_sens_sms_send_response_202.json"))
        now = datetime.now(KST)
        n = next(self.ids)
        answer["requestId"] = f"VORSSA-{int(now.timestamp() * 1000)}-{n:04d}-{secrets.token_hex(4)}"
        answer["requestTime"] = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}"
        with self.lock:
            self.accepted.append({**body, "requestId": answer["requestId"], "messageId": f"msg-{n:06d}",
                                  "requestTime": now, "status": "PROCESSING", "statusName": None,
                                  "statusCode": None, "statusMessage": None, "completeTime": None})
        if behaviour == "accept_then_hang":
            raise _Hang
        return 202, answer

    @staticmethod
    def shape_problem(body: dict[str, Any]) -> str | None:
        allowed = {"type", "contentType", "countryCode", "from", "subject", "content", "messages"}
        if set(body) - allowed:
            return f"unknown fields {sorted(set(body) - allowed)}"
        if body.get("type") not in ("SMS", "LMS") or body.get("contentType", "COMM") != "COMM":
            return "type must be SMS or LMS, contentType COMM"
        if body.get("countryCode", "82") != "82" or not re.fullmatch(r"\d{8,12}", str(body.get("from", ""))):
            return "countryCode 82 and a registered sender number"
        content = body.get("content")
        if not isinstance(content, str) or not euc_kr_ok(content):
            return "content must be EUC-KR"
        size = len(content.encode("euc-kr"))
        if size > (90 if body["type"] == "SMS" else 2000):
            return f"content too long for {body['type']}: {size} bytes"
        if "subject" in body and (body["type"] != "LMS" or not euc_kr_ok(body["subject"])
                                  or len(body["subject"].encode("euc-kr")) > 40):
            return "subject only for LMS, at most 40 bytes"
        messages = body.get("messages")
        if not (isinstance(messages, list) and len(messages) == 1
                and re.fullmatch(r"01\d{8,9}", str(messages[0].get("to", "")))):
            return "messages: [{to: digits}]"
        return None

    def _message_summary(self, m: dict[str, Any]) -> dict[str, Any]:
        return {"requestId": m["requestId"], "messageId": m["messageId"],
                "requestTime": m["requestTime"].strftime("%Y-%m-%d %H:%M:%S"), "contentType": "COMM",
                "countryCode": "82", "from": m["from"], "to": m["messages"][0]["to"]}

    def list(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        if self.lookup_fails:
            return 500, {"status": 500, "errorMessage": "fake failure"}
        if "requestId" in query:
            rid = query["requestId"][0]
            items = [self._message_summary(m) for m in self.accepted if m["requestId"] == rid]
            return 200, {"requestId": rid, "statusCode": "202", "statusName": "success", "messages": items}
        start, end = query.get("requestStartTime", [""])[0], query.get("requestEndTime", [""])[0]
        fmt = "%Y-%m-%d %H:%M:%S"
        try:
            lo, hi = (datetime.strptime(v, fmt).replace(tzinfo=KST) for v in (start, end))
        except ValueError:
            return 400, {"statusCode": "400", "statusName": "fail", "errorMessage": "requestId or a time window"}
        items = [self._message_summary(m) for m in self.accepted
                 if lo <= m["requestTime"].replace(microsecond=0) <= hi]
        return 200, {"statusCode": "202", "statusName": "success", "messages": items}

    def result(self, message_id: str) -> tuple[int, Any]:
        if self.lookup_fails:
            return 500, {"status": 500, "errorMessage": "fake failure"}
        for m in self.accepted:
            if m["messageId"] == message_id:
                item = {**self._message_summary(m), "content": m["content"], "status": m["status"],
                        "statusCode": m["statusCode"], "statusName": m["statusName"],
                        "statusMessage": m["statusMessage"], "completeTime": m["completeTime"], "telcoCode": "SKT"}
                return 200, {"statusCode": "200", "statusName": "success", "messages": [item]}
        return 404, {"error": {"errorCode": "404", "message": "Not Found"}}

    def complete(self, index: int = 0, *, success: bool = True, at: str = "2026-03-07 22:26:20") -> None:
        """The carrier's report arrives for accepted message ``index``."""
        with self.lock:
            self.accepted[index].update(status="COMPLETED", statusName="success" if success else "fail",
                                        statusCode="0" if success else "3043",
                                        statusMessage="성공" if success else "단말기 Power off", completeTime=at)


# -- Solapi v4 -----------------------------------------------------------------------------------
AUTH_RE = re.compile(r"HMAC-SHA256 apiKey=(?P<key>[^,\s]+), date=(?P<date>[^,\s]+), "
                     r"salt=(?P<salt>[^,\s]+), signature=(?P<sig>[0-9a-f]{64})")


class FakeSolapi(FakeGateway):
    def __init__(self) -> None:
        super().__init__()
        self.ids = itertools.count(1)
        self.seen_signatures: set[str] = set()

    def auth_problem(self, headers: Any) -> str | None:
        m = AUTH_RE.fullmatch(headers.get("Authorization", ""))
        if not m or m["key"] != SOLAPI_KEY:
            return "InvalidAPIKey"
        try:
            date = datetime.fromisoformat(m["date"].replace("Z", "+00:00"))
        except ValueError:
            return "InvalidAPIKey"
        if date.tzinfo is None or abs((datetime.now(timezone.utc) - date).total_seconds()) > 15 * 60:
            return "RequestTimeTooSkewed"
        if not 12 <= len(m["salt"]) <= 64:
            return "SignatureDoesNotMatch"
        expected = hmac.new(SOLAPI_SECRET.encode(), (m["date"] + m["salt"]).encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, m["sig"]):
            return "SignatureDoesNotMatch"
        with self.lock:
            if m["sig"] in self.seen_signatures:
                return "DuplicatedSignature"
            self.seen_signatures.add(m["sig"])
        return None

    def handle(self, method: str, path: str, headers: Any, raw: bytes) -> tuple[int, Any]:
        problem = self.auth_problem(headers)
        if problem:
            return 403, {"errorCode": problem, "errorMessage": "fake refusal"}
        url = urlsplit(path)
        if method == "POST" and url.path == "/messages/v4/send":
            return self.send(raw)
        if method == "GET" and url.path == "/messages/v4/list":
            return self.list(parse_qs(url.query))
        return 404, {"errorCode": "NotFound", "errorMessage": path}

    def send(self, raw: bytes) -> tuple[int, Any]:
        body = json.loads(raw.decode("utf-8"))
        msg = body.get("message") if isinstance(body, dict) else None
        problem = self.shape_problem(body, msg)
        if problem:
            self.rejected.append((400, problem))
            return 400, {"errorCode": "ValidationError", "errorMessage": problem}
        behaviour = self.next_behaviour()
        if behaviour in ("500", "429", "401"):
            return int(behaviour), {"errorCode": "InternalError", "errorMessage": "fake failure"}
        if behaviour == "hang":
            raise _Hang
        answer = dict(_sample("solapi_v4_send_response_official_doc_sample.json"))
        n = next(self.ids)
        answer.update(to=msg["to"], **{"from": msg["from"]}, type=msg["type"],
                      messageId=f"M4V{datetime.now(timezone.utc):%Y%m%d%H%M%S}{n:04d}FAKE",
                      groupId=f"G4V{datetime.now(timezone.utc):%Y%m%d%H%M%S}{n:04d}FAKE")
        with self.lock:
            self.accepted.append({**msg, "messageId": answer["messageId"], "groupId": answer["groupId"],
                                  "statusCode": "2000", "dateCreated": datetime.now(timezone.utc)})
        if behaviour == "accept_then_hang":
            raise _Hang
        return 200, answer

    @staticmethod
    def shape_problem(body: Any, msg: Any) -> str | None:
        if not isinstance(msg, dict) or set(body) - {"message", "strict", "agent"}:
            return "body must be {message: {...}}"
        allowed = {"to", "from", "text", "type", "subject", "customFields", "country", "autoTypeDetect"}
        if set(msg) - allowed:
            return f"unknown fields {sorted(set(msg) - allowed)}"
        if (not re.fullmatch(r"01\d{8,9}", str(msg.get("to", "")))
                or not re.fullmatch(r"\d{8,12}", str(msg.get("from", "")))):
            return "to and from: digits"
        if msg.get("type") not in ("SMS", "LMS") or not isinstance(msg.get("text"), str) or not euc_kr_ok(msg["text"]):
            return "1029 EUC-KR only"
        size = len(msg["text"].encode("euc-kr"))
        if size > (90 if msg["type"] == "SMS" else 2000):
            return "1031 too long"
        if "subject" in msg and (msg["type"] == "SMS" or len(msg["subject"].encode("euc-kr")) > 40):
            return "1013/1014 subject"
        fields = msg.get("customFields", {})
        if not isinstance(fields, dict) or any(len(k) > 30 or not isinstance(v, str) or len(v) > 100
                                               for k, v in fields.items()):
            return "1032 customFields"
        return None

    def list(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        if self.lookup_fails:
            return 500, {"errorCode": "InternalError", "errorMessage": "fake failure"}
        criteria, value = query.get("criteria", [""])[0], query.get("value", [""])[0]
        if query.get("cond", ["eq"])[0] != "eq" or criteria not in ("messageId", "to"):
            return 400, {"errorCode": "ValidationError", "errorMessage": "criteria"}
        since = query.get("startDate", [None])[0]
        lo = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        found = {}
        for m in self.accepted:
            if m.get(criteria) == value and (lo is None or m["dateCreated"] >= lo):
                found[m["messageId"]] = {
                    "_id": m["messageId"], "messageId": m["messageId"], "groupId": m["groupId"], "type": m["type"],
                    "country": "82", "statusCode": m["statusCode"], "text": m["text"], "from": m["from"],
                    "to": m["to"], "customFields": m.get("customFields", {}),
                    "dateCreated": m["dateCreated"].isoformat().replace("+00:00", "Z"),
                    "dateReceived": m.get("dateReceived"), "reason": m.get("reason"),
                }
        return 200, {"startKey": None, "limit": 20, "messageList": found}

    def complete(self, index: int = 0, *, code: str = "4000", at: str = "2026-03-07T13:26:20.000Z") -> None:
        with self.lock:
            self.accepted[index].update(statusCode=code, dateReceived=at,
                                        reason=None if code == "4000" else "단말기 Power off")
