"""The officer's dispatch commands: link a duplicate, hold, dispatch or re-dispatch (rules in dispatch.py).

Each runs in the caller's transaction: rows, history and outbox commit together.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from sunmoon.crypto import FieldCipher
from sunmoon.events import COMPLAINT_LINKED, make_envelope, utcnow
from sunmoon.events.intake import ComplaintLinked
from sunmoon.logging import get_logger
from sunmoon.messaging import add_to_outbox

from . import dispatch, repository
from .handlers import NotFound, _advance, request_dispatch

log = get_logger(__name__)


async def _load(conn: asyncpg.Connection, complaint_id: uuid.UUID) -> Any:
    row = await repository.get_for_update(conn, complaint_id)
    if row is None:
        raise NotFound(complaint_id)
    return row


async def link(conn: asyncpg.Connection, complaint_id: uuid.UUID, primary_id: uuid.UUID,
               linked_by: str = "officer") -> uuid.UUID:
    """Link ``complaint_id`` to ``primary_id`` (resolved to its root); returns the root's id.

    Raises :class:`NotFound` (either one) or :class:`dispatch.Refused`. The linked complaint takes the
    primary's dispatched/acknowledged/resolved status at once, and every later one as it comes."""
    # lock in id order, so two officers linking the same pair the other way round cannot deadlock
    first, second = sorted((complaint_id, primary_id))
    rows = {first: await repository.get_for_update(conn, first)}
    rows[second] = rows[first] if first == second else await repository.get_for_update(conn, second)
    child, primary = rows[complaint_id], rows[primary_id]
    if child is None:
        raise NotFound(complaint_id)
    if primary is None:
        raise NotFound(primary_id)
    if primary["duplicate_of"] is not None:  # a chain links to the root
        primary = await _load(conn, primary["duplicate_of"])
    dispatch.check_link(child, primary)
    now = utcnow()
    distance = None
    if None not in (child["lat"], child["lon"], primary["lat"], primary["lon"]):
        distance = round(dispatch.haversine_m(child["lat"], child["lon"], primary["lat"], primary["lon"]), 1)
    moved = [child] + list(await repository.linked_to(conn, child["id"], for_update=True))
    for row in moved:  # the complaint, and any linked to it, now hang on the root
        await repository.set_link(conn, row["id"], primary["id"], now)
        await repository.add_history(conn, row["id"], row["status"], f"linked to {primary['id']}")
        await add_to_outbox(conn, make_envelope(COMPLAINT_LINKED, ComplaintLinked(
            complaint_id=row["id"], primary_id=primary["id"], linked_at=now, distance_m=distance,
            linked_by=linked_by), correlation_id=row["id"]))
        fresh = await repository.get_for_update(conn, row["id"])
        for status in dispatch.catch_up(fresh["status"], primary["status"]):
            await _advance(conn, fresh, status, now, f"follows {primary['id']}")
            fresh = await repository.get_for_update(conn, row["id"])
    await repository.add_history(conn, primary["id"], primary["status"], f"duplicate linked: {complaint_id}")
    log.info("complaint linked", complaint_id=str(complaint_id), primary_id=str(primary["id"]), distance_m=distance,
             moved=len(moved))
    return primary["id"]


async def hold(conn: asyncpg.Connection, complaint_id: uuid.UUID, reason: str) -> None:
    row = await _load(conn, complaint_id)
    dispatch.check_hold(row)
    await repository.set_fields(conn, row["id"], held_at=utcnow(), hold_reason=reason)
    await repository.add_history(conn, row["id"], row["status"], f"held: {reason}")
    log.info("complaint held", complaint_id=str(complaint_id))


async def officer_dispatch(conn: asyncpg.Connection, cipher: FieldCipher, complaint_id: uuid.UUID,
                           worker_id: str | None, note: str | None) -> dispatch.DispatchPlan:
    """Dispatch now (held, unsure or not yet dispatched) or re-dispatch to another worker."""
    row = await _load(conn, complaint_id)
    plan = dispatch.plan_dispatch(row, worker_id)
    await request_dispatch(conn, cipher, row, row["type"], row["urgency"] or "normal", row["department"],
                           "officer", worker_id=worker_id, redispatch=plan.redispatch)
    what = "re-dispatched" if plan.redispatch else "dispatched by officer"
    reason = f"{what}{' to ' + worker_id if worker_id else ''}" + (f" ({note})" if note else "")
    await repository.add_history(conn, row["id"], row["status"], reason)
    log.info("dispatch requested by officer", complaint_id=str(complaint_id), worker_id=worker_id,
             attempt=plan.attempt, redispatch=plan.redispatch)
    return plan
