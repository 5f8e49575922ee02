"""Who may call each of intake's routes: the one table the app enforces (sunmoon.auth.guard) and the
authorisation matrix test (tests/security) reads. ``/api/v1`` takes a bearer token or a desk session
(with the CSRF header for POST); ``/desk`` takes only a desk session (the pages also check the role
themselves); Open311 is public at this level because the standard has its own API keys (checked by
the endpoint: a POST without a valid ``api_key`` is refused there)."""

from __future__ import annotations

from fastapi import FastAPI, Request

from sunmoon.auth import (
    ADMIN, DESK, PUBLIC, SUPERVISORS, UNSAFE, Identity, Policy, forbidden, protect, unauthorized,
)

from .web.auth import Forbidden, SignInRequired, current_user, require_csrf

FILERS = DESK | {"service"}  # the desk's officers and other city systems with a token

POLICY = Policy({
    # the complaint API
    "POST /api/v1/complaints": FILERS,
    "GET /api/v1/complaints": DESK,
    "GET /api/v1/complaints/{complaint_id}": DESK,
    "GET /api/v1/complaints/duplicates": DESK,
    "GET /api/v1/complaints/{complaint_id}/duplicates": DESK,
    "POST /api/v1/complaints/{complaint_id}/resolve": DESK,
    "POST /api/v1/complaints/{complaint_id}/classification": DESK,
    "POST /api/v1/complaints/{complaint_id}/link": DESK,
    "POST /api/v1/complaints/{complaint_id}/hold": DESK,
    "POST /api/v1/complaints/{complaint_id}/dispatch": DESK,
    # the desk: sign-in is public, everything else needs a session
    "GET /desk/login": PUBLIC,
    "POST /desk/login": PUBLIC,
    "GET /desk": PUBLIC,  # a redirect to /desk/
    "POST /desk/logout": DESK,
    "GET /desk/": DESK,
    "GET /desk/board": DESK,
    "GET /desk/map": DESK,
    "GET /desk/complaints/{complaint_id}": DESK,
    "GET /desk/access-log": SUPERVISORS,
    "GET /desk/access-log/review": SUPERVISORS,  # the monthly review of access records (access_review)
    "GET /desk/analytics": SUPERVISORS,  # reporting's dashboard through the desk (web/analytics.py)
    "GET /desk/analytics/charts/{chart}.png": SUPERVISORS,
    "GET /desk/events": DESK,
    "GET /desk/api/map": DESK,
    "GET /desk/api/warnings": DESK,
    "GET /desk/api/areas": DESK,
    "GET /desk/api/reverse": DESK,
    "GET /desk/api/places": DESK,
    "POST /desk/api/preview": DESK,
    "GET /desk/api/manuals/{type_}": DESK,
    "GET /desk/api/board": DESK,
    "POST /desk/api/complaints/{complaint_id}/reveal": DESK,
    "GET /desk/api/on-call": DESK,
    "GET /desk/api/roster": DESK,
    "GET /desk/api/weather": DESK,
    "GET /desk/api/duplicates": DESK,
    "POST /desk/api/complaints/{complaint_id}/dispatch": DESK,
    "POST /desk/api/complaints/{complaint_id}/hold": DESK,
    "POST /desk/api/complaints/{complaint_id}/link": DESK,
    # administration (through intake's gateway to the owning services)
    "GET /desk/admin": SUPERVISORS,
    "GET /desk/admin/manuals": ADMIN,
    "GET /desk/admin/manuals/{type_}": ADMIN,
    "POST /desk/admin/manuals/{type_}": ADMIN,
    "GET /desk/admin/types": ADMIN,
    "POST /desk/admin/types/{code}": ADMIN,
    "GET /desk/admin/roster": SUPERVISORS,
    "POST /desk/admin/roster/teams": ADMIN,
    "POST /desk/admin/roster/teams/{team_id}/remove": ADMIN,
    "POST /desk/admin/roster/workers": ADMIN,
    "POST /desk/admin/roster/workers/{worker_id}/remove": ADMIN,
    "POST /desk/admin/roster/shifts": ADMIN,
    "POST /desk/admin/roster/shifts/{shift_id}/remove": ADMIN,
    "GET /desk/admin/users": ADMIN,
    "POST /desk/admin/users": ADMIN,
    "POST /desk/admin/users/{user_id}/{action}": ADMIN,
    "GET /desk/admin/api-keys": ADMIN,
    "POST /desk/admin/api-keys": ADMIN,
    "POST /desk/admin/api-keys/{name}/revoke": ADMIN,
    # Open311 GeoReport v2: public reads; filing needs the standard's api_key (checked by the endpoint)
    "GET /open311/v2/discovery.{fmt}": PUBLIC,
    "GET /open311/v2/services.{fmt}": PUBLIC,
    "GET /open311/v2/services/{service_code}.{fmt}": PUBLIC,
    "POST /open311/v2/requests.{fmt}": PUBLIC,
    "GET /open311/v2/requests.{fmt}": PUBLIC,
    "GET /open311/v2/requests/{service_request_id}.{fmt}": PUBLIC,
    "GET /open311/v2/tokens/{token_id}.{fmt}": PUBLIC,
    "GET /open311/v2/{rest:path}": PUBLIC,
    "POST /open311/v2/{rest:path}": PUBLIC,
    # probes and Prometheus (inside the cluster network; see docs/security.md)
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,
}, notes={
    "POST /open311/v2/requests.{fmt}": "Open311 api_key (hashed, per key rate-limited) checked by the endpoint",
    "GET /desk": "redirect to /desk/",
})


async def desk_session(request: Request, path: str) -> Identity | None:
    """A signed-in desk user (the session cookie); on the JSON API a POST must carry the CSRF header."""
    try:
        user = await current_user(request)
    except SignInRequired:
        return None
    if not path.startswith("/desk") and request.method in UNSAFE:
        require_csrf(request, user)  # CsrfFailed: 403 (the desk's handler)
    return Identity(user.name, user.role, via="session")


def _missing(request: Request) -> Exception:
    return SignInRequired() if request.url.path.startswith("/desk") else unauthorized()


def _forbidden(request: Request) -> Exception:
    return Forbidden() if request.url.path.startswith("/desk") else forbidden()


def install(app: FastAPI) -> None:
    protect(app, POLICY, app.state.settings, session=desk_session, on_missing=_missing, on_forbidden=_forbidden,
            session_only=lambda path: path.startswith("/desk"))
