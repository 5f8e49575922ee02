"""The KMA client against the fake KMA server on a real socket: fall-back, paging, XML, errors, retries."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from weather import domain
from weather.fakekma import serve_in_thread
from weather.kma import (
    KmaClient,
    KmaConfigurationError,
    KmaNoData,
    KmaQuotaExceeded,
    KmaRequestError,
    KmaTransientError,
)


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t


NOW = datetime(2026, 1, 15, 14, 12, tzinfo=domain.KST)


@pytest.fixture(scope="module")
def fake_server():
    server = serve_in_thread(0, "clear_night", clock=Clock(NOW))
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server):
    f = fake_server.fake
    f.set_fail(None)
    f.requests.clear()
    f.require_key = None
    f.delay_s = 30.0
    f.clock.t = NOW
    f.scenario = "clear_night"
    f.telegrams.items.clear()
    f.telegrams.in_force = "o 없음"
    yield f
    f.set_fail(None)


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _client(server, **kw) -> KmaClient:
    kw.setdefault("sleep", Sleeps())
    return KmaClient(server.url, kw.pop("key", "test-key"), **kw)


async def test_nowcast_newest_then_fall_back_one_base_time_on_03(fake_server, fake):
    async with _client(fake_server) as client:
        nc = await client.latest_nowcast(55, 128, NOW)
        assert nc.base_at == datetime(2026, 1, 15, 14, 0, tzinfo=domain.KST)
        assert nc.number("T1H") is not None and nc.number("PTY") == 0

        fake.set_fail("nodata_latest")
        fake.requests.clear()
        older = await client.latest_nowcast(55, 128, NOW)
    assert older.base_at == datetime(2026, 1, 15, 13, 0, tzinfo=domain.KST)
    assert [q["base_time"] for _, q in fake.requests] == ["1400", "1300"]


async def test_not_released_yet_is_03_and_too_old_is_10(fake_server, fake):
    async with _client(fake_server) as client:
        with pytest.raises(KmaNoData):
            await client.nowcast(55, 128, NOW + timedelta(hours=1))
        with pytest.raises(KmaRequestError) as old:
            await client.nowcast(55, 128, NOW - timedelta(days=2))
    assert old.value.code == "10" and "최근" in old.value.message


async def test_paging_until_total_count_json_and_xml(fake_server, fake):
    for data_type in ("JSON", "XML"):
        fake.requests.clear()
        async with _client(fake_server, page_size=100, data_type=data_type) as client:
            items = await client.latest_village_forecast(55, 128, NOW)
        pages = [q for op, q in fake.requests if op == "getVilageFcst"]
        assert [q["dataType"] for q in pages] == [data_type] * len(pages)
        assert [int(q["pageNo"]) for q in pages] == list(range(1, len(pages) + 1))
        assert len(pages) == -(-len(items) // 100) and len(items) > 500
        assert {i.base_at for i in items} == {datetime(2026, 1, 15, 14, 0, tzinfo=domain.KST)}
        assert {i.raw for i in items if i.category == "PCP"} == {"강수없음"}


async def test_ultra_forecast_text_amounts(fake_server, fake):
    fake.set_scenario("heavy_rain")
    try:
        async with _client(fake_server) as client:
            items = await client.latest_ultra_forecast(55, 128, NOW)
    finally:
        fake.set_scenario("clear_night")
    rain = [i for i in items if i.category == "RN1"]
    assert len(items) == 60 and len(rain) == 6
    assert {i.raw for i in rain} == {"30.0~50.0mm"} and rain[0].value.low == 30.0


async def test_timeout_is_retried_with_backoff(fake_server, fake):
    fake.delay_s = 1.0
    fake.set_fail("timeout", times=2)
    sleeps = Sleeps()
    async with _client(fake_server, timeout=0.2, retries=3, backoff=0.5, sleep=sleeps) as client:
        nc = await client.nowcast(55, 128, NOW.replace(minute=0))
    assert nc.number("T1H") is not None
    assert sleeps == [0.5, 1.0]  # exponential back-off between the three attempts
    assert fake.count("getUltraSrtNcst") == 3 and client.requests == 3


async def test_server_errors_give_up_after_the_retries(fake_server, fake):
    fake.set_fail("server_error")
    sleeps = Sleeps()
    async with _client(fake_server, retries=2, backoff=1.0, sleep=sleeps) as client:
        with pytest.raises(KmaTransientError) as info:
            await client.nowcast(55, 128, NOW.replace(minute=0))
    assert info.value.code == "500" and sleeps == [1.0, 2.0] and fake.count() == 3


async def test_quota_and_configuration_errors_are_not_retried(fake_server, fake):
    for mode, kind, code in (("quota", KmaQuotaExceeded, "22"), ("unregistered_key", KmaConfigurationError, "30")):
        fake.set_fail(mode)
        fake.requests.clear()
        sleeps = Sleeps()
        async with _client(fake_server, retries=3, sleep=sleeps, data_type="JSON") as client:
            with pytest.raises(kind) as info:
                await client.latest_nowcast(55, 128, NOW)
        assert info.value.code == code and sleeps == [] and fake.count() == 1


async def test_the_gateway_answers_xml_even_to_a_json_request(fake_server, fake):
    fake.set_fail("quota")
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{fake_server.url}/VilageFcstInfoService_2.0/getUltraSrtNcst",
                           params={"serviceKey": "k", "dataType": "JSON", "base_date": "20260115", "base_time": "1400",
                                   "nx": 55, "ny": 128, "pageNo": 1, "numOfRows": 10})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    assert r.text.startswith("<OpenAPI_ServiceResponse>") and "<returnReasonCode>22</returnReasonCode>" in r.text


async def test_encoded_key_is_sent_decoded(fake_server, fake):
    fake.require_key = "ab+cd/ef=="
    async with _client(fake_server, key="ab%2Bcd%2Fef%3D%3D") as client:
        assert (await client.latest_nowcast(55, 128, NOW)).number("T1H") is not None
    async with _client(fake_server, key="wrong") as client:
        with pytest.raises(KmaConfigurationError) as info:
            await client.latest_nowcast(55, 128, NOW)
    assert "WEATHER_KMA_SERVICE_KEY" in info.value.hint


async def test_warnings_of_station_109(fake_server, fake):
    async with _client(fake_server) as client:
        assert await client.newest_telegram(109, NOW) is None  # clear night: no telegram in six days
        status = await client.warning_status()
        assert status.in_force == "o 없 음"
        fake.set_scenario("heavy_rain")
        header = await client.newest_telegram(109, NOW)
        assert header is not None and "호우경보 발표" in header.title and header.in_force == ""
        full = await client.telegram(109, header)
        assert full.key == header.key and full.in_force.startswith("o 호우경보 : 경기도(김포")
        assert full.effective_at == header.announced_at
        fake.set_scenario("clear_night")
        newest = await client.newest_telegram(109, NOW)
        assert newest.seq == header.seq + 1 and "호우경보 해제" in newest.title


def test_fake_kma_command_line_help():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "weather", "fake-kma", "--help"], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    for word in ("--port", "--scenario", "heavy_rain", "cold_wave", "clear_night", "quota", "timeout"):
        assert word in done.stdout
