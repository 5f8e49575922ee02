"""The geocoding clients (VWorld, Kakao Local) against a fake geocoder that is a real HTTP server speaking
their protocols, incl. their error answers; and the cache."""

from __future__ import annotations

import time

import pytest
from pydantic import SecretStr

from intake import geocoding
from intake.geocoding import CachedGeocoder, GeocodeError, KakaoGeocoder, VWorldGeocoder
from intake.settings import IntakeSettings

from .fake_geocoder import GOOD_KEY, QUOTA_KEY, FakeGeocoder


@pytest.fixture
def fake():
    with FakeGeocoder() as server:
        yield server


async def test_vworld_road_address_found_with_its_dong(fake):
    g = VWorldGeocoder(GOOD_KEY, fake.url, timeout=2)
    [r] = await g.geocode("김포시 사우중로 1")
    assert (r.lat, r.lon, r.area, r.road, r.provider) == (37.6153, 126.7155, "사우동", "사우중로", "vworld")
    assert r.address == "경기도 김포시 사우중로 1"
    req = fake.requests[-1]
    assert req["path"] == "/req/address"
    assert {k: req["params"][k] for k in ("service", "request", "version", "crs", "type", "format", "key")} == {
        "service": "address", "request": "getcoord", "version": "2.0", "crs": "epsg:4326", "type": "road",
        "format": "json", "key": GOOD_KEY}


async def test_vworld_falls_back_to_a_parcel_address_then_nothing(fake):
    g = VWorldGeocoder(GOOD_KEY, fake.url, timeout=2)
    [r] = await g.geocode("김포시 통진읍 마송리 100")
    assert r.area == "통진읍" and r.road is None and r.address.endswith("마송리 100")
    assert [q["params"]["type"] for q in fake.requests] == ["road", "parcel"]
    assert await g.geocode("김포시 없는로 999") == []


@pytest.mark.parametrize(("key", "kind"), [("wrong", "key"), (QUOTA_KEY, "quota")])
async def test_vworld_errors_come_back_with_http_200_and_are_mapped(fake, key, kind):
    with pytest.raises(GeocodeError) as err:
        await VWorldGeocoder(key, fake.url, timeout=2).geocode("김포시 사우중로 1")
    assert err.value.kind == kind
    assert ("INVALID_KEY" if kind == "key" else "OVER_REQUEST_LIMIT") in err.value.detail
    assert "주소 검색" in err.value.message


async def test_kakao_found_not_found_and_errors(fake):
    g = KakaoGeocoder(GOOD_KEY, fake.url, timeout=2)
    [r] = await g.geocode("김포시 김포한강4로 125")
    assert (r.lat, r.lon, r.area, r.road, r.provider) == (37.642, 126.669, "장기동", "김포한강4로", "kakao")
    assert fake.requests[-1]["authorization"] == f"KakaoAK {GOOD_KEY}"
    assert fake.requests[-1]["path"] == "/v2/local/search/address.json"
    assert await g.geocode("김포시 없는로 999") == []
    for key, kind in (("wrong", "key"), (QUOTA_KEY, "quota")):
        with pytest.raises(GeocodeError) as err:
            await KakaoGeocoder(key, fake.url, timeout=2).geocode("김포시 사우중로 1")
        assert err.value.kind == kind


async def test_deadline_and_unreachable_server_are_unavailable(fake):
    started = time.monotonic()
    with pytest.raises(GeocodeError) as err:
        await KakaoGeocoder(GOOD_KEY, fake.url, timeout=0.5).geocode("김포시 slow 1")
    assert err.value.kind == "unavailable" and time.monotonic() - started < 2
    with pytest.raises(GeocodeError) as err:
        await VWorldGeocoder(GOOD_KEY, "http://127.0.0.1:9", timeout=1).geocode("김포시 사우중로 1")
    assert err.value.kind == "unavailable"


async def test_answers_are_cached_and_errors_are_not(fake):
    g = CachedGeocoder(KakaoGeocoder(GOOD_KEY, fake.url, timeout=2))
    first = await g.geocode("김포시  사우중로 1")
    assert await g.geocode("김포시 사우중로 1") == first and g.calls == 1 and len(fake.requests) == 1
    assert await g.geocode("김포시 없는로 9") == [] and await g.geocode("김포시 없는로 9") == [] and g.calls == 2
    bad = CachedGeocoder(KakaoGeocoder("wrong", fake.url, timeout=2))
    for _ in range(2):
        with pytest.raises(GeocodeError):
            await bad.geocode("김포시 사우중로 1")
    assert bad.calls == 2


def test_configured_only_with_a_provider_and_a_key():
    assert geocoding.from_settings(IntakeSettings()) is None
    assert geocoding.from_settings(IntakeSettings(geocoder="kakao")) is None       # no key: gazetteer only
    g = geocoding.from_settings(IntakeSettings(geocoder="vworld", geocoder_key=SecretStr("k")))
    assert isinstance(g.inner, VWorldGeocoder) and g.inner.base_url == geocoding.VWORLD_URL
    g = geocoding.from_settings(IntakeSettings(geocoder="kakao", geocoder_key=SecretStr("k"),
                                               geocoder_url="http://127.0.0.1:1/"))
    assert isinstance(g.inner, KakaoGeocoder) and g.inner.base_url == "http://127.0.0.1:1"
    with pytest.raises(ValueError):
        IntakeSettings(geocoder="google")
