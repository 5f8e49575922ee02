"""The one place that wires the classifier together. Tests build the app here too."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sunmoon.runtime import Runtime, health_routes, lifespan

from . import api
from .settings import ClassifierSettings
from .subscriptions import subscriptions

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """
The classifier reads every complaint intake announces (`intake.complaint.received.v1`),
gives it one of fifteen types, an urgency (긴급 urgent, 보통 normal, 낮음 low) and the
responsible department, stores that once per complaint and announces it as
`classifier.complaint.classified.v1` with the id of the type's handling manual. The model
is `lexicon-1`, a weighted Korean lexicon that ignores spacing and reports the terms that
decided; its confidence is low when few or conflicting terms matched. `POST /api/v1/classify`
previews a text without storing anything.
"""


def create_app(settings: ClassifierSettings) -> FastAPI:
    def make_runtime(_app: FastAPI) -> Runtime:
        return Runtime(settings, migrations_dir=MIGRATIONS, subscriptions=subscriptions())

    app = FastAPI(title="Sun to Moon — classifier", version="1.0.0", description=DESCRIPTION,
                  lifespan=lifespan(make_runtime))
    app.state.settings = settings
    api.install(app)
    health_routes(app)
    return app
