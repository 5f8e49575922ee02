"""The one place that wires the classifier together. Tests build the app here too."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sunmoon.http import SecurityHeaders
from sunmoon import apierrors
from sunmoon.runtime import Runtime, health_routes, lifespan

from . import api, api_guidance, policy
from .models import ActiveModel
from .settings import ClassifierSettings
from .subscriptions import subscriptions

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """
The classifier reads every complaint intake announces (`intake.complaint.received.v1`),
gives it one of fifteen types, an urgency (긴급 urgent, 보통 normal, 낮음 low) and the
responsible department, stores that once per complaint and announces it as
`classifier.complaint.classified.v1` with the id of the type's handling manual. The model
is trained on the project's own labelled corpus plus the officers' corrections (character
n-grams that ignore spacing and common typos, and the evidence of a hand-written lexicon,
into a calibrated logistic regression). Its confidence is a calibrated probability; under
the review threshold the complaint is marked `needs_review` with the top three types for
the officer to choose from. Every result names the model version that made it.
`POST /api/v1/classify` previews a text without storing anything.

Handling manuals are versioned and editable (`PUT /api/v1/manuals/{type}`); a lookup returns
the manual and its sections that best match a complaint. Each classification carries template
drafts of the worker's SMS and the citizen's answer; `POST /api/v1/drafts` can ask an
OpenAI-compatible LLM (`CLASSIFIER_LLM_URL`) for better ones, with personal data removed and a
fall-back to the templates.
"""


def create_app(settings: ClassifierSettings) -> FastAPI:
    active = ActiveModel(refresh_seconds=settings.model_refresh_seconds)

    def make_runtime(_app: FastAPI) -> Runtime:
        return Runtime(settings, migrations_dir=MIGRATIONS, subscriptions=subscriptions(active),
                       background=[active.run])

    app = FastAPI(title="Sun to Moon — classifier", version="1.0.0", description=DESCRIPTION,
                  lifespan=lifespan(make_runtime))
    app.state.settings = settings
    policy.install(app)  # who may call what (policy.py), before any route is added
    app.state.model = active
    api.install(app)
    api_guidance.install(app)
    health_routes(app)
    apierrors.install(app)  # 422 for an unreadable body; 422 documented as list or message
    app.add_middleware(SecurityHeaders)  # nosniff, frame, referrer, HSTS over HTTPS, CSP (sunmoon.http)
    return app
