"""The one place that wires reporting together. Tests build the app here too."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sunmoon.runtime import Runtime, health_routes, lifespan

from . import api
from .settings import ReportingSettings
from .subscriptions import subscriptions

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """
Reporting folds every event of the system into its own read model and answers summaries:
how many complaints came in, where they stand, of which type and urgency. The read model
holds no personal data (no names, phone numbers or addresses; the district is the finest
place), so it can feed reports and analytics freely.
"""


def create_app(settings: ReportingSettings) -> FastAPI:
    def make_runtime(_app: FastAPI) -> Runtime:
        # Reporting publishes nothing yet, so no outbox relay runs.
        return Runtime(settings, migrations_dir=MIGRATIONS, subscriptions=subscriptions(), publishes=False)

    app = FastAPI(title="Sun to Moon — reporting", version="1.0.0", description=DESCRIPTION,
                  lifespan=lifespan(make_runtime))
    app.state.settings = settings
    api.install(app)
    health_routes(app)
    return app
