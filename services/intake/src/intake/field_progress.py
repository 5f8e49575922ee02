"""The field's progress on a dispatched complaint, for the board: the SMS delivered to the worker's phone
(the gateway's delivery report) and the worker's latest answer on the link (확인 → 도착 → 완료).

The complaint's status keeps its five steps (received → classified → dispatched → acknowledged → resolved);
these two facts only refine how the board labels it, and a linked complaint shows its primary's progress.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from sunmoon.events import Envelope
from sunmoon.events.notifier import NotificationDelivered
from sunmoon.logging import get_logger

from . import repository

log = get_logger(__name__)
RESPONSE_ORDER = ("accepted", "on_site", "done")


def later_response(current: str | None, new: str) -> bool:
    """The worker's answers only move forward; a late or repeated one changes nothing."""
    return current is None or RESPONSE_ORDER.index(new) > RESPONSE_ORDER.index(current)


async def on_notification_delivered(conn: asyncpg.Connection, envelope: Envelope,
                                    event: NotificationDelivered) -> None:
    row = await repository.get_for_update(conn, event.complaint_id)
    if row is None:
        log.warning("delivery report for an unknown complaint ignored", complaint_id=str(event.complaint_id))
        return
    if row["sms_delivered_at"] is None:
        await _set_with_linked(conn, row, sms_delivered_at=event.delivered_at)
    # the detail page's timeline: every delivery report (a re-dispatch is a second SMS, a second report)
    await repository.add_history(conn, row["id"], row["status"],
                                 f"SMS delivered to {event.worker_id} via {event.provider}")


async def record_response(conn: asyncpg.Connection, row: Any, response: str, at: datetime) -> None:
    if later_response(row["field_response"], response):
        await _set_with_linked(conn, row, field_response=response, field_response_at=at)


async def _set_with_linked(conn: asyncpg.Connection, row: Any, **fields: Any) -> None:
    await repository.set_fields(conn, row["id"], **fields)
    if row["duplicate_of"] is None:  # linked complaints share the primary's dispatch, so its progress too
        for child in await repository.linked_to(conn, row["id"], for_update=True):
            await repository.set_fields(conn, child["id"], **fields)
