"""Reading KMA's values and answers: missing markers, text amounts, XML, gateway errors, error classes."""

import pytest

from weather.kma import normalize_service_key
from weather.kmaformat import (
    Amount,
    KmaConfigurationError,
    KmaNoData,
    KmaQuotaExceeded,
    KmaRequestError,
    KmaTransientError,
    error_for,
    parse_amount,
    parse_page,
    parse_value,
)

GATEWAY_22 = b"""<OpenAPI_ServiceResponse>
	<cmmMsgHeader>
		<errMsg>SERVICE ERROR</errMsg>
		<returnAuthMsg>LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR</returnAuthMsg>
		<returnReasonCode>22</returnReasonCode>
	</cmmMsgHeader>
</OpenAPI_ServiceResponse>"""

XML_OK = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<response><header><resultCode>00</resultCode>"
          "<resultMsg>NORMAL_SERVICE</resultMsg></header><body><dataType>XML</dataType><items>"
          "<item><baseDate>20260114</baseDate><baseTime>0600</baseTime><category>PTY</category><nx>55</nx>"
          "<ny>127</ny><obsrValue>0</obsrValue></item>"
          "<item><baseDate>20260114</baseDate><baseTime>0600</baseTime><category>T1H</category><nx>55</nx>"
          "<ny>127</ny><obsrValue>-7.2</obsrValue></item>"
          "</items><numOfRows>10</numOfRows><pageNo>1</pageNo><totalCount>8</totalCount></body></response>").encode()


@pytest.mark.parametrize(("raw", "expected"), [
    ("11.3", 11.3), ("-0.1", -0.1), ("0", 0.0), (" 47 ", 47.0), (3, 3.0),
    ("-998.9", None), ("999", None), ("900", None), ("-900", None), ("899.9", 899.9), ("", None), (None, None),
])
def test_numbers_and_missing_markers(raw, expected):
    assert parse_value(raw) == expected


@pytest.mark.parametrize(("text", "low", "high", "unit", "estimate"), [
    ("강수없음", 0.0, 0.0, "mm", 0.0),
    ("적설없음", 0.0, 0.0, "cm", 0.0),
    ("1.0mm 미만", 0.0, 1.0, "mm", 0.5),
    ("1mm 미만", 0.0, 1.0, "mm", 0.5),
    ("0.5cm 미만", 0.0, 0.5, "cm", 0.25),
    ("2.5mm", 2.5, 2.5, "mm", 2.5),
    ("30.0~50.0mm", 30.0, 50.0, "mm", 40.0),
    ("50.0mm 이상", 50.0, None, "mm", 50.0),
    ("5.0cm 이상", 5.0, None, "cm", 5.0),
])
def test_text_amounts_keep_the_text(text, low, high, unit, estimate):
    amount = parse_value(text)
    assert isinstance(amount, Amount)
    assert (amount.text, amount.low, amount.high, amount.unit, amount.estimate) == (text, low, high, unit, estimate)
    assert amount.high_exclusive == text.endswith("미만")
    assert amount.exact == (low == high and not text.endswith("미만"))


def test_unknown_wording_keeps_the_text_without_a_number():
    amount = parse_amount("많음")
    assert amount.text == "많음" and amount.estimate is None


def test_xml_answer():
    page = parse_page(XML_OK)
    assert page.data_type == "XML" and (page.page_no, page.num_of_rows, page.total_count) == (1, 10, 8)
    assert page.items[1] == {"baseDate": "20260114", "baseTime": "0600", "category": "T1H", "nx": "55",
                             "ny": "127", "obsrValue": "-7.2"}


def test_xml_provider_error():
    body = (b'<?xml version="1.0" encoding="UTF-8"?>\r\n<response><header><resultCode>03</resultCode>'
            b"<resultMsg>NO_DATA</resultMsg></header></response>")
    with pytest.raises(KmaNoData):
        parse_page(body)


def test_gateway_error_even_when_json_was_asked():
    with pytest.raises(KmaQuotaExceeded) as info:
        parse_page(GATEWAY_22, status=200, operation="getUltraSrtNcst")
    assert info.value.code == "22" and "LIMITED_NUMBER" in str(info.value)
    assert "getUltraSrtNcst" in str(info.value)


@pytest.mark.parametrize(("code", "kind"), [
    ("01", KmaTransientError), ("02", KmaTransientError), ("04", KmaTransientError), ("05", KmaTransientError),
    ("99", KmaTransientError), ("03", KmaNoData), ("3", KmaNoData), ("10", KmaRequestError),
    ("11", KmaRequestError), ("22", KmaQuotaExceeded), ("12", KmaConfigurationError),
    ("20", KmaConfigurationError), ("21", KmaConfigurationError), ("30", KmaConfigurationError),
    ("31", KmaConfigurationError), ("32", KmaConfigurationError), ("33", KmaConfigurationError),
    ("77", KmaRequestError),  # a code we do not know: not retried
])
def test_error_classes(code, kind):
    error = error_for(code, "msg")
    assert type(error) is kind
    assert error.retry == (kind is KmaTransientError)
    if kind is KmaConfigurationError:
        assert error.hint


@pytest.mark.parametrize(("status", "body", "kind"), [
    (500, b"<html>500</html>", KmaTransientError),
    (502, b"", KmaTransientError),
    (200, b"", KmaTransientError),
    (200, b"<html><body>maintenance</body></html>", KmaTransientError),
    (200, b'{"response": {"header": {"resultCode": "00"}}}', KmaTransientError),
    (200, b"{not json", KmaTransientError),
    (401, b"Unauthorized", KmaConfigurationError),
    (404, b"", KmaConfigurationError),
    (429, b"Too Many Requests", KmaTransientError),
])
def test_http_level_failures(status, body, kind):
    with pytest.raises(kind):
        parse_page(body, status=status)


def test_empty_items_and_single_item():
    empty = b'{"response":{"header":{"resultCode":"00","resultMsg":"NORMAL_SERVICE"},"body":{"dataType":"JSON",' \
            b'"items":"","pageNo":1,"numOfRows":10,"totalCount":0}}}'
    assert parse_page(empty).items == []
    single = b'{"response":{"header":{"resultCode":"00","resultMsg":"NORMAL_SERVICE"},"body":{"dataType":"JSON",' \
             b'"items":{"item":{"category":"T1H","obsrValue":"1"}},"pageNo":1,"numOfRows":10,"totalCount":1}}}'
    assert parse_page(single).items == [{"category": "T1H", "obsrValue": "1"}]


def test_encoded_and_decoded_keys_are_the_same_key():
    decoded = "ab+cd/ef=="
    assert normalize_service_key("ab%2Bcd%2Fef%3D%3D") == decoded
    assert normalize_service_key(f"  {decoded}\n") == decoded


async def test_the_service_key_stays_out_of_the_logs(caplog):
    import logging

    import httpx

    from weather.kma import KmaClient

    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(503, content=b"<html>busy</html>")

    caplog.set_level(logging.DEBUG)
    sleeps = []

    async def sleep(s):
        sleeps.append(s)

    async with KmaClient("http://kma.test/1360000", "SECRET%2BKEY", transport=httpx.MockTransport(answer),
                         retries=1, backoff=0.1, sleep=sleep) as client:
        with pytest.raises(KmaTransientError):
            await client.warning_status()
    assert len(seen) == 2 and "serviceKey=SECRET%2BKEY" in seen[0]  # sent once encoded (not %252B)
    assert sleeps == [0.1]
    assert "SECRET" not in caplog.text
