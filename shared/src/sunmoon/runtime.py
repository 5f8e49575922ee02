"""What every service does at start and stop, in one place.

``Runtime`` applies migrations, opens the pool, connects to NATS, makes sure the
streams exist, then runs the outbox relay and one task per subscription until
asked to stop; on stop it lets in-flight messages finish, drains NATS and
closes the pool. Services wire it into FastAPI's lifespan with :func:`lifespan`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import FastAPI, Response

from .db import create_pool, migrate
from .logging import get_logger
from .messaging import Namespace, OutboxRelay, Subscription, connect, ensure_streams, run_consumer
from .messaging.consumer import ConsumerStats
from .metrics import HttpMetrics, Metrics
from .settings import ServiceSettings

log = get_logger(__name__)


class Runtime:
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        migrations_dir: Path,
        subscriptions: list[Subscription] | None = None,
        publishes: bool = True,
        background: list[Callable[[Runtime, asyncio.Event], Any]] | None = None,
        extra_connections: int = 0,
    ) -> None:
        self.settings = settings
        self.migrations_dir = migrations_dir
        self.subscriptions = subscriptions or []
        self.publishes = publishes
        self.background = background or []
        self.extra_connections = extra_connections  # a job that holds more than one connection at once
        self.ns = Namespace(settings.nats_namespace)
        self.stop_event = asyncio.Event()
        self.metrics = Metrics(settings.service_name)
        self.stats = ConsumerStats(metrics=self.metrics)
        self.pool: asyncpg.Pool | None = None
        self.nc: Any = None
        self.js: Any = None
        self.relay: OutboxRelay | None = None
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        s = self.settings
        await migrate(s.database_url, self.migrations_dir, label=s.service_name)
        # every consumer, the relay and each background job may hold a connection at once; a few more for HTTP
        # requests, so a burst of requests does not make the consumers queue for a connection (or the reverse)
        self.pool = await create_pool(s.database_url, max_size=max(10, len(self.subscriptions)
                                                                 + len(self.background) + self.extra_connections
                                                                 + 6))
        self.nc, self.js = await connect(s.nats_url, name=s.service_name, ca_file=s.tls_ca_file,
                                         user=s.nats_user, password=s.nats_password)
        # with credentials a service may create only its own stream (sunmoon.access)
        await ensure_streams(self.js, self.ns, only=[s.service_name.upper()] if s.nats_user else None)
        if self.publishes and s.outbox_relay:
            self.relay = OutboxRelay(self.pool, self.js, self.ns, dsn=s.database_url,
                                     retention_hours=s.outbox_retention_hours, metrics=self.metrics)
            self._spawn(self.relay.run(self.stop_event), "outbox-relay")
        for sub in self.subscriptions:
            self._spawn(run_consumer(self.js, self.pool, self.ns, sub, self.stop_event, self.stats),
                        f"consumer:{sub.durable}")
        for job in self.background:
            self._spawn(job(self, self.stop_event), getattr(job, "__name__", "job"))
        log.info("service started", subscriptions=[x.durable for x in self.subscriptions])

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    @staticmethod
    def _task_done(task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("background task died", task=task.get_name(), error=repr(task.exception()))

    async def stop(self) -> None:
        """Stop taking work, let in-flight messages finish and be acked, then close.

        Consumers stop fetching at once and finish the batch in hand; anything not done within
        ``shutdown_timeout_seconds`` is cancelled before its commit and therefore redelivered to another
        replica after ``ack_wait`` (never lost, never half-done)."""
        self.stop_event.set()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=self.settings.shutdown_timeout_seconds)
            for t in pending:
                log.warning("shutdown: task cancelled after the deadline", task=t.get_name())
                t.cancel()
        if self.nc is not None:
            with contextlib.suppress(Exception):
                await self.nc.drain()
        if self.pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.pool.close(), timeout=5)
        log.info("service stopped")


def lifespan(make_runtime: Callable[[FastAPI], Runtime]):
    @contextlib.asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = make_runtime(app)
        app.state.runtime = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    return _lifespan


def health_routes(app: FastAPI) -> None:
    """``/healthz`` (the process answers), ``/readyz`` (database and NATS reachable, streams there) and
    ``/metrics`` (Prometheus text format)."""

    @app.get("/healthz", tags=["health"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="Readiness: database and NATS reachable, streams exist",
             responses={503: {"description": "Not ready: the failing checks are false"}})
    async def readyz() -> Any:
        from fastapi.responses import JSONResponse

        rt: Runtime | None = getattr(app.state, "runtime", None)
        checks = {"database": False, "nats": bool(rt and rt.nc and rt.nc.is_connected), "streams": False}
        if rt is not None:
            with contextlib.suppress(Exception):
                checks["database"] = bool(await asyncio.wait_for(rt.pool.fetchval("SELECT true"), 2))
            if checks["nats"]:
                checks["streams"] = await _streams_exist(rt)
        ok = all(checks.values()) and not (rt and rt.stop_event.is_set())
        stats = rt.stats if rt else ConsumerStats()
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks,
                             "consumers": {"processed": stats.processed,
                                           "duplicates": stats.duplicates,
                                           "dead_lettered": stats.dead_lettered,
                                           "retried": stats.retried}},
                            status_code=200 if ok else 503)

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics (text exposition format)",
             response_class=Response)
    async def metrics() -> Response:
        rt: Runtime | None = getattr(app.state, "runtime", None)
        if rt is None:
            return Response("runtime not started\n", status_code=503, media_type="text/plain")
        await rt.metrics.refresh(rt)
        body, content_type = rt.metrics.render()
        return Response(body, media_type=content_type)

    def _metrics_of(scope: Any) -> Metrics | None:
        rt = getattr(scope["app"].state, "runtime", None) if "app" in scope else None
        return rt.metrics if rt is not None else None

    app.add_middleware(HttpMetrics, metrics_of=_metrics_of)


async def _streams_exist(rt: Runtime) -> bool:
    """Every stream this service publishes to or consumes from exists."""
    from .events import STREAMS

    names = set()
    own = rt.settings.service_name.upper()
    if rt.publishes and own in STREAMS:
        names.add(own)
    names.update(sub.stream for sub in rt.subscriptions)
    try:
        for name in names:
            await asyncio.wait_for(rt.js.stream_info(rt.ns.stream(name)), 2)
    except Exception:  # noqa: BLE001 - missing stream or broker trouble: not ready
        return False
    return True
