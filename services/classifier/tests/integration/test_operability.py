"""Operability on a real service: Prometheus metrics, readiness with streams, and the graceful stop."""

from prometheus_client.parser import text_string_to_metric_families


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _value(samples, name, **labels):
    want = set(labels.items())
    return sum(v for (n, lab), v in samples.items() if n == name and want <= set(lab))


async def test_metrics_count_events_latency_lag_outbox_and_http(service):
    await service.publish(service.received_event())
    await service.publish(service.received_event())
    await service.publish_to("intake.complaint.received.v1", body=b"{broken")
    await service.handled(3)
    await service.wait_published(2)
    await service.client.get("/api/v1/types")

    resp = await service.client.get("/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    s = _samples(resp.text)
    subject = "intake.complaint.received.v1"
    assert _value(s, "sunmoon_events_total", service="classifier", subject=subject, outcome="processed") == 2
    assert _value(s, "sunmoon_events_total", subject=subject, outcome="dead_lettered") == 1
    assert _value(s, "sunmoon_handler_seconds_count", service="classifier") == 2
    assert _value(s, "sunmoon_outbox_published_total", service="classifier") >= 2
    assert ("sunmoon_outbox_backlog", (("service", "classifier"),)) in s
    # consumer lag is read from JetStream at scrape time: everything was handled
    pending = [k for k in s if k[0] == "sunmoon_consumer_pending"]
    assert pending and all(s[k] == 0 for k in pending)
    assert _value(s, "sunmoon_dependency_up", dependency="nats") == 1
    assert _value(s, "sunmoon_dependency_up", dependency="postgresql") == 1
    # HTTP latency by route template, not by raw path
    assert _value(s, "sunmoon_http_request_seconds_count", route="/api/v1/types", status="200") == 1
    assert not [k for k in s if k[0].startswith("sunmoon_http") and ("route", "/metrics") in k[1]]


async def test_readiness_needs_the_streams(service):
    ready = (await service.client.get("/readyz")).json()
    assert ready["checks"] == {"database": True, "nats": True, "streams": True}
    await service.js.delete_stream(service.ns.stream("INTAKE"))  # a stream it consumes is gone
    resp = await service.client.get("/readyz")
    assert resp.status_code == 503 and resp.json()["checks"]["streams"] is False
