"""Weather's commands: load, decide, write rows and outbox, all in one transaction."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import asyncpg

from sunmoon.events import OBSERVATION_RECORDED, WARNING_CHANGED, make_envelope
from sunmoon.events.weather import ObservationRecorded, WarningChanged
from sunmoon.logging import get_logger
from sunmoon.messaging import add_to_outbox

from . import repository
from .warning_status import Change, diff

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
    wind_direction_deg: float | None = None
    simulated: bool = False


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
            precipitation_type=row["precipitation_type"], simulated=row["simulated"],
        )))
    log.info("observation recorded", nx=row["nx"], ny=row["ny"], observed_at=row["observed_at"].isoformat(),
             source=row["source"], outcome=outcome, simulated=row["simulated"])
    return row, outcome


@dataclass(frozen=True)
class ApplyWarnings:
    """What a telegram says is in force for the area now (kind -> level), and where it came from."""

    area: str
    in_force: dict[str, str]
    announced_at: datetime
    effective_at: datetime | None
    station: int
    source: str
    simulated: bool


async def apply_warnings(conn: asyncpg.Connection, cmd: ApplyWarnings) -> list[Change]:
    """Compare with the stored state; store and announce each change (issued, changed, lifted).

    Must run inside the caller's transaction. The same state again changes nothing.
    """
    previous = await repository.warnings_in_force(conn, cmd.area, for_update=True)
    changes = diff({k: r["level"] for k, r in previous.items()}, cmd.in_force)
    for change in changes:
        await repository.store_warning_change(conn, area=cmd.area, kind=change.kind, level=change.level,
                                              status=change.status, announced_at=cmd.announced_at,
                                              effective_at=cmd.effective_at, station=cmd.station,
                                              source=cmd.source, simulated=cmd.simulated)
        await add_to_outbox(conn, make_envelope(WARNING_CHANGED, WarningChanged(
            area=cmd.area, kind=change.kind, level=change.level, status=change.status,
            announced_at=cmd.announced_at.astimezone(UTC),
            effective_at=cmd.effective_at.astimezone(UTC) if cmd.effective_at else None,
            station=cmd.station, source=cmd.source, simulated=cmd.simulated,
        )))
        log.info("warning changed", area=cmd.area, kind=change.kind, level=change.level, status=change.status,
                 announced_at=cmd.announced_at.isoformat(), simulated=cmd.simulated)
    return changes
