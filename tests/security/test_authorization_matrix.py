"""Issue 9: every endpoint of every service, called as nobody and as every role, and each answer checked.

The routes come from each app's router (not from a list here); every one must have an entry in its service's
``policy.py`` (the table the app enforces). Expected: nobody gets 401 (the desk's pages: a redirect to the
sign-in form), a role outside the entry 403, a role inside anything but 401/403 (a 404 or 422 for the
made-up ids and minimal bodies used here still proves the door opened). Public entries (probes, the field
worker's /ack link, Open311 with its own keys) must never answer with the guard's 401/403.
Callers: a bearer token per role (admin, supervisor, duty_officer, service, analytics); on intake also a
desk session (cookie + CSRF header) per desk role. Real PostgreSQL and NATS; the apps run in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sunmoon.auth import PUBLIC, ROLES, route_keys
from sunmoon.crypto import FieldCipher, KeyRing
from sunmoon.testing.service import TEST_TOKENS

pytestmark = pytest.mark.timeout(300)

SAMPLE_PARAMS = {
    "complaint_id": str(uuid.UUID(int=7)), "type": "water_supply", "type_": "water_supply", "code": "water_supply",
    "fmt": "json", "token": "not-a-real-link-token", "rest:path": "nothing-here", "team_id": "matrix-team",
    "worker_id": "matrix-worker", "shift_id": "999999", "user_id": "999999", "action": "disable",
    "name": "no-such-key", "report_id": "999999", "chart": "hourly", "service_code": "water_supply",
    "service_request_id": str(uuid.UUID(int=7)), "token_id": str(uuid.UUID(int=7)),
}
SAMPLE_QUERY = {"/api/v1/complaints/duplicates": {"lat": 37.6, "lon": 126.77, "type": "water_supply"},
                "/desk/api/duplicates": {"lat": 37.6, "lon": 126.77, "type": "water_supply"},
                "/desk/api/reverse": {"lat": 37.6, "lon": 126.77},
                "/desk/api/places": {"q": "고촌"},
                "/api/v1/conditions": {"lat": 37.6, "lon": 126.77}}
SAMPLE_BODY = {"/api/v1/complaints": {"description": "권한 점검용 민원입니다. 가로등이 꺼졌어요.",
                                      "location": {"address": "경기도 김포시 고촌읍"}, "channel": "phone"},
               "/api/v1/classify": {"text": "가로등이 꺼졌어요"}}
GUARD_MESSAGES = ("authentication required", "invalid or unknown token", "your role may not do this",
                  "no access policy")


def _url(path: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: SAMPLE_PARAMS[m.group(1)], path)


@contextlib.asynccontextmanager
async def _service(name: str, servers: Any, namespace: str) -> AsyncIterator[Any]:
    common = {"database_url": await servers.fresh_database(name), "nats_url": servers.nats_url,
              "nats_namespace": namespace}
    if name == "intake":
        from intake.bootstrap import create_app
        from intake.settings import IntakeSettings
        app = create_app(IntakeSettings(**common), FieldCipher(KeyRing.generate("k1")))
    elif name == "classifier":
        from classifier.bootstrap import create_app
        from classifier.settings import ClassifierSettings
        app = create_app(ClassifierSettings(**common))
    elif name == "notifier":
        from notifier.bootstrap import create_app
        from notifier.settings import NotifierSettings
        app = create_app(NotifierSettings(**common), cipher=FieldCipher(KeyRing.generate()))
    elif name == "weather":
        from weather.bootstrap import create_app
        from weather.settings import WeatherSettings
        app = create_app(WeatherSettings(**common, poll=False))
    else:
        from reporting.bootstrap import create_app
        from reporting.settings import ReportingSettings
        app = create_app(ReportingSettings(**common, auto_reports=False, warm_up_after_seconds=None))
    async with app.router.lifespan_context(app):
        yield app


async def _desk_sessions(app: Any) -> dict[str, tuple[str, str]]:
    """One signed-in desk user per desk role: (session cookie, CSRF token)."""
    from intake.web import auth

    pool = app.state.runtime.pool
    out = {}
    for role in ("duty_officer", "supervisor", "admin"):
        async with pool.acquire() as conn:
            await auth.save_user(conn, f"matrix-{role.replace('_', '-')}", role, "matrix-password-1", update=True)
    for role in ("duty_officer", "supervisor", "admin"):
        user_id = await pool.fetchval("SELECT id FROM desk_users WHERE name = $1", f"matrix-{role.replace('_', '-')}")
        token = await auth.start_session(pool, user_id, max_hours=1)
        user = await auth.load_session(pool, token, idle_minutes=60)
        out[role] = (token, user.csrf_token)
    return out


async def _call(client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]) -> int | str:
    kwargs: dict[str, Any] = {"headers": headers, "params": SAMPLE_QUERY.get(path)}
    if method in {"POST", "PUT", "PATCH"}:
        kwargs["json"] = SAMPLE_BODY.get(path, {})
    try:  # the desk's live feed is a never-ending stream: an open stream after 3 s counts as let in
        r = await asyncio.wait_for(client.request(method, _url(path), **kwargs), 3 if path == "/desk/events" else 60)
    except TimeoutError:
        return "stream"
    location = r.headers.get("location", "")
    if r.status_code in (302, 303, 307) and location.startswith("/desk/login") and "out=1" not in location:
        return "login"  # the desk's answer to a page without a session: the sign-in form
    return r.status_code


def _caller_headers(role: str, sessions: dict[str, tuple[str, str]]) -> dict[str, str]:
    kind, _, name = role.partition(":")
    if kind == "token":
        return {"Authorization": f"Bearer {TEST_TOKENS[name]}"}
    if kind == "session":
        cookie, csrf = sessions[name]
        return {"Cookie": f"sunmoon_desk={cookie}", "X-CSRF-Token": csrf}
    return {}


def _expected(allowed: frozenset[str], caller: str, path: str) -> set[int | str] | None:
    """The answers that are right for this caller; None: anything but 401/403/login."""
    kind, _, role = caller.partition(":")
    if allowed == PUBLIC:
        return None
    desk_page = path.startswith("/desk")
    if kind == "nobody" or (kind == "token" and desk_page):  # the desk's pages take no bearer token
        return {401, "login"} if desk_page else {401}
    return None if role in allowed else {403}


SERVICES = ("intake", "classifier", "notifier", "weather", "reporting")


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_as_every_role(service, servers, namespace, capsys):
    async with _service(service, servers, namespace) as app:
        routes = route_keys(app)
        policy = app.state.policy
        missing = sorted(f"{m} {p}" for m, p, _ in routes if policy.allowed(m, p) is None)
        assert not missing, f"{service}: routes without a policy entry: {missing}"
        stale = sorted(set(policy.rules) - {f"{m} {p}" for m, p, _ in routes})
        assert not stale, f"{service}: policy entries for routes that do not exist: {stale}"

        sessions = await _desk_sessions(app) if service == "intake" else {}
        callers = ["nobody", *(f"token:{r}" for r in ROLES), *(f"session:{r}" for r in sessions)]
        transport = httpx.ASGITransport(app=app)
        rows, wrong = [], []
        async with httpx.AsyncClient(transport=transport, base_url="https://matrix.test", timeout=60) as client:
            # state-changing calls last, logout at the very end (it ends the session it is called with)
            order = sorted(routes, key=lambda r: (r[0] != "GET", r[1] == "/desk/logout", r[1]))
            for method, path, _route in order:
                allowed = policy.allowed(method, path)
                answers = []
                for caller in callers:
                    got = await _call(client, method, path, _caller_headers(caller, sessions))
                    want = _expected(allowed, caller, path)
                    ok = (got not in (401, 403, "login")) if want is None else got in want
                    if allowed == PUBLIC:  # the guard lets it through; a 403 here is the endpoint's own
                        ok = got not in (401, "login")  # (the sign-in form's CSRF cookie, an Open311 key)
                    answers.append(f"{got}{'' if ok else '!'}")
                    if not ok:
                        wrong.append(f"{method} {path} as {caller}: got {got}, expected "
                                     f"{sorted(map(str, want)) if want else 'not 401/403'}")
                rows.append(f"{method:6} {path:52} {'public' if allowed == PUBLIC else ','.join(sorted(allowed)):42} "
                            + " ".join(f"{a:>7}" for a in answers))
        with capsys.disabled():
            print(f"\n{service}: {len(routes)} routes x {len(callers)} callers "
                  f"({', '.join(c.replace('token:', '') for c in callers)}; ! = wrong)")
            print("\n".join(rows))
        assert not wrong, "\n".join(wrong)


async def test_the_desk_session_needs_the_csrf_header_on_the_json_api(servers, namespace):
    async with _service("intake", servers, namespace) as app:
        cookie, csrf = (await _desk_sessions(app))["duty_officer"]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://matrix.test") as c:
            body = SAMPLE_BODY["/api/v1/complaints"]
            without = await c.post("/api/v1/complaints", json=body, headers={"Cookie": f"sunmoon_desk={cookie}"})
            assert without.status_code == 403, without.text
            with_it = await c.post("/api/v1/complaints", json=body,
                                   headers={"Cookie": f"sunmoon_desk={cookie}", "X-CSRF-Token": csrf})
            assert with_it.status_code == 201, with_it.text
            read = await c.get(f"/api/v1/complaints/{with_it.json()['id']}",
                               headers={"Cookie": f"sunmoon_desk={cookie}"})
            assert read.status_code == 200  # a GET needs no CSRF token


async def test_bad_credentials_are_refused_with_a_bearer_challenge(servers, namespace):
    async with _service("notifier", servers, namespace) as app:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://matrix.test") as c:
            for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic YWRtaW46YWRtaW4="},
                            {"Authorization": f"Bearer {TEST_TOKENS['admin']}x"}):
                r = await c.get("/api/v1/roster", headers=headers)
                assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer"), r.text
                assert any(m in r.json()["detail"] for m in GUARD_MESSAGES) and "인증" in r.json()["detail"]
            r = await c.get("/api/v1/sms", headers={"Authorization": f"Bearer {TEST_TOKENS['supervisor']}"})
            assert r.status_code == 403 and "권한" in r.json()["detail"]
            assert (await c.get("/healthz")).status_code == 200
