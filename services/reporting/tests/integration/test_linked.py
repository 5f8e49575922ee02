"""A complaint linked as a duplicate stays a complaint in the read model, marked with its primary."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sunmoon.events import COMPLAINT_LINKED, make_envelope
from sunmoon.events.intake import ComplaintLinked

from .test_read_model import T0, received, running_reporting


async def test_a_linked_complaint_is_counted_and_marked(servers, namespace):
    async with running_reporting(servers, namespace) as h:
        primary, dup = uuid.uuid4(), uuid.uuid4()
        await h.publish(received(primary, T0))
        await h.publish(received(dup, T0 + timedelta(minutes=3)))
        await h.publish(make_envelope(COMPLAINT_LINKED, ComplaintLinked(
            complaint_id=dup, primary_id=primary, linked_at=T0 + timedelta(minutes=3), distance_m=48.0),
            correlation_id=dup))
        await h.processed(3)
        assert (await h.summary())["total"] == 2  # two calls, both counted
        marks = dict(await h.pool.fetch("SELECT complaint_id, duplicate_of FROM complaints"))
        assert marks == {primary: None, dup: primary}
