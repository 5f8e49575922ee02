"""Schemathesis against every service's API: no server error, no response that breaks its own OpenAPI schema.

Each service is built exactly as it runs (``bootstrap.create_app(settings)``) on a fresh PostgreSQL database and
a fresh NATS namespace, its lifespan running. Its OpenAPI document (``app.openapi()``) is loaded into Schemathesis,
which generates positive (schema-valid) and negative (schema-violating) requests for every operation; each
request goes through the app in this event loop (httpx's ASGI transport, so the app's asyncpg pool stays on its
own loop) and every response is checked for: no 5xx, a status code the operation documents, a content type it
documents, and a body that validates against the documented schema. Generation is derandomized, so a run is
reproducible; the examples per operation are capped to keep the file at about a minute or two.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings as hsettings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup

from sunmoon.crypto import FieldCipher, KeyRing
from sunmoon.localservers import free_port

pytestmark = pytest.mark.timeout(600)

POSITIVE_EXAMPLES = 12  # fully generated, schema-valid
NEGATIVE_EXAMPLES = 6   # schema-violating
PINNED_EXAMPLES = 8     # schema-valid with path parameters pinned to things that exist (deeper than a 404)
# operations that do heavy work per request (render a report) get fewer examples
SLOW = {"POST /api/v1/reports": 4, "GET /api/v1/reports/{report_id}/{fmt}": 6,
        "GET /dashboard/charts/{chart}.png": 3, "GET /dashboard": 4, "GET /api/v1/analytics/{name}": 6}
CHECK_NAMES = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
               "response_schema_conformance")


@dataclass
class Target:
    """A running app, headers every request carries beyond the admin token, a final touch on each generated
    case, and path parameters worth pinning (besides fully generated ones) to get past a format switch."""

    app: Any
    headers: dict[str, str] = field(default_factory=dict)
    touch: Callable[[Any], None] = lambda case: None
    fixed: dict[str, list[str]] = field(default_factory=dict)


def _closed_url() -> str:
    """A URL nothing listens on: a peer service that is down (the app must degrade, not fail)."""
    return f"http://127.0.0.1:{free_port()}"


@contextlib.asynccontextmanager
async def _intake(servers, namespace: str) -> AsyncIterator[Target]:
    from intake.bootstrap import create_app
    from intake.open311 import keys
    from intake.settings import IntakeSettings
    from intake.web import auth

    settings = IntakeSettings(database_url=await servers.fresh_database("intake"), nats_url=servers.nats_url,
                              nats_namespace=namespace, classifier_url=_closed_url(), notifier_url=_closed_url(),
                              weather_url=_closed_url())
    app = create_app(settings, FieldCipher(KeyRing.generate("k1")))
    async with app.router.lifespan_context(app):
        pool = app.state.runtime.pool
        async with pool.acquire() as conn:  # the desk's JSON endpoints need a signed-in desk user
            await auth.save_user(conn, "fuzz", "supervisor", "correct-horse-battery", update=False)
            user_id = await conn.fetchval("SELECT id FROM desk_users WHERE name = 'fuzz'")
            key = (await keys.issue(conn, "fuzz", rate_per_minute=100_000, burst=100_000)).key
        session = await auth.start_session(pool, user_id, max_hours=1)

        def with_api_key(case: Any) -> None:  # Open311 writes need a valid key to get past the door
            if isinstance(case.body, dict) and "api_key" in case.body and case.path.startswith("/open311"):
                case.body["api_key"] = key

        headers = {"Cookie": f"{auth.SESSION_COOKIE}={session}", **_admin_headers()}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            r = await client.post("/api/v1/complaints", headers=headers, json={
                "description": "사우동 사거리 맨홀 뚜껑이 열려 있어요", "channel": "phone",
                "location": {"address": "경기도 김포시 사우동 123-4", "lat": 37.62, "lon": 126.71},
                "complainant": {"name": "김민수", "phone": "010-1234-5678"}})
            assert r.status_code == 201, r.text
        cid = r.json()["id"]
        yield Target(app, headers, with_api_key, fixed={
            "fmt": ["json", "xml"], "complaint_id": [cid], "service_request_id": [cid],
            "service_code": ["road_damage", "water_supply"]})


@contextlib.asynccontextmanager
async def _classifier(servers, namespace: str) -> AsyncIterator[Target]:
    from classifier.bootstrap import create_app
    from classifier.settings import ClassifierSettings

    settings = ClassifierSettings(database_url=await servers.fresh_database("classifier"),
                                  nats_url=servers.nats_url, nats_namespace=namespace)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield Target(app, fixed={"type": ["water_supply", "road_damage"], "code": ["water_supply", "noise"]})


@contextlib.asynccontextmanager
async def _notifier(servers, namespace: str) -> AsyncIterator[Target]:
    from notifier import demo_roster, handlers
    from notifier.bootstrap import create_app
    from notifier.settings import NotifierSettings

    settings = NotifierSettings(database_url=await servers.fresh_database("notifier"), nats_url=servers.nats_url,
                                nats_namespace=namespace, public_url="http://notifier.test")
    cipher = FieldCipher(KeyRing.generate())
    app = create_app(settings, cipher=cipher)
    async with app.router.lifespan_context(app):
        async with app.state.runtime.pool.acquire() as conn, conn.transaction():
            await handlers.seed_roster(conn, cipher, demo_roster.TEAMS, demo_roster.ENTRIES)
        yield Target(app, fixed={"team_id": ["road", "water"], "worker_id": ["w-road-1", "w-road-2"]})


@contextlib.asynccontextmanager
async def _weather(servers, namespace: str) -> AsyncIterator[Target]:
    from weather.bootstrap import create_app
    from weather.settings import WeatherSettings

    settings = WeatherSettings(database_url=await servers.fresh_database("weather"), nats_url=servers.nats_url,
                               nats_namespace=namespace, poll=False)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield Target(app)


@contextlib.asynccontextmanager
async def _reporting(servers, namespace: str) -> AsyncIterator[Target]:
    from reporting.bootstrap import create_app
    from reporting.settings import ReportingSettings

    settings = ReportingSettings(database_url=await servers.fresh_database("reporting"), nats_url=servers.nats_url,
                                 nats_namespace=namespace, auto_reports=False, warm_up_after_seconds=None)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield Target(app, fixed={"name": ["patterns", "trends"], "chart": ["hours", "months"]})


SERVICES = {"intake": _intake, "classifier": _classifier, "notifier": _notifier, "weather": _weather,
            "reporting": _reporting}


@dataclass
class Summary:
    service: str
    operations: int = 0
    examples: int = 0
    skipped: int = 0  # requests the HTTP client itself refuses to send (e.g. a header with a NUL byte)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)  # (operation, problem) -> a reproduction
    seconds: float = 0.0
    statuses: dict[str, set[int]] = field(default_factory=dict)  # operation -> status codes seen

    def never_succeeded(self) -> list[str]:
        return sorted(op for op, seen in self.statuses.items() if not any(200 <= c < 300 for c in seen))

    def line(self) -> str:
        return (f"schemathesis {self.service}: {self.operations} operations, {self.examples} examples, "
                f"{self.skipped} unsendable, {len(self.failures)} distinct failures, {self.seconds:.1f} s")


def _cases(operation: Any, mode: GenerationMode, n: int, **path_parameters: str) -> list[Any]:
    """``n`` derandomized examples of one operation in one generation mode (generation only, nothing sent)."""
    out: list[Any] = []

    @hsettings(max_examples=n, derandomize=True, database=None, deadline=None,
               suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None))
    def collect(case: Any) -> None:
        out.append(case)

    with contextlib.suppress(Exception):  # an operation without a negative space raises: nothing to send
        collect()
    return out


def _all_cases(operation: Any, label: str, target: Target) -> list[Any]:
    n = SLOW.get(label)
    cases = (_cases(operation, GenerationMode.POSITIVE, n or POSITIVE_EXAMPLES)
             + _cases(operation, GenerationMode.NEGATIVE, n // 2 if n else NEGATIVE_EXAMPLES))
    pinnable = {name: values for name, values in target.fixed.items() if "{" + name + "}" in operation.path}
    for i in range(max(map(len, pinnable.values()), default=0)):
        pins = {name: values[i % len(values)] for name, values in pinnable.items()}
        cases += _cases(operation, GenerationMode.POSITIVE, min(n or PINNED_EXAMPLES, PINNED_EXAMPLES), **pins)
    for case in cases:
        target.touch(case)
    return cases


def _request_kwargs(case: Any, headers: dict[str, str]) -> dict[str, Any]:
    kw = case.as_transport_kwargs(base_url="http://t", headers=headers)
    out = {"method": kw["method"], "url": kw["url"], "headers": kw.get("headers") or {},
           "params": kw.get("params"), "cookies": kw.get("cookies") or None}
    if "json" in kw:
        out["json"] = kw["json"]
    elif "data" in kw:
        data = kw["data"]
        if isinstance(data, dict):
            out["data"] = data
        else:
            out["content"] = data
    if "files" in kw:
        out["files"] = kw["files"]
    return out


async def _fuzz(target: Target, service: str, headers: dict[str, str]) -> Summary:
    load_all_checks()
    checks = [CHECKS.get_one(name) for name in CHECK_NAMES]
    schema = schemathesis.openapi.from_dict(target.app.openapi())
    summary = Summary(service)
    headers = {**headers, **target.headers}  # the target's own (e.g. a desk session) go on top
    started = time.monotonic()
    transport = httpx.ASGITransport(app=target.app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as client:
        for result in schema.get_all_operations():
            operation = result.ok()
            label = f"{operation.method.upper()} {operation.path}"
            summary.operations += 1
            for case in _all_cases(operation, label, target):
                try:
                    request = client.build_request(**_request_kwargs(case, headers))
                except (httpx.InvalidURL, UnicodeError, ValueError, TypeError):
                    summary.skipped += 1
                    continue
                summary.examples += 1
                try:
                    response = await client.send(request)
                except Exception as exc:  # noqa: BLE001 - an exception out of the app is a server error
                    tb = "".join(traceback.format_exception(exc)[-3:])
                    summary.failures.setdefault((label, f"exception {type(exc).__name__}: {exc}"[:200]),
                                                f"{case.as_curl_command()}\n{tb}")
                    continue
                summary.statuses.setdefault(label, set()).add(response.status_code)
                try:
                    case.validate_response(response, checks=checks)
                except (FailureGroup, AssertionError) as exc:  # one or more checks failed
                    for problem in getattr(exc, "exceptions", None) or [exc]:
                        title = getattr(problem, "title", type(problem).__name__)
                        summary.failures.setdefault(
                            (label, title), f"{case.as_curl_command()}\n-> {response.status_code} "
                                            f"{response.text[:300]}\n{str(problem)[:800]}")
    summary.seconds = time.monotonic() - started
    return summary


def _admin_headers() -> dict[str, str]:
    """The credentials every API call carries: the test suite's admin bearer token (sunmoon.testing)."""
    from sunmoon.testing.service import auth_headers

    return auth_headers("admin")


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_schemathesis_finds_no_server_error_and_no_schema_violation(service, servers, namespace, capsys):
    async with SERVICES[service](servers, namespace) as target:
        summary = await _fuzz(target, service, _admin_headers())
    with capsys.disabled():
        print("\n" + summary.line())
        if summary.never_succeeded():
            print("  no 2xx answer (only errors) from: " + ", ".join(
                f"{op} {sorted(summary.statuses[op])}" for op in summary.never_succeeded()))
        for (label, problem), repro in sorted(summary.failures.items()):
            print(f"  FAIL {label}: {problem}\n    " + repro.replace("\n", "\n    "))
    assert summary.operations >= 5 and summary.examples >= summary.operations * 5
    assert not summary.failures, f"{len(summary.failures)} failures: " + "; ".join(
        f"{label}: {problem}" for label, problem in sorted(summary.failures))


TYPE = {"label": "상수도 누수", "department": "상수도과", "default_urgency": "urgent", "edited_by": "fuzz", "active": True}


async def test_unreadable_body_and_nul_text_answer_422_not_400_or_500(servers, namespace):
    """The two cross-service bugs Schemathesis found, pinned: a body that is not UTF-8 (FastAPI answered an
    undocumented 400) and a NUL character in text (PostgreSQL refused it: 500), both now a documented 422."""
    async with _classifier(servers, namespace) as target:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=target.app), base_url="http://t",
                                     headers=_admin_headers()) as client:
            r = await client.put("/api/v1/types/water_supply", content=b'{"label": "\xff"}',
                                 headers={"Content-Type": "application/json"})
            assert r.status_code == 422 and r.json()["detail"][0]["type"] == "body_unreadable", r.text
            r = await client.put("/api/v1/types/water_supply", json={**TYPE, "department": "상\u0000수도"})
            assert r.status_code == 422 and r.json()["detail"][0]["type"] == "string_nul", r.text
            r = await client.put("/api/v1/types/water_supply", json=TYPE)
            assert r.status_code == 200, r.text  # the same request without the NUL is stored
    detail = target.app.openapi()["components"]["schemas"]["HTTPValidationError"]["properties"]["detail"]
    assert {"type": "string"} in detail["anyOf"]
