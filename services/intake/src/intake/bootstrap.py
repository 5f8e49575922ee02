"""The one place that wires intake together. Tests build the app here too."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sunmoon.crypto import FieldCipher, load_keyring
from sunmoon.runtime import Runtime, health_routes, lifespan

from . import api, web
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
                       subscriptions=subscriptions(cipher, auto_dispatch=settings.auto_dispatch))

    app = FastAPI(title="Sun to Moon — intake", version="1.0.0", description=DESCRIPTION,
                  lifespan=lifespan(make_runtime))
    app.state.cipher = cipher
    app.state.settings = settings
    api.install(app)
    web.install(app)  # the duty officer's desk under /desk (src/intake/web/)
    health_routes(app)
    app.add_middleware(api.BodyLimit, max_bytes=settings.max_body_bytes)
    return app
