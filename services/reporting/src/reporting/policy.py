"""Who may call each of reporting's routes: the one table the app enforces (sunmoon.auth.guard) and the
authorisation matrix test (tests/security) reads. The read model is PII-free; the ``analytics`` role (the
city's analytics platform) reads it but makes no reports."""

from __future__ import annotations

from fastapi import FastAPI

from sunmoon.auth import PUBLIC, SUPERVISORS, Policy, protect

READERS = SUPERVISORS | {"analytics"}

POLICY = Policy({
    "GET /api/v1/summary": READERS,
    "GET /api/v1/complaints/{complaint_id}": READERS,
    "POST /api/v1/reports": SUPERVISORS,
    "GET /api/v1/reports": READERS,
    "GET /api/v1/reports/{report_id}": READERS,
    "GET /api/v1/reports/{report_id}/{fmt}": READERS,
    "GET /api/v1/analytics": READERS,
    "GET /api/v1/analytics/{name}": READERS,
    "GET /dashboard": READERS | {"service"},  # "service": the desk shows it to its supervisors (/desk/analytics)
    "GET /dashboard/charts/{chart}.png": READERS | {"service"},
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,
})


def install(app: FastAPI) -> None:
    protect(app, POLICY, app.state.settings)
