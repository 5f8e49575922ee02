"""A fake KMA (data.go.kr) server that speaks the real protocol, for development and tests.

Same paths (``/1360000/VilageFcstInfoService_2.0/getUltraSrtNcst`` ...), the same JSON and XML
shapes as the real samples in ``shared/data/kma/samples`` (string values, ``items.item``, paging
with ``pageNo``/``numOfRows``/``totalCount``), provider errors as a header without a body (03
NO_DATA for a base time not released yet, 10 for one too old), and gateway errors as XML
``OpenAPI_ServiceResponse`` with HTTP 200 even when JSON was asked for.

Run it: ``python -m weather fake-kma --port 8090 --scenario heavy_rain``. The weather service
runs one in-process when it has no KMA key (``WEATHER_FAKE_KMA_SCENARIO``). Switch scenario or
failure at run time with ``PUT /_fake`` (``{"scenario": "cold_wave"}``, ``{"fail": "quota"}``).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response

from . import domain
from .fakekma_data import (
    SCENARIOS,
    Scenario,
    Telegrams,
    gateway_error,
    nowcast_items,
    ok,
    provider_error,
    ultra_items,
    village_items,
)

__all__ = ["FAIL_MODES", "SCENARIOS", "FakeKma", "FakeServer", "create_fake_app", "serve_in_thread"]

FAIL_MODES = {
    "nodata_latest": "03 NO_DATA for the newest base time (the client must fall back one)",
    "quota": "gateway code 22: the daily quota is spent",
    "unregistered_key": "gateway code 30: SERVICE_KEY_IS_NOT_REGISTERED_ERROR",
    "timeout": "answer only after delay_s seconds (longer than the client waits)",
    "server_error": "HTTP 500",
}
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(domain.KST)


@dataclass
class FakeKma:
    """The fake's state; tests and ``PUT /_fake`` change it while it runs."""

    scenario: str = "clear_night"
    clock: Clock = _now
    fail: str | None = None
    fail_times: int | None = None  # None: until changed; n: the next n matching requests
    fail_only: str | None = None  # only this operation, e.g. getUltraSrtNcst
    delay_s: float = 30.0
    require_key: str | None = None  # None: any non-empty key is "registered"
    telegrams: Telegrams = field(default_factory=Telegrams)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.set_scenario(self.scenario, at=self.clock() - timedelta(hours=1))

    @property
    def current(self) -> Scenario:
        return SCENARIOS[self.scenario]

    def set_scenario(self, name: str, *, at: datetime | None = None) -> None:
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; one of: {', '.join(SCENARIOS)}")
        self.scenario = name
        self.telegrams.announce(SCENARIOS[name].in_force, at or self.clock())

    def set_fail(self, mode: str | None, *, times: int | None = None, only: str | None = None) -> None:
        if mode is not None and mode not in FAIL_MODES:
            raise ValueError(f"unknown failure {mode!r}; one of: {', '.join(FAIL_MODES)}")
        self.fail, self.fail_times, self.fail_only = mode, times, only

    def count(self, operation: str | None = None) -> int:
        return sum(1 for op, _ in self.requests if operation in (None, op))

    def _failing(self, operation: str) -> str | None:
        if self.fail is None or (self.fail_only and self.fail_only != operation):
            return None
        mode = self.fail
        if self.fail_times is not None:
            self.fail_times -= 1
            if self.fail_times <= 0:
                self.fail, self.fail_times = None, None
        return mode

    def describe(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "description": self.current.description, "fail": self.fail,
                "fail_times": self.fail_times, "fail_only": self.fail_only, "delay_s": self.delay_s,
                "requests": len(self.requests), "telegrams": len(self.telegrams.items),
                "scenarios": {n: s.description for n, s in SCENARIOS.items()}, "fail_modes": FAIL_MODES}


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


# -- the answers ------------------------------------------------------------------------------------
_FORECAST = {  # operation -> (its items, the newest base time released at a moment, how long KMA keeps it)
    "getUltraSrtNcst": (nowcast_items, domain.nowcast_base, timedelta(days=1)),
    "getUltraSrtFcst": (ultra_items, domain.ultra_forecast_base, timedelta(days=1)),
    "getVilageFcst": (village_items, domain.village_forecast_base, timedelta(days=3)),
}


def _base_time(operation: str, q: dict[str, str], data_type: str) -> datetime:
    try:
        base = datetime.strptime(q["base_date"] + q["base_time"], "%Y%m%d%H%M").replace(tzinfo=domain.KST)
        nx, ny = int(q["nx"]), int(q["ny"])
    except KeyError:
        raise _Refused(provider_error("11", "NO_MANDATORY_REQUEST_PARAMETERS_ERROR", data_type)) from None
    except ValueError:
        raise _Refused(provider_error("10", "INVALID_REQUEST_PARAMETER_ERROR", data_type)) from None
    if not domain.in_grid(nx, ny):
        raise _Refused(provider_error("10", "INVALID_REQUEST_PARAMETER_ERROR", data_type))
    if operation == "getUltraSrtNcst":
        return base.replace(minute=0)
    if operation == "getUltraSrtFcst":
        return base.replace(minute=30) if base.minute >= 30 else base.replace(minute=30) - timedelta(hours=1)
    if base.hour not in domain.VILLAGE_FORECAST_HOURS or base.minute:
        raise _Refused(provider_error("10", "INVALID_REQUEST_PARAMETER_ERROR", data_type))
    return base


def _forecast_items(fake: FakeKma, operation: str, q: dict[str, str], data_type: str) -> list[dict]:
    make, newest_at, history = _FORECAST[operation]
    base = _base_time(operation, q, data_type)
    now = fake.clock()
    newest = newest_at(now)
    if base > newest or (fake.fail == "nodata_latest" and base == newest and fake._failing(operation)):
        raise _Refused(provider_error("03", "NO_DATA", data_type))
    if base < domain.kst(now) - history:
        days = history.days
        raise _Refused(provider_error("10", f"최근 {days}일 간의 자료만 제공합니다.", data_type))
    return make(fake.current, int(q["nx"]), int(q["ny"]), base)


def _warning_items(fake: FakeKma, operation: str, q: dict[str, str]) -> list[dict]:
    now = fake.clock()
    if operation == "getPwnStatus":
        return [fake.telegrams.status(now)]
    today = f"{domain.kst(now):%Y%m%d}"
    station = q.get("stnId", "")
    if station and station != str(fake.telegrams.station):
        return []
    listed = fake.telegrams.listed(q.get("fromTmFc", today), q.get("toTmFc", today), now)
    if operation == "getWthrWrnList":
        return [{k: t[k] for k in ("stnId", "title", "tmFc", "tmSeq")} for t in listed]
    return [dict(t) for t in listed]


async def _answer(fake: FakeKma, service: str, operation: str, request: Request) -> Response:
    q = dict(request.query_params)
    fake.requests.append((operation, q))
    data_type = q.get("dataType", "XML").upper()  # the real default is XML
    key = q.get("serviceKey") or q.get("ServiceKey") or ""
    if not key or (fake.require_key is not None and key != fake.require_key):
        return gateway_error("30")
    mode = fake._failing(operation) if fake.fail != "nodata_latest" else None
    if mode == "timeout":
        await asyncio.sleep(fake.delay_s)
    elif mode == "server_error":
        return Response(b"<html><body><h1>500 Internal Server Error</h1></body></html>", status_code=500,
                        media_type="text/html")
    elif mode == "quota":
        return gateway_error("22")
    elif mode == "unregistered_key":
        return gateway_error("30")
    try:
        if service == "VilageFcstInfoService_2.0" and operation in _FORECAST:
            items = _forecast_items(fake, operation, q, data_type)
        elif service == "WthrWrnInfoService" and operation in ("getPwnStatus", "getWthrWrnList", "getWthrWrnMsg"):
            items = _warning_items(fake, operation, q)
        else:
            return provider_error("12", "NO_OPENAPI_SERVICE_ERROR", data_type)
    except _Refused as refused:
        return refused.response
    if not items:
        return provider_error("03", "NO_DATA", data_type)
    try:
        page_no, rows = max(1, int(q.get("pageNo", 1))), max(1, int(q.get("numOfRows", 10)))
    except ValueError:
        return provider_error("10", "INVALID_REQUEST_PARAMETER_ERROR", data_type)
    return ok(items[(page_no - 1) * rows: page_no * rows], data_type, page_no, rows, len(items))


def create_fake_app(scenario: str = "clear_night", *, clock: Clock | None = None, fail: str | None = None,
                    fail_times: int | None = None, fail_only: str | None = None, delay_s: float = 30.0,
                    require_key: str | None = None) -> FastAPI:
    fake = FakeKma(scenario=scenario, clock=clock or _now, delay_s=delay_s, require_key=require_key)
    fake.set_fail(fail, times=fail_times, only=fail_only)
    app = FastAPI(title="Fake KMA (data.go.kr) — SIMULATED weather", docs_url="/_fake/docs",
                  openapi_url="/_fake/openapi.json",
                  description="Speaks KMA's VilageFcstInfoService_2.0 and WthrWrnInfoService protocol.")
    app.state.fake = fake

    @app.get("/1360000/{service}/{operation}", include_in_schema=False)
    async def kma(service: str, operation: str, request: Request) -> Response:
        return await _answer(fake, service, operation, request)

    @app.get("/_fake")
    async def show() -> dict[str, Any]:
        return fake.describe()

    @app.put("/_fake")
    async def change(body: dict[str, Any]) -> dict[str, Any]:
        try:
            if "scenario" in body:
                fake.set_scenario(str(body["scenario"]))
            if "fail" in body:
                fake.set_fail(body["fail"], times=body.get("fail_times"), only=body.get("fail_only"))
            if "delay_s" in body:
                fake.delay_s = float(body["delay_s"])
        except (TypeError, ValueError) as exc:
            raise HTTPException(422, str(exc)) from None
        return fake.describe()

    return app


# -- running it ------------------------------------------------------------------------------------
class FakeServer:
    """A fake KMA server on a real socket, in a thread (tests, ``serve_in_thread``)."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        self.app = app
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = host, self._sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1,
                                access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name=f"fake-kma:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        """The base URL to give the client (WEATHER_KMA_BASE_URL)."""
        return f"http://{self.host}:{self.port}/1360000"

    @property
    def fake(self) -> FakeKma:
        return self.app.state.fake

    def start(self, timeout: float = 10.0) -> FakeServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake KMA server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)
        self._sock.close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *_exc: Any) -> None:
        self.stop()


def serve_in_thread(port: int = 0, scenario: str = "clear_night", *, host: str = "127.0.0.1",
                    **options: Any) -> FakeServer:
    """Start a fake KMA server in a background thread; ``.url`` is its base URL, ``.stop()`` ends it."""
    return FakeServer(create_fake_app(scenario, **options), host, port).start()


def add_arguments(p: Any) -> None:
    import argparse

    p.description = ("Run a fake KMA (data.go.kr) server that answers like the real one: now-cast, forecasts and "
                     "weather warnings for any grid cell, from a scenario. Point the weather service at it with "
                     "WEATHER_KMA_BASE_URL=http://HOST:PORT/1360000 and WEATHER_FAKE_KMA_SCENARIO=external.")
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = ("scenarios:\n" + "\n".join(f"  {n:<14} {s.description}" for n, s in SCENARIOS.items())
                + "\nfailures (--fail):\n" + "\n".join(f"  {n:<17} {d}" for n, d in FAIL_MODES.items())
                + "\n\nchange while it runs: curl -X PUT localhost:8090/_fake -H 'content-type: application/json'"
                  " -d '{\"scenario\": \"cold_wave\"}'")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8090, help="port (default 8090)")
    p.add_argument("--scenario", default="clear_night", choices=sorted(SCENARIOS), help="the weather (default clear_night)")
    p.add_argument("--fail", choices=sorted(FAIL_MODES), help="answer every request with this failure")
    p.add_argument("--fail-times", type=int, help="only the next N requests fail")
    p.add_argument("--delay", type=float, default=30.0, help="seconds the 'timeout' failure waits (default 30)")
    p.add_argument("--key", help="accept only this service key (default: any non-empty key)")


def run_from_args(args: Any) -> int:
    import uvicorn

    app = create_fake_app(args.scenario, fail=args.fail, fail_times=args.fail_times, delay_s=args.delay,
                          require_key=args.key)
    print(f"fake KMA (SIMULATED weather, scenario {args.scenario}) on http://{args.host}:{args.port}/1360000",
          flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0
