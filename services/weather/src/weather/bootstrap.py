"""The one place that wires weather together. Tests build the app here too (and pass a clock,
a transport to a fake KMA server, or a sleep function)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from sunmoon.logging import get_logger
from sunmoon.http import SecurityHeaders
from sunmoon import apierrors
from sunmoon.runtime import Runtime, health_routes, lifespan

from . import api, api_weather, policy
from .fakekma import create_fake_app
from .grid_table import default_table
from .kma import KmaClient
from .poller import Poller, close_quietly
from .settings import WeatherSettings
from .subscriptions import subscriptions
from .warning_status import WarningArea

log = get_logger(__name__)
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
SIMULATED_KEY = "SIMULATED-NO-KEY"  # what the client sends the fake when no real key is configured

DESCRIPTION = """
Weather keeps the observations that matter at night (rain, frost, wind) per KMA grid
cell and announces each one as `weather.observation.recorded.v1`; it watches KMA's weather
warnings for the city and announces each change as `weather.warning.changed.v1`.

A poller fetches KMA's now-cast for every grid cell of the city each hour (about :10-:15 KST)
and the warnings of forecast office 109 every ten minutes. Places are given as a KMA grid cell
(nx, ny), as WGS84 lat/lon (converted with KMA's Lambert conformal conic projection), or as a
읍·면·동 name (KMA's grid table). Duty officers can add observations by hand (HTTP or
`python -m weather record`). Other services ask `GET /api/v1/conditions` for the weather at a
complaint's place and time.
"""
SIMULATED_BANNER = """
**SIMULATED WEATHER.** No KMA service key is configured (`WEATHER_KMA_SERVICE_KEY`), so the
weather comes from the built-in fake KMA server (scenario `{scenario}`), not from KMA. Every
observation and warning says `simulated: true`; `GET /api/v1/status` says so too.
"""


def _report_death(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("weather poller died", error=repr(task.exception()))


def warning_area(settings: WeatherSettings) -> WarningArea:
    place = default_table().city(settings.city)[0]
    where = WarningArea.from_city(place.level1, place.level2)
    return replace(where, area=settings.warning_area) if settings.warning_area else where


def create_app(
    settings: WeatherSettings,
    *,
    clock: Callable[[], datetime] | None = None,
    kma_transport: httpx.AsyncBaseTransport | None = None,
    kma_sleep: Callable[[float], Awaitable[Any]] | None = None,
) -> FastAPI:
    cells = default_table().city_cells(settings.city)
    where = warning_area(settings)
    fake_app = None
    if settings.in_process_fake and kma_transport is None:
        fake_app = create_fake_app(settings.fake_kma_scenario, clock=clock)
        kma_transport = httpx.ASGITransport(app=fake_app)

    def make_runtime(_app: FastAPI) -> Runtime:
        return Runtime(settings, migrations_dir=MIGRATIONS, subscriptions=subscriptions())

    base_lifespan = lifespan(make_runtime)

    @contextlib.asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with base_lifespan(app):
            client = KmaClient(
                settings.resolved_kma_base_url,
                settings.kma_service_key.get_secret_value() or SIMULATED_KEY,
                timeout=settings.kma_timeout_s, retries=settings.kma_retries, backoff=settings.kma_backoff_s,
                page_size=settings.kma_page_size, data_type=settings.kma_data_type, transport=kma_transport,
                sleep=kma_sleep or asyncio.sleep)
            poller = Poller(app.state.runtime.pool, client, settings, cells=cells, where=where, clock=clock)
            app.state.poller = poller
            stop = asyncio.Event()
            task = asyncio.create_task(poller.run(stop), name="weather-poller") if settings.poll else None
            if task is not None:
                task.add_done_callback(_report_death)
            try:
                yield
            finally:
                stop.set()
                if task is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(task, timeout=10)
                await close_quietly(client)

    description = DESCRIPTION
    if settings.simulated:
        description = SIMULATED_BANNER.format(scenario=settings.fake_kma_scenario or "external") + DESCRIPTION
    app = FastAPI(title="Sun to Moon — weather" + (" (SIMULATED)" if settings.simulated else ""),
                  version="1.1.0", description=description, lifespan=_lifespan)
    app.state.settings = settings
    policy.install(app)  # who may call what (policy.py), before any route is added
    app.state.cells = cells
    app.state.warning_area = where
    app.state.fake_kma = fake_app.state.fake if fake_app is not None else None
    app.state.clock = clock
    api.install(app)
    api_weather.install(app)
    health_routes(app)
    apierrors.install(app)  # 422 for an unreadable body; 422 documented as list or message
    app.add_middleware(SecurityHeaders)  # nosniff, frame, referrer, HSTS over HTTPS, CSP (sunmoon.http)
    return app
