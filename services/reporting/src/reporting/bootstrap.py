"""The one place that wires reporting together. Tests build the app here too."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sunmoon.http import SecurityHeaders
from sunmoon import apierrors
from sunmoon.runtime import Runtime, health_routes, lifespan

from . import api, api_analytics, api_reports, dashboard, policy
from .handlers import Folding
from .reports.service import ReportService
from .settings import ReportingSettings
from .subscriptions import subscriptions

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """
Reporting folds every event of the system into its own read model and answers summaries:
how many complaints came in, where they stand, of which type and urgency. It makes the duty
report (당직일지, Excel and PDF) at the end of every shift and on request, keeps an archive of
reports, serves analytics (JSON, CSV, Excel) and publishes the PII-free analytics feed
`reporting.analytics.complaint_state.v1`. The read model holds no personal data (no names,
phone numbers or addresses; the district is the finest named place), so it can feed reports and
analytics freely.
"""


def create_app(settings: ReportingSettings) -> FastAPI:
    reports = ReportService(settings)
    folding = Folding(feed=settings.analytics_feed, summary=settings.fold_summary)

    def make_runtime(_app: FastAPI) -> Runtime:
        # Reporting publishes through its outbox: the analytics feed and ReportGenerated.
        return Runtime(settings, migrations_dir=MIGRATIONS, subscriptions=subscriptions(folding), publishes=True,
                       background=[reports.schedule, reports.warm])

    app = FastAPI(title="Sun to Moon — reporting", version="1.1.0", description=DESCRIPTION,
                  lifespan=lifespan(make_runtime))
    app.state.settings = settings
    policy.install(app)  # who may call what (policy.py), before any route is added
    app.state.reports = reports
    api.install(app)
    app.include_router(api_reports.router)
    app.include_router(api_analytics.router)
    dashboard.install(app)
    health_routes(app)
    apierrors.install(app)  # 422 for an unreadable body; 422 documented as list or message
    app.add_middleware(SecurityHeaders)  # nosniff, frame, referrer, HSTS over HTTPS, CSP (sunmoon.http)
    return app
