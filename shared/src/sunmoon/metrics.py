"""Prometheus metrics every service exposes on ``GET /metrics``.

Each :class:`~sunmoon.runtime.Runtime` owns one :class:`Metrics` with its own
registry (tests run several services in one process, so nothing is global).
Counters and histograms are updated where the work happens (consumer loop,
outbox relay, HTTP middleware); gauges that need a query — consumer lag, outbox
backlog — are read when Prometheus scrapes, with a short deadline, so a scrape
never hangs on a sick broker.

Names follow Prometheus conventions: ``sunmoon_`` prefix, ``_total`` counters,
``_seconds`` histograms, the service as a label so one dashboard serves all five.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events = Counter("sunmoon_events_total", "Events taken from a consumer, by outcome "
                              "(processed, duplicate, ignored, retried, dead_lettered)",
                              ["service", "subject", "durable", "outcome"], registry=r)
        self.handler_seconds = Histogram("sunmoon_handler_seconds", "Time to handle one event "
                                         "(transaction with inbox row and handler)", ["service", "durable"],
                                         buckets=LATENCY_BUCKETS, registry=r)
        self.published = Counter("sunmoon_outbox_published_total", "Outbox events published to JetStream",
                                 ["service"], registry=r)
        self.publish_failures = Counter("sunmoon_outbox_publish_failures_total",
                                        "Outbox publishes that failed (retried later)", ["service"], registry=r)
        self.outbox_backlog = Gauge("sunmoon_outbox_backlog", "Outbox rows written but not yet published",
                                    ["service"], registry=r)
        self.outbox_oldest = Gauge("sunmoon_outbox_oldest_unpublished_seconds",
                                   "Age of the oldest unpublished outbox row (0 when none)", ["service"], registry=r)
        self.consumer_pending = Gauge("sunmoon_consumer_pending", "Messages in the stream not yet delivered to "
                                      "this durable consumer (consumer lag)", ["service", "durable"], registry=r)
        self.consumer_ack_pending = Gauge("sunmoon_consumer_ack_pending", "Messages delivered but not yet "
                                          "acknowledged", ["service", "durable"], registry=r)
        self.http_seconds = Histogram("sunmoon_http_request_seconds", "HTTP request latency",
                                      ["service", "method", "route", "status"], buckets=LATENCY_BUCKETS, registry=r)
        self.up = Gauge("sunmoon_dependency_up", "1 when the dependency answered at the last scrape",
                        ["service", "dependency"], registry=r)
        self.sms = Counter("sunmoon_sms_total", "SMS sends by gateway and outcome (sent, failed)",
                           ["service", "provider", "outcome"], registry=r)

    # -- updated where the work happens -------------------------------------------------------------------
    def event(self, subject: str, durable: str, outcome: str) -> None:
        self.events.labels(self.service, subject, durable, outcome).inc()

    def handled(self, durable: str, seconds: float) -> None:
        self.handler_seconds.labels(self.service, durable).observe(seconds)

    def sms_result(self, provider: str, ok: bool) -> None:
        self.sms.labels(self.service, provider, "sent" if ok else "failed").inc()

    # -- read at scrape time -------------------------------------------------------------------------------
    async def refresh(self, runtime: Any, deadline: float = 2.0) -> None:
        """Update the gauges that need a query; each source gets ``deadline`` seconds."""
        pool, js, ns = runtime.pool, runtime.js, runtime.ns
        db_ok = False
        if pool is not None:
            with contextlib.suppress(Exception):
                row = await asyncio.wait_for(pool.fetchrow(
                    "SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age "
                    "FROM outbox WHERE published_at IS NULL"), deadline)
                self.outbox_backlog.labels(self.service).set(row["n"])
                self.outbox_oldest.labels(self.service).set(float(row["age"]))
                db_ok = True
        self.up.labels(self.service, "postgresql").set(1 if db_ok else 0)
        nats_ok = bool(runtime.nc is not None and runtime.nc.is_connected)
        self.up.labels(self.service, "nats").set(1 if nats_ok else 0)
        if not nats_ok or js is None:
            return
        for sub in runtime.subscriptions:
            with contextlib.suppress(Exception):
                info = await asyncio.wait_for(js.consumer_info(ns.stream(sub.stream), sub.durable), deadline)
                self.consumer_pending.labels(self.service, sub.durable).set(info.num_pending or 0)
                self.consumer_ack_pending.labels(self.service, sub.durable).set(info.num_ack_pending or 0)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class HttpMetrics:
    """ASGI middleware: request latency by method, route template and status.

    The route is the matched path template (``/api/v1/complaints/{complaint_id}``), never the raw path, so
    ids do not explode the label set; unmatched paths count as ``unmatched``.
    """

    def __init__(self, app: ASGIApp, metrics_of: Any) -> None:
        self.app = app
        self.metrics_of = metrics_of  # callable: scope -> Metrics | None (the runtime may not exist yet)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def _send(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            metrics = self.metrics_of(scope)
            if metrics is not None:
                route = scope.get("route")
                template = getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"
                if template == "/metrics":
                    return
                metrics.http_seconds.labels(metrics.service, scope["method"], template,
                                            str(status["code"])).observe(time.perf_counter() - start)
