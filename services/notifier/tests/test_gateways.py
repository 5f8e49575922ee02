"""The SENS and Solapi clients against local gateways that check them as the real ones do (no database)."""

import asyncio
import importlib.util
import json
import socket
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sunmoon.crypto import Revealed

from notifier import domain
from notifier.providers import OutgoingSms, ProviderError, SentRef
from notifier.providers.http import TokenBucket
from notifier.providers.sens import SensProvider
from notifier.providers.solapi import KEY_FIELD, SolapiProvider

_spec = importlib.util.spec_from_file_location("notifier_gateway_fakes",
                                               Path(__file__).with_name("test_gateways_fakes.py"))
fakes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fakes)

PHONE = "010-0103-1629"
KEY = "7d3c1e8a-0f59-4d38-9a43-0b8f4a2a11aa:w-water-1:primary"


@pytest.fixture
def sens_gateway():
    g = fakes.FakeSens()
    yield g
    g.close()


@pytest.fixture
def solapi_gateway():
    g = fakes.FakeSolapi()
    yield g
    g.close()


def sens(gateway, secret=fakes.SENS_SECRET, timeout=0.5):
    return SensProvider(access_key=fakes.SENS_ACCESS_KEY, secret_key=secret, service_id=fakes.SENS_SERVICE_ID,
                        base_url=gateway.url, timeout=timeout, rate_per_second=0)


def solapi(gateway, secret=fakes.SOLAPI_SECRET, timeout=0.5):
    return SolapiProvider(api_key=fakes.SOLAPI_KEY, api_secret=secret, base_url=gateway.url, timeout=timeout,
                          rate_per_second=0)


def sms(text: str, key: str = KEY) -> OutgoingSms:
    text = domain.euc_kr_safe(text)
    size = len(text.encode("euc-kr"))
    kind = domain.kind_for(size)
    return OutgoingSms(idempotency_key=key, recipient=Revealed(PHONE), sender="0319800000", text=text, kind=kind,
                       size_bytes=size, subject=domain.sms_subject(text) if kind == "LMS" else None)


SHORT = "[당직] 긴급 도로·보도 파손 / 사우동 123-45 / 현장 확인 바람"  # 40 characters, 60 EUC-KR bytes: an SMS
LONG_KOREAN = "[당직] 긴급 하수·배수·침수 / " + "사우동 골목 배수로가 막혀 물이 넘칩니다 " * 8 + "/ 확인: http://n.kr/ack/" + "b" * 22


def body(request) -> dict:
    return json.loads(request["body"].decode("utf-8"))


# -- SENS ------------------------------------------------------------------------------------------
async def test_sens_signs_each_request_and_sends_sms_or_lms_by_euc_kr_length(sens_gateway):
    p = sens(sens_gateway)
    try:
        short = await p.send(sms(SHORT))
        long = await p.send(sms(LONG_KOREAN))
    finally:
        await p.aclose()
    assert len(SHORT) == 40 and len(LONG_KOREAN) > 200  # 200-odd Korean characters: 397 bytes, an LMS
    assert not sens_gateway.rejected
    first, second = (body(r) for r in sens_gateway.sends())
    assert first == {"type": "SMS", "contentType": "COMM", "countryCode": "82", "from": "0319800000",
                     "content": SHORT, "messages": [{"to": "01001031629"}]}
    assert second["type"] == "LMS" and second["subject"] == "[당직] 긴급 하수·배수·침수"
    assert second["content"] == LONG_KOREAN
    # the real answer, with the request id the delivery results are looked up by
    assert short.provider == "sens" and short.request_id == sens_gateway.accepted[0]["requestId"]
    assert long.request_id.startswith("VORSSA-")
    headers = sens_gateway.sends()[0]["headers"]
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["x-ncp-iam-access-key"] == fakes.SENS_ACCESS_KEY
    assert abs(int(headers["x-ncp-apigw-timestamp"]) - time.time() * 1000) < 60_000


async def test_sens_refuses_a_wrong_signature_with_401_and_it_is_not_retried(sens_gateway):
    p = sens(sens_gateway, secret="not-the-secret")
    with pytest.raises(ProviderError) as err:
        await p.send(sms(SHORT))
    await p.aclose()
    assert err.value.status == 401 and not err.value.retryable and not err.value.in_doubt
    assert "Authentication Failed" in str(err.value) and sens_gateway.accepted == []


async def test_an_emoji_never_reaches_the_gateway(sens_gateway, solapi_gateway):
    text = domain.compose_sms(domain.SmsFacts(type="animal", urgency="urgent", address="김포시 운양동 🐗 출몰 ✅"),
                              "http://n.kr/ack/" + "c" * 22).text
    a, b = sens(sens_gateway), solapi(solapi_gateway)
    try:
        await a.send(sms(text))
        await b.send(sms(text))
    finally:
        await a.aclose()
        await b.aclose()
    sent = [body(sens_gateway.sends()[0])["content"], body(solapi_gateway.sends()[0])["message"]["text"]]
    for content in sent:
        assert "🐗" not in content and "✅" not in content and "운양동 ? 출몰 ?" in content
        assert fakes.euc_kr_ok(content)
    assert not sens_gateway.rejected and not solapi_gateway.rejected


@pytest.mark.parametrize(("behaviour", "retryable", "in_doubt"), [
    ("500", True, False), ("429", True, False), ("hang", True, True), ("accept_then_hang", True, True)])
async def test_sens_errors_are_classified(sens_gateway, behaviour, retryable, in_doubt):
    sens_gateway.script = [behaviour]
    sens_gateway.hang_seconds = 0.6
    p = sens(sens_gateway, timeout=0.2)
    with pytest.raises(ProviderError) as err:
        await p.send(sms(SHORT))
    await p.aclose()
    assert (err.value.retryable, err.value.in_doubt) == (retryable, in_doubt)
    assert "0103-1629" not in str(err.value)


async def test_connection_refused_is_certainly_not_sent():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    p = SensProvider(access_key="a", secret_key="b", service_id="c", base_url=f"http://127.0.0.1:{port}",
                     timeout=0.5, rate_per_second=0)
    with pytest.raises(ProviderError) as err:
        await p.send(sms(SHORT))
    await p.aclose()
    assert err.value.retryable and not err.value.in_doubt


async def test_sens_finds_an_interrupted_attempt_by_recipient_and_token(sens_gateway):
    token = "T" * domain.TOKEN_LENGTH
    text = f"[당직] 긴급 도로 / 사우동 / 확인: http://n.kr/ack/{token}"
    started = datetime.now(timezone.utc)
    p = sens(sens_gateway)
    try:
        await p.send(sms(text.replace(token, "E" * domain.TOKEN_LENGTH)))  # an earlier attempt, other token
        await p.send(sms(text))
        ref = SentRef(idempotency_key=KEY, recipient=Revealed(PHONE), token_hash=domain.token_hash(token),
                      started_at=started)
        found = await p.lookup(ref)
        missing = await p.lookup(SentRef(idempotency_key=KEY, recipient=Revealed(PHONE),
                                         token_hash=domain.token_hash("N" * domain.TOKEN_LENGTH), started_at=started))
        other = await p.lookup(SentRef(idempotency_key=KEY, recipient=Revealed("010-0000-0000"),
                                       token_hash=domain.token_hash(token), started_at=started))
    finally:
        await p.aclose()
    assert found is not None and found.message_id == sens_gateway.accepted[1]["messageId"]
    assert found.request_id == sens_gateway.accepted[1]["requestId"]
    assert missing is None and other is None
    window = [r["path"] for r in sens_gateway.requests if "requestStartTime" in r["path"]]
    assert window and "requestEndTime" in window[0]


async def test_sens_delivery_results(sens_gateway):
    p = sens(sens_gateway)
    try:
        result = await p.send(sms(SHORT))
        ref = SentRef(idempotency_key=KEY, recipient=Revealed(PHONE), token_hash=None,
                      started_at=datetime.now(timezone.utc), request_id=result.request_id)
        assert (await p.delivery(ref)).state == "pending"
        sens_gateway.complete(0, at="2026-03-07 22:26:20")
        done = await p.delivery(ref)
        assert done.state == "delivered" and done.message_id == sens_gateway.accepted[0]["messageId"]
        assert done.at == datetime(2026, 3, 7, 13, 26, 20, tzinfo=timezone.utc)  # completeTime is Korean time
        await p.send(sms(SHORT))
        sens_gateway.complete(1, success=False)
        failed = await p.delivery(SentRef(idempotency_key=KEY, recipient=Revealed(PHONE), token_hash=None,
                                          started_at=datetime.now(timezone.utc),
                                          request_id=sens_gateway.accepted[1]["requestId"]))
        assert failed.state == "failed" and "3043" in failed.reason and "Power off" in failed.reason
    finally:
        await p.aclose()


# -- Solapi ----------------------------------------------------------------------------------------
async def test_solapi_signs_each_request_and_carries_our_key(solapi_gateway):
    p = solapi(solapi_gateway)
    try:
        a = await p.send(sms(SHORT))
        b = await p.send(sms(LONG_KOREAN))  # right after: a fresh salt, so never a DuplicatedSignature
    finally:
        await p.aclose()
    assert not solapi_gateway.rejected
    first, second = (body(r)["message"] for r in solapi_gateway.sends())
    assert first == {"to": "01001031629", "from": "0319800000", "text": SHORT, "type": "SMS",
                     "customFields": {KEY_FIELD: KEY}}
    assert second["type"] == "LMS" and second["subject"] == "[당직] 긴급 하수·배수·침수"
    assert a.message_id == solapi_gateway.accepted[0]["messageId"] and b.request_id.startswith("G4V")
    auth = solapi_gateway.sends()[0]["headers"]["Authorization"]
    assert fakes.AUTH_RE.fullmatch(auth)


async def test_solapi_refuses_a_wrong_secret_with_403(solapi_gateway):
    p = solapi(solapi_gateway, secret="wrong")
    with pytest.raises(ProviderError) as err:
        await p.send(sms(SHORT))
    await p.aclose()
    assert err.value.status == 403 and not err.value.retryable and "SignatureDoesNotMatch" in str(err.value)


async def test_solapi_lookup_and_delivery(solapi_gateway):
    token = "S" * domain.TOKEN_LENGTH
    started = datetime.now(timezone.utc) - timedelta(seconds=1)
    p = solapi(solapi_gateway)
    try:
        await p.send(sms(f"[당직] 보통 소음 / 장기동 / 확인: http://n.kr/ack/{token}"))
        ref = SentRef(idempotency_key=KEY, recipient=Revealed(PHONE), token_hash=domain.token_hash(token),
                      started_at=started)
        found = await p.lookup(ref)
        assert found is not None and found.message_id == solapi_gateway.accepted[0]["messageId"]
        assert await p.lookup(SentRef(idempotency_key="other:key:primary", recipient=Revealed(PHONE),
                                      token_hash=domain.token_hash(token), started_at=started)) is None
        tracked = SentRef(idempotency_key=KEY, recipient=Revealed(PHONE), token_hash=None, started_at=started,
                          message_id=found.message_id)
        assert (await p.delivery(tracked)).state == "pending"
        solapi_gateway.complete(0, code="3000")
        assert (await p.delivery(tracked)).state == "pending"
        solapi_gateway.complete(0, code="4000", at="2026-03-07T13:26:20.000Z")
        done = await p.delivery(tracked)
        assert done.state == "delivered" and done.at == datetime(2026, 3, 7, 13, 26, 20, tzinfo=timezone.utc)
        solapi_gateway.complete(0, code="3043")
        failed = await p.delivery(tracked)
        assert failed.state == "failed" and failed.reason.startswith("3043")
    finally:
        await p.aclose()


async def test_token_bucket_limits_the_rate():
    bucket = TokenBucket(20, burst=1)
    start = time.monotonic()
    await asyncio.gather(*(bucket.acquire() for _ in range(6)))
    assert time.monotonic() - start >= 0.2  # 5 waits of 1/20 s after the first token
    unlimited = TokenBucket(0)
    start = time.monotonic()
    for _ in range(1000):
        await unlimited.acquire()
    assert time.monotonic() - start < 0.5
