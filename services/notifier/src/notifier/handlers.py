"""The notifier's commands and event handlers: load, decide, write rows and outbox in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from sunmoon.crypto import FieldCipher
from sunmoon.events import NOTIFICATION_ACKNOWLEDGED, Envelope, make_envelope, utcnow
from sunmoon.events.intake import ComplaintDispatchRequested
from sunmoon.events.notifier import NotificationAcknowledged
from sunmoon.logging import get_logger
from sunmoon.messaging import add_to_outbox
from sunmoon.messaging.consumer import PermanentError

from . import domain, repository

log = get_logger(__name__)


def make_dispatch_handler(public_url: str):
    """Handler of ``intake.complaint.dispatch_requested.v1``: queue ONE SMS for the on-call worker.

    The SMS itself is sent by the sender loop; here only the ``notifications`` row is
    written, keyed ``<complaint>:<worker>:primary`` so that no redelivery, repeated
    request or crash ever queues a second text to the same person.
    """

    async def on_dispatch_requested(conn: asyncpg.Connection, envelope: Envelope,
                                    event: ComplaintDispatchRequested) -> None:
        teams, workers = await repository.load_roster(conn)
        selection = domain.select_recipient(teams, workers, event.type, event.district)
        if selection is None:
            raise PermanentError(
                f"nobody active on the roster for type {event.type!r}, not even a duty supervisor "
                "(fallback) team; fill the roster, then replay this dead letter")
        key = domain.idempotency_key(event.complaint_id, selection.worker.id)
        sms = domain.compose_sms(
            domain.SmsFacts(type=event.type, urgency=event.urgency, address=event.address,
                            district=event.district, callback_masked=event.callback_masked),
            domain.ack_link(public_url, domain.MASKED_TOKEN),
        )
        notification_id = await repository.insert_notification(conn, {
            "id": uuid.uuid4(), "complaint_id": event.complaint_id, "worker_id": selection.worker.id,
            "team_id": selection.team.id, "role": selection.worker.role, "idempotency_key": key,
            "complaint_type": event.type, "urgency": event.urgency,
            "place": domain.place_of(event.address, event.district), "text": sms.text,
            "message_kind": sms.kind, "size_bytes": sms.size_bytes, "event_id": envelope.event_id,
        })
        ctx = {"complaint_id": str(event.complaint_id), "worker_id": selection.worker.id,
               "team": selection.team.id}
        if notification_id is None:
            log.info("worker already notified for this complaint; nothing queued", **ctx)
            return
        await repository.wake_sender(conn)
        log.info("notification queued", notification_id=str(notification_id), kind=sms.kind,
                 bytes=sms.size_bytes, fallback=selection.fallback, **ctx)

    return on_dispatch_requested


# -- acknowledgement -------------------------------------------------------------------------
# open: the link can be used; acknowledged: this request did it; already: an earlier one did
AckOutcome = Literal["open", "acknowledged", "already", "expired", "unknown"]


@dataclass(frozen=True)
class AckResult:
    outcome: AckOutcome
    notification: Any = None  # the notifications row, when the token is known
    acknowledged_at: datetime | None = None


async def inspect_token(conn: asyncpg.Connection | asyncpg.Pool, token: str) -> AckResult:
    """What the link page shows; changes nothing (link previews fetch GETs too)."""
    if not domain.valid_token(token):
        return AckResult("unknown")
    row = await repository.by_token_hash(conn, domain.token_hash(token))
    if row is None:
        return AckResult("unknown")
    state = domain.ack_state(row["acknowledged_at"], row["ack_expires_at"], utcnow())
    outcome: AckOutcome = {"open": "open", "acknowledged": "already", "expired": "expired"}[state]
    return AckResult(outcome, row, row["acknowledged_at"])


async def acknowledge(conn: asyncpg.Connection, token: str) -> AckResult:
    """Mark the notification of ``token`` acknowledged, once, and announce it."""
    if not domain.valid_token(token):
        return AckResult("unknown")
    row = await repository.by_token_hash(conn, domain.token_hash(token), for_update=True)
    if row is None:
        return AckResult("unknown")
    now = utcnow()
    state = domain.ack_state(row["acknowledged_at"], row["ack_expires_at"], now)
    if state == "acknowledged":
        return AckResult("already", row, row["acknowledged_at"])
    if state == "expired":
        return AckResult("expired", row)
    await repository.mark_acknowledged(conn, row["id"], now)
    await add_to_outbox(conn, make_envelope(NOTIFICATION_ACKNOWLEDGED, NotificationAcknowledged(
        notification_id=row["id"], complaint_id=row["complaint_id"], worker_id=row["worker_id"],
        acknowledged_at=now,
    ), correlation_id=row["complaint_id"]))
    log.info("notification acknowledged", notification_id=str(row["id"]),
             complaint_id=str(row["complaint_id"]), worker_id=row["worker_id"])
    return AckResult("acknowledged", row, now)


# -- roster ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RosterEntry:
    worker: domain.Worker
    name: str
    phone: str


async def seed_roster(conn: asyncpg.Connection, cipher: FieldCipher, teams: list[domain.Team],
                      entries: list[RosterEntry]) -> dict[str, int]:
    """Insert or update teams and workers (names and phones encrypted). Safe to run again."""
    counts = {"teams": len(teams), "workers": len(entries), "new_teams": 0, "new_workers": 0}
    for team in teams:
        counts["new_teams"] += bool(await repository.upsert_team(conn, team))
    for e in entries:
        wid = e.worker.id
        counts["new_workers"] += bool(await repository.upsert_worker(
            conn, e.worker,
            name_enc=cipher.encrypt(e.name, table="workers", column="name", row_id=wid),
            phone_enc=cipher.encrypt(e.phone, table="workers", column="phone", row_id=wid),
            phone_idx=cipher.blind_index(e.phone),
        ))
    return counts
