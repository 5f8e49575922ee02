"""Who may call each of the classifier's routes: the one table the app enforces (sunmoon.auth.guard) and the
authorisation matrix test (tests/security) reads. ``service`` is the desk's gateway (intake), which checks
the officer's own role before it forwards an administrator's edit."""

from __future__ import annotations

from fastapi import FastAPI

from sunmoon.auth import ADMIN, DESK, PUBLIC, SIGNED_IN, Policy, protect

DESK_AND_GATEWAY = DESK | {"service"}
EDITORS = ADMIN | {"service"}  # an administrator, or the desk's gateway on an administrator's behalf

POLICY = Policy({
    "POST /api/v1/classify": DESK_AND_GATEWAY,
    "GET /api/v1/classifications/{complaint_id}": DESK_AND_GATEWAY,
    "GET /api/v1/types": SIGNED_IN,
    "PUT /api/v1/types/{code}": EDITORS,
    "GET /api/v1/manuals/{type}": SIGNED_IN,
    "GET /api/v1/manuals/{type}/versions": SIGNED_IN,
    "PUT /api/v1/manuals/{type}": EDITORS,
    "POST /api/v1/manuals/{type}/lookup": DESK_AND_GATEWAY,
    "POST /api/v1/drafts": DESK_AND_GATEWAY,
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,
})


def install(app: FastAPI) -> None:
    protect(app, POLICY, app.state.settings)
