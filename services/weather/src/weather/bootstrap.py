"""The one place that wires weather together. Tests build the app here too."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sunmoon.runtime import Runtime, health_routes, lifespan

from . import api
from .settings import WeatherSettings
from .subscriptions import subscriptions

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """
Weather keeps the observations that matter at night (rain, frost, wind) per KMA grid
cell and announces each one as `weather.observation.recorded.v1`. Places are given as a
KMA grid cell (nx, ny) or as WGS84 lat/lon, converted with KMA's Lambert conformal conic
projection. Observations come from duty officers (HTTP or `python -m weather record`);
the KMA API client comes later.
"""


def create_app(settings: WeatherSettings) -> FastAPI:
    def make_runtime(_app: FastAPI) -> Runtime:
        return Runtime(settings, migrations_dir=MIGRATIONS, subscriptions=subscriptions())

    app = FastAPI(title="Sun to Moon — weather", version="1.0.0", description=DESCRIPTION,
                  lifespan=lifespan(make_runtime))
    app.state.settings = settings
    api.install(app)
    health_routes(app)
    return app
