"""Every real KMA answer in ../shared/data/kma/samples reads to the values it holds (written by reading them)."""

from datetime import datetime
from pathlib import Path

import httpx
import pytest

from weather import domain
from weather.kma import KmaClient, _telegram
from weather.kmaformat import (
    Amount,
    KmaConfigurationError,
    KmaNoData,
    KmaRequestError,
    KmaTransientError,
    parse_page,
    parse_value,
)
from weather.warning_status import parse_in_force

SAMPLES = Path(__file__).resolve().parents[5] / "shared" / "data" / "kma" / "samples"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="KMA samples not available")


def _read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _kst(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%d%H%M").replace(tzinfo=domain.KST)


NCST_2100 = "getUltraSrtNcst_json_nx61_ny126_20241104_2100.json"
NCST_RAIN = "getUltraSrtNcst_json_nx62_ny120_20220616_0000_raining.json"
FCST = "getUltraSrtFcst_json_nx61_ny126_20230630_0630_page1of2.json"
VILAGE = "getVilageFcst_json_nx55_ny127_20210920_0500_first11of742.json"
ERR03 = "getVilageFcst_json_error03_nodata_header.json"
ERR10 = "getVilageFcst_json_error10_only_recent_3days.json"
GATEWAY = "datagokr_gateway_error_xml_fragments_observed.txt"
PWN = "getPwnStatus_json_item_fragment_20260911.txt"
EXPECTED = {NCST_2100, NCST_RAIN, FCST, VILAGE, ERR03, ERR10, GATEWAY, PWN}


def test_every_sample_has_expectations_here():
    assert {p.name for p in SAMPLES.iterdir()} == EXPECTED


def _client_answering(body: bytes) -> KmaClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    return KmaClient("http://kma.test/1360000", "key", transport=transport, retries=0)


@pytest.mark.parametrize(("name", "nx", "ny", "base", "values", "rows"), [
    (NCST_2100, 61, 126, "202411042100",
     {"PTY": 0, "REH": 47, "RN1": 0, "T1H": 11.3, "UUU": 1.8, "VEC": 276, "VVV": -0.1, "WSD": 1.8}, 1000),
    (NCST_RAIN, 62, 120, "202206160000",
     {"PTY": 1, "REH": 100, "RN1": 0, "T1H": 17.6, "UUU": 1.4, "VEC": 239, "VVV": 0.8, "WSD": 1.6}, 600),
])
async def test_nowcast_samples(name, nx, ny, base, values, rows):
    page = parse_page(_read(name))
    assert (page.page_no, page.num_of_rows, page.total_count, page.data_type) == (1, rows, 8, "JSON")
    assert all(isinstance(i["obsrValue"], str) for i in page.items)  # values are strings on the wire
    async with _client_answering(_read(name)) as client:
        nc = await client.nowcast(nx, ny, _kst(base))
    assert (nc.nx, nc.ny, nc.base_at) == (nx, ny, _kst(base))
    assert nc.values == pytest.approx(values)
    assert nc.raw["T1H"] == str(values["T1H"])


async def test_ultra_short_forecast_sample_first_page():
    page = parse_page(_read(FCST))
    assert (page.page_no, page.num_of_rows, page.total_count, len(page.items)) == (1, 30, 60, 30)
    async with _client_answering(_read(FCST)) as client:
        client.page_size = 30
        items = await client.ultra_forecast(61, 126, _kst("202306300630"))
    # the mock answers page 1 for every page; the client stops once it holds totalCount (60) items
    assert len(items) == 60 and client.requests == 2
    first = items[:30]
    by_cat: dict[str, list] = {}
    for i in first:
        by_cat.setdefault(i.category, []).append(i)
    assert list(by_cat) == ["LGT", "PTY", "RN1", "SKY", "T1H"]
    assert [i.forecast_at for i in by_cat["T1H"]] == [_kst(f"20230630{h:02d}00") for h in range(7, 13)]
    assert [i.value for i in by_cat["T1H"]] == [24, 25, 25, 25, 26, 27]
    assert [i.value for i in by_cat["SKY"]] == [4, 4, 3, 1, 1, 1]
    assert {i.value for i in by_cat["LGT"]} == {0} and {i.value for i in by_cat["PTY"]} == {0}
    rain = by_cat["RN1"][0]
    assert rain.raw == "강수없음" and rain.value == Amount("강수없음", 0.0, 0.0, "mm")
    assert all(i.base_at == _kst("202306300630") and (i.nx, i.ny) == (61, 126) for i in first)


def test_short_term_forecast_sample():
    page = parse_page(_read(VILAGE))
    assert (page.num_of_rows, page.total_count, len(page.items)) == (11, 742, 11)
    values = {i["category"]: parse_value(i["fcstValue"]) for i in page.items}
    assert values == {
        "TMP": 20, "UUU": -1.9, "VVV": 1.4, "VEC": 125, "WSD": 2.4, "SKY": 1, "PTY": 0, "POP": 0,
        "PCP": Amount("강수없음", 0.0, 0.0, "mm"), "REH": 85, "SNO": Amount("적설없음", 0.0, 0.0, "cm"),
    }
    assert {(i["fcstDate"], i["fcstTime"], i["baseTime"]) for i in page.items} == {("20210920", "0600", "0500")}


def test_provider_errors_are_a_header_without_body():
    with pytest.raises(KmaNoData) as nodata:
        parse_page(_read(ERR03), operation="getVilageFcst")
    assert (nodata.value.code, nodata.value.message) == ("03", "NO_DATA")
    with pytest.raises(KmaRequestError) as old:
        parse_page(_read(ERR10), operation="getVilageFcst")
    assert old.value.code == "10" and old.value.message == "최근 3일 간의 자료만 제공합니다."
    assert not old.value.retry


def test_gateway_error_fragments():
    first, second = _read(GATEWAY).decode().split("\nor\n")
    with pytest.raises(KmaTransientError) as app_error:
        parse_page(first.encode())
    assert app_error.value.code == "01" and "APPLICATION_ERROR" in app_error.value.message
    with pytest.raises(KmaConfigurationError) as key_error:
        parse_page(second.encode())
    assert key_error.value.code == "30" and "SERVICE_KEY_IS_NOT_REGISTERED_ERROR" in key_error.value.message
    assert "WEATHER_KMA_SERVICE_KEY" in key_error.value.hint


def test_warning_status_item():
    raw = _read(PWN).decode()
    body = ('{"response":{"header":{"resultCode":"00","resultMsg":"NORMAL_SERVICE"},"body":{"dataType":"JSON",'
            f'"items":{{"item":[{raw}]}},"pageNo":1,"numOfRows":10,"totalCount":1}}}}}}')
    page = parse_page(body.encode())
    assert page.items[0]["tmFc"] == 202609110600  # a number here, a string elsewhere
    telegram = _telegram(page.items[0], None)
    assert telegram is not None
    assert telegram.announced_at == _kst("202609110600") and telegram.effective_at == _kst("202609110800")
    assert telegram.seq == 77 and telegram.in_force == "o 없 음"
    assert parse_in_force(telegram.in_force) == [] and parse_in_force(telegram.preliminary) == []
