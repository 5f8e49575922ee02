"""The one place that wires the notifier together. Tests build the app here too."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import FastAPI

from sunmoon.crypto import FieldCipher, load_keyring
from sunmoon.http import SecurityHeaders
from sunmoon import apierrors
from sunmoon.runtime import Runtime, health_routes, lifespan

from . import ack, api, delivery, escalation, policy
from .providers import ProviderFactory, build_provider_factory
from .sender import SmsSender
from .settings import NotifierSettings
from .subscriptions import subscriptions

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """
The notifier texts the on-call field worker when intake asks for a dispatch:
it picks the worker from its roster by complaint type and district, composes one
Korean SMS (EUC-KR counted; SMS up to 90 bytes, LMS beyond), sends it exactly once
through the configured gateway, and reports `notifier.notification.sent.v1`. The SMS
carries a one-time link (`/ack/{token}`, valid 24 h); pressing its button reports
`notifier.notification.acknowledged.v1`. Worker names and numbers are stored encrypted.
"""


def create_app(settings: NotifierSettings, cipher: FieldCipher | None = None,
               provider_for: ProviderFactory | None = None) -> FastAPI:
    cipher = cipher or FieldCipher(load_keyring(allow_dev_keys=settings.allow_dev_keys))
    provider_for = provider_for or build_provider_factory(settings.sms_provider, cipher, settings)

    async def sms_sender(runtime: Runtime, stop: asyncio.Event) -> None:
        sender = SmsSender.from_settings(runtime.pool, provider_for, cipher, settings,  # failover, retries: settings
                                         metrics=runtime.metrics)
        app.state.sender = sender
        await sender.run(stop)

    def make_runtime(_app: FastAPI) -> Runtime:
        return Runtime(settings, migrations_dir=MIGRATIONS, subscriptions=subscriptions(settings.public_url, settings.linked_follow_up),
                       background=[sms_sender, escalation.job(settings), delivery.job(settings, cipher)],
                       extra_connections=settings.sender_concurrency - 1)

    app = FastAPI(title="Sun to Moon — notifier", version="1.0.0", description=DESCRIPTION,
                  lifespan=lifespan(make_runtime))
    app.state.cipher = cipher
    app.state.settings = settings
    policy.install(app)  # who may call what (policy.py), before any route is added
    api.install(app)
    ack.install(app)
    health_routes(app)
    apierrors.install(app)  # 422 for an unreadable body; 422 documented as list or message
    app.add_middleware(SecurityHeaders)  # nosniff, frame, referrer, HSTS over HTTPS, CSP (sunmoon.http)
    return app
