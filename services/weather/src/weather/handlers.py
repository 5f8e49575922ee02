"""Weather's commands: load, decide, write rows and outbox, all in one transaction."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import asyncpg

from sunmoon.events import OBSERVATION_RECORDED, make_envelope
from sunmoon.events.weather import ObservationRecorded
from sunmoon.logging import get_logger
from sunmoon.messaging import add_to_outbox

from . import repository

log = get_logger(__name__)


@dataclass(frozen=True)
class RecordObservation:
    """One observation at a KMA grid cell (already validated and converted to nx/ny)."""

    nx: int
    ny: int
    observed_at: datetime
    source: str = "manual"
    temperature_c: float | None = None
    precipitation_mm: float | None = None
    humidity_pct: float | None = None
    wind_speed_ms: float | None = None
    precipitation_type: int | None = None


async def record_observation(
    conn: asyncpg.Connection, cmd: RecordObservation
) -> tuple[asyncpg.Record, repository.Outcome]:
    """Store the observation; announce it when it is new or its values changed.

    Must run inside the caller's transaction: the row and the outbox row commit together.
    Recording exactly the same values again changes nothing and announces nothing.
    """
    row, outcome = await repository.upsert_observation(conn, asdict(cmd))
    if outcome != "unchanged":
        await add_to_outbox(conn, make_envelope(OBSERVATION_RECORDED, ObservationRecorded(
            nx=row["nx"], ny=row["ny"], observed_at=row["observed_at"], source=row["source"],
            temperature_c=row["temperature_c"], precipitation_mm=row["precipitation_mm"],
            humidity_pct=row["humidity_pct"], wind_speed_ms=row["wind_speed_ms"],
            precipitation_type=row["precipitation_type"],
        )))
    log.info("observation recorded", nx=row["nx"], ny=row["ny"], observed_at=row["observed_at"].isoformat(),
             source=row["source"], outcome=outcome)
    return row, outcome
