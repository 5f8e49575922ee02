"""An officer's re-dispatch and linked duplicates (real PostgreSQL and NATS).

A re-dispatch texts the chosen worker once — per dispatch request, not per complaint — and ends the
earlier notification's escalation; a complaint linked as a duplicate texts nobody.
"""

import uuid
from datetime import datetime, timezone

from sunmoon.events import COMPLAINT_LINKED, make_envelope
from sunmoon.events.intake import ComplaintLinked


async def _escalations(service, complaint_id):
    return await service.pool.fetch("SELECT state, last_notification_id FROM escalations WHERE complaint_id = $1"
                                    " ORDER BY created_at", complaint_id)


async def test_redispatch_texts_the_chosen_worker_once_and_stops_the_old_escalation(service):
    first = service.dispatch_event(attempt=1)
    cid = first.payload["complaint_id"]
    await service.publish(first)
    await service.wait_sent(1)
    assert await service.pool.fetchval("SELECT worker_id FROM notifications") == "w-water-1"
    [chain] = await _escalations(service, uuid.UUID(cid))
    assert chain["state"] == "waiting"

    again = service.dispatch_event(uuid.UUID(cid), worker_id="w-road-2", attempt=2, redispatch_of=first.event_id,
                                   requested_by="officer")
    await service.publish(again)
    await service.publish(again, msg_id="redelivered")  # the same request twice: one text
    await service.wait_sent(2)
    await service.eventually(lambda: _handled(service, 3), what="three deliveries")
    rows = await service.pool.fetch("SELECT worker_id, team_id, role, idempotency_key FROM notifications"
                                    " ORDER BY created_at")
    assert [(r["worker_id"], r["team_id"], r["role"]) for r in rows] == [
        ("w-water-1", "water", "primary"), ("w-road-2", "road", "primary")]
    assert rows[1]["idempotency_key"] == f"{cid}:w-road-2:primary:redispatch:2"
    assert await service.count("sms_messages") == 2
    chains = await _escalations(service, uuid.UUID(cid))
    assert [c["state"] for c in chains] == ["superseded", "waiting"]
    assert chains[1]["last_notification_id"] != chains[0]["last_notification_id"]

    # a second re-dispatch back to the first worker is a new request, hence a new text
    third = service.dispatch_event(uuid.UUID(cid), worker_id="w-water-1", attempt=3, redispatch_of=again.event_id)
    await service.publish(third)
    await service.wait_sent(3)
    assert await service.count("notifications", "worker_id = 'w-water-1'") == 2


async def test_an_unknown_chosen_worker_falls_back_to_the_roster(service):
    env = service.dispatch_event(worker_id="w-nobody", attempt=1)
    await service.publish(env)
    await service.wait_sent(1)
    assert await service.pool.fetchval("SELECT worker_id FROM notifications") == "w-water-1"


async def test_a_linked_complaint_texts_nobody(service):
    primary, dup = uuid.uuid4(), uuid.uuid4()
    linked = make_envelope(COMPLAINT_LINKED, ComplaintLinked(
        complaint_id=dup, primary_id=primary, linked_at=datetime.now(timezone.utc), distance_m=50.0),
        correlation_id=dup)
    await service.publish_to(COMPLAINT_LINKED.subject, linked)
    await service.eventually(lambda: _linked(service, dup), what="link recorded")
    await service.publish(service.dispatch_event(dup))  # never sent by intake; ignored if it were
    await service.publish(service.dispatch_event(primary, linked_complaint_ids=[dup]))
    await service.wait_sent(1)
    await service.eventually(lambda: _handled(service, 3), what="three deliveries")
    rows = await service.pool.fetch("SELECT complaint_id FROM notifications")
    assert [r["complaint_id"] for r in rows] == [primary]
    assert await service.count("sms_messages") == 1


async def _linked(service, cid):
    return await service.count("linked_complaints", "complaint_id = $1", cid) == 1


async def _handled(service, n):
    return service.stats.processed + service.stats.duplicates >= n
