"""The one place that wires intake together. Tests build the app here too."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sunmoon.crypto import FieldCipher, load_keyring
from sunmoon.http import SecurityHeaders
from sunmoon import apierrors
from sunmoon.runtime import Runtime, health_routes, lifespan

from . import api, api_dispatch, policy, retention, web
from .open311 import api as open311  # Open311 GeoReport v2 (/open311/v2)
from .settings import IntakeSettings
from .subscriptions import subscriptions

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """
Intake is where after-hours complaints are filed: by the duty officer's desk and by
third-party systems. Personal data (name, phone) is encrypted before it is stored.
Status moves received → classified → dispatched → acknowledged → resolved as the
classifier and notifier report back.
"""


def create_app(settings: IntakeSettings, cipher: FieldCipher | None = None) -> FastAPI:
    cipher = cipher or FieldCipher(load_keyring(allow_dev_keys=settings.allow_dev_keys))

    def make_runtime(_app: FastAPI) -> Runtime:
        return Runtime(settings, migrations_dir=MIGRATIONS,
                       subscriptions=subscriptions(cipher, auto_dispatch=settings.auto_dispatch),
                       background=[retention.daily_job(cipher)])  # purge expired personal data, prune records

    app = FastAPI(title="Sun to Moon — intake", version="1.0.0", description=DESCRIPTION,
                  lifespan=lifespan(make_runtime))
    app.state.cipher = cipher
    app.state.settings = settings
    policy.install(app)  # who may call what (policy.py), before any route is added
    api_dispatch.install(app)  # duplicates, link, hold, dispatch; before api's /complaints/{id}
    api.install(app)
    web.install(app)  # the duty officer's desk under /desk (src/intake/web/)
    open311.install(app)  # Open311 GeoReport v2 under /open311/v2 (src/intake/open311/)
    health_routes(app)
    apierrors.install(app)  # 422 for an unreadable body; 422 documented as list or message
    app.add_middleware(api.BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)  # nosniff, frame, referrer, HSTS over HTTPS, CSP (sunmoon.http)
    return app
