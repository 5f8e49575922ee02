"""Who may call each of the weather service's routes: the one table the app enforces (sunmoon.auth.guard)
and the authorisation matrix test (tests/security) reads. Reads are for every signed-in role."""

from __future__ import annotations

from fastapi import FastAPI

from sunmoon.auth import ADMIN, PUBLIC, SIGNED_IN, Policy, protect

POLICY = Policy({
    "POST /api/v1/observations": ADMIN,  # an observation entered by hand
    "GET /api/v1/observations/latest": SIGNED_IN,
    "GET /api/v1/observations": SIGNED_IN,
    "GET /api/v1/status": SIGNED_IN,
    "GET /api/v1/warnings": SIGNED_IN,
    "GET /api/v1/conditions": SIGNED_IN,
    "PUT /api/v1/simulation": ADMIN,
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,
})


def install(app: FastAPI) -> None:
    protect(app, POLICY, app.state.settings)
