"""Who may call each of the notifier's routes: the one table the app enforces (sunmoon.auth.guard) and the
authorisation matrix test (tests/security) reads. ``service`` is the desk's gateway (intake: the on-call
worker for the intake form, the roster screens, an administrator's edits after it checked the role).
The field worker has no account: ``/ack/{token}`` is public and protected by the random token in the link."""

from __future__ import annotations

from fastapi import FastAPI

from sunmoon.auth import ADMIN, DESK, PUBLIC, SUPERVISORS, Policy, protect

READERS = SUPERVISORS | {"service"}
EDITORS = ADMIN | {"service"}

POLICY = Policy({
    "GET /api/v1/roster": READERS,
    "GET /api/v1/roster/on-call": DESK | {"service"},
    "PUT /api/v1/roster/teams/{team_id}": EDITORS,
    "DELETE /api/v1/roster/teams/{team_id}": EDITORS,
    "PUT /api/v1/roster/workers/{worker_id}": EDITORS,
    "DELETE /api/v1/roster/workers/{worker_id}": EDITORS,
    "POST /api/v1/roster/shifts": EDITORS,
    "PUT /api/v1/roster/shifts/{shift_id}": EDITORS,
    "DELETE /api/v1/roster/shifts/{shift_id}": EDITORS,
    "GET /api/v1/escalations": READERS,
    "GET /api/v1/notifications": READERS,
    "GET /api/v1/sms": ADMIN,  # the console provider's outbox: the texts, with the masked numbers
    "GET /ack/{token}": PUBLIC,
    "POST /ack/{token}": PUBLIC,
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,
}, notes={"GET /ack/{token}": "the field worker's link: random token, only its hash stored, expires"})


def install(app: FastAPI) -> None:
    protect(app, POLICY, app.state.settings)
