"""Who is on call: shifts by time of day, weekends and Korean public holidays, and their SQL.

The duty day (당직일) starts at 09:00 Asia/Seoul, when the duty is handed over, and runs
to 09:00 the next morning. The shift of an instant is decided by its duty day:

- a **public holiday** (``holidays.country_holidays("KR")``: 설날, 추석, 대체공휴일, election
  days ...) → ``holiday``, all of the duty day; also when it falls on a Saturday or Sunday;
- else a **Saturday or Sunday** → ``weekend``, all of the duty day;
- else (a working day) 09:00–18:00 → ``day`` (office hours), 18:00–09:00 → ``weekday_night``.

So a weekday night is the night *after* a working day (Friday 18:00 to Saturday 09:00 too),
and the night after a holiday (holiday 18:00 to the next 09:00) is still the holiday's:
the holiday crew, already on duty, keeps it until the morning handover.

In a team the assignment is, first match wins: an exception for that duty date (with
the shift's kind, then one for the whole date), the team's assignment for the kind, for
a kind with none the next one (``holiday`` → ``weekend``, ``day`` → ``weekday_night``),
and finally the team's standing roles (``workers.role``). Inactive workers are skipped:
the first active of primary → backup → supervisor is texted, the others follow on
escalation. Teams are tried as before (an area team inside its area, then narrower,
then broader) and the fallback team (당직 총괄) takes what no team has anybody for.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Literal

import asyncpg
import holidays

from .domain import ROLE_ORDER, Team, Worker

# Korea keeps no daylight saving time (not since 1988): a fixed offset needs no tz database.
KST = timezone(timedelta(hours=9), "KST")
HANDOVER = time(9, 0)  # the duty day starts (and office hours begin)
OFFICE_END = time(18, 0)

ShiftKind = Literal["day", "weekday_night", "weekend", "holiday"]
Role = Literal["primary", "backup", "supervisor"]
KINDS: tuple[str, ...] = ("day", "weekday_night", "weekend", "holiday")
KIND_LABELS = {"day": "평일 주간", "weekday_night": "평일 야간", "weekend": "주말", "holiday": "공휴일"}
# when a team has no assignment for a kind, the next kind's assignment is used
KIND_FALLBACK: dict[str, tuple[str, ...]] = {
    "day": ("day", "weekday_night"), "weekday_night": ("weekday_night",),
    "weekend": ("weekend",), "holiday": ("holiday", "weekend"),
}
Db = asyncpg.Connection | asyncpg.Pool


# -- time --------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _holidays_of(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("KR", years=year, language="ko").items())


def holiday_name(d: date) -> str | None:
    """The Korean name of the public holiday on ``d`` ('추석', '개천절 대체 휴일'), else None."""
    return _holidays_of(d.year).get(d)


def to_kst(at: datetime) -> datetime:
    """``at`` in Korean time; a naive datetime is taken to be Korean time already."""
    return at.replace(tzinfo=KST) if at.tzinfo is None else at.astimezone(KST)


def duty_date_of(at: datetime) -> date:
    local = to_kst(at)
    return local.date() if local.time() >= HANDOVER else local.date() - timedelta(days=1)


@dataclass(frozen=True)
class Slot:
    """The shift an instant falls in."""

    kind: ShiftKind
    duty_date: date
    starts_at: datetime
    ends_at: datetime
    holiday: str | None = None  # the holiday's Korean name


def shift_at(at: datetime) -> Slot:
    local = to_kst(at)
    d = duty_date_of(local)
    start = datetime.combine(d, HANDOVER, KST)
    next_morning = start + timedelta(days=1)
    name = holiday_name(d)
    if name:
        return Slot("holiday", d, start, next_morning, name)
    if d.weekday() >= 5:
        return Slot("weekend", d, start, next_morning)
    evening = datetime.combine(d, OFFICE_END, KST)
    if local < evening:
        return Slot("day", d, start, evening)
    return Slot("weekday_night", d, evening, next_morning)


def kind_of_date(d: date) -> tuple[ShiftKind, ...]:
    """The kinds a duty date has: ('holiday',), ('weekend',) or ('day', 'weekday_night')."""
    if holiday_name(d):
        return ("holiday",)
    return ("weekend",) if d.weekday() >= 5 else ("day", "weekday_night")


# -- choosing ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shift:
    id: int
    team_id: str
    kind: str | None
    on_date: date | None
    primary: str
    backup: str | None = None
    supervisor: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Snapshot:
    teams: list[Team]  # active teams only
    workers: dict[str, Worker]
    shifts: list[Shift] = field(default_factory=list)


@dataclass(frozen=True)
class OnCall:
    """Who is texted for a complaint, and who follows if nobody answers."""

    team: Team
    slot: Slot
    source: Literal["exception", "shift", "standing"]
    shift_id: int | None
    primary: str | None  # as assigned (may be inactive)
    backup: str | None
    supervisor: str | None
    chain: tuple[tuple[Role, str], ...]  # active workers in order: the first is texted now
    fallback: bool = False  # the duty supervisor team, because no team for the type had anybody

    @property
    def first(self) -> tuple[Role, str]:
        return self.chain[0]

    def next_of(self, role: Role) -> str | None:
        """The active worker for an escalation stage, unless they were texted first."""
        return next((w for r, w in self.chain[1:] if r == role), None)


def assignment_for(team_id: str, slot: Slot, shifts: Iterable[Shift]) -> tuple[str, Shift] | None:
    mine = [s for s in shifts if s.team_id == team_id]
    for kind in (slot.kind, None):
        hit = next((s for s in mine if s.on_date == slot.duty_date and s.kind == kind), None)
        if hit:
            return "exception", hit
    for kind in KIND_FALLBACK[slot.kind]:
        hit = next((s for s in mine if s.on_date is None and s.kind == kind), None)
        if hit:
            return "shift", hit
    return None


def on_call_in(team: Team, snapshot: Snapshot, slot: Slot, *, fallback: bool = False) -> OnCall | None:
    """The team's crew for the slot; None when none of them is active."""
    found = assignment_for(team.id, slot, snapshot.shifts)
    if found:
        source, shift = found
        trio = (shift.primary, shift.backup, shift.supervisor)
        shift_id: int | None = shift.id
    else:
        source, shift_id = "standing", None
        members = sorted((w for w in snapshot.workers.values() if w.team_id == team.id and w.active),
                         key=lambda w: w.id)
        trio = tuple(next((w.id for w in members if w.role == role), None) for role in ROLE_ORDER)
    chain = tuple((role, wid) for role, wid in zip(ROLE_ORDER, trio, strict=True)
                  if wid and wid in snapshot.workers and snapshot.workers[wid].active)
    if not chain:
        return None
    return OnCall(team=team, slot=slot, source=source, shift_id=shift_id, primary=trio[0], backup=trio[1],
                  supervisor=trio[2], chain=chain, fallback=fallback)  # type: ignore[arg-type]


def choose(snapshot: Snapshot, type_: str, district: str | None, at: datetime) -> OnCall | None:
    """The crew for a complaint of ``type_`` in ``district`` at ``at``; None when nobody at all."""
    slot = shift_at(at)

    def rank(t: Team) -> tuple[int, int, str]:
        return (0 if t.districts is not None else 1, len(t.types), t.id)

    for fallback in (False, True):
        for team in sorted((t for t in snapshot.teams if t.fallback == fallback and t.covers(type_, district)),
                           key=rank):
            crew = on_call_in(team, snapshot, slot, fallback=fallback)
            if crew:
                return crew
    return None


# -- SQL ---------------------------------------------------------------------------------------
_SHIFT_COLUMNS = ("id, team_id, kind, on_date, primary_worker_id, backup_worker_id, supervisor_worker_id, note,"
                  " created_at, updated_at")


def _shift(r: Any) -> Shift:
    return Shift(id=r["id"], team_id=r["team_id"], kind=r["kind"], on_date=r["on_date"],
                 primary=r["primary_worker_id"], backup=r["backup_worker_id"],
                 supervisor=r["supervisor_worker_id"], note=r["note"])


async def load(conn: Db, *, duty_date: date | None = None) -> Snapshot:
    """Active teams, all workers and the shift assignments (no personal data): all of them, or only the standing
    ones and those dated ``duty_date`` (what a dispatch can use; dated rows pile up a year's worth)."""
    teams = [
        Team(id=r["id"], name=r["name"], types=tuple(r["types"]),
             districts=tuple(r["districts"]) if r["districts"] is not None else None, fallback=r["fallback"])
        for r in await conn.fetch("SELECT id, name, types, districts, fallback FROM teams WHERE active")
    ]
    workers = {r["id"]: Worker(id=r["id"], team_id=r["team_id"], role=r["role"], active=r["active"])
               for r in await conn.fetch("SELECT id, team_id, role, active FROM workers")}
    shifts = [_shift(r) for r in await conn.fetch(
        f"SELECT {_SHIFT_COLUMNS} FROM shift_assignments WHERE $1::date IS NULL OR on_date IS NULL OR on_date = $1"
        " ORDER BY id", duty_date)]
    return Snapshot(teams, workers, shifts)


async def who_is_on_call(conn: Db, type_: str, district: str | None, at: datetime) -> OnCall | None:
    """(team, primary, backup, supervisor) for a complaint of this type, place and time."""
    return choose(await load(conn, duty_date=shift_at(at).duty_date), type_, district, at)


async def shift_rows(conn: Db, *, team_id: str | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_SHIFT_COLUMNS} FROM shift_assignments WHERE $1::text IS NULL OR team_id = $1"
        " ORDER BY team_id, on_date NULLS FIRST,"
        " array_position(ARRAY['day','weekday_night','weekend','holiday'], kind), id", team_id)


async def shift_row(conn: Db, shift_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_SHIFT_COLUMNS} FROM shift_assignments WHERE id = $1", shift_id)


async def slot_taken(conn: Db, team_id: str, kind: str | None, on_date: date | None,
                     *, except_id: int | None = None) -> int | None:
    return await conn.fetchval(
        "SELECT id FROM shift_assignments WHERE team_id = $1 AND kind IS NOT DISTINCT FROM $2"
        " AND on_date IS NOT DISTINCT FROM $3 AND id IS DISTINCT FROM $4", team_id, kind, on_date, except_id)


async def save_shift(conn: asyncpg.Connection, values: dict[str, Any], *, shift_id: int | None = None) -> int:
    """Insert (``shift_id`` None) or replace an assignment; returns its id."""
    args = (values["team_id"], values["kind"], values["on_date"], values["primary"], values["backup"],
            values["supervisor"], values.get("note"))
    if shift_id is None:
        return await conn.fetchval(
            "INSERT INTO shift_assignments (team_id, kind, on_date, primary_worker_id, backup_worker_id,"
            " supervisor_worker_id, note) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id", *args)
    return await conn.fetchval(
        "UPDATE shift_assignments SET team_id = $1, kind = $2, on_date = $3, primary_worker_id = $4,"
        " backup_worker_id = $5, supervisor_worker_id = $6, note = $7, updated_at = now() WHERE id = $8"
        " RETURNING id", *args, shift_id)


async def upsert_shift(conn: asyncpg.Connection, shift: Shift) -> bool:
    """Insert or update the assignment of a slot (seeding); True when it is new."""
    return await conn.fetchval(
        "INSERT INTO shift_assignments (team_id, kind, on_date, primary_worker_id, backup_worker_id,"
        " supervisor_worker_id, note) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (team_id, (COALESCE(kind, '')), (COALESCE(on_date, '-infinity'::date)))"
        " DO UPDATE SET primary_worker_id = EXCLUDED.primary_worker_id,"
        " backup_worker_id = EXCLUDED.backup_worker_id, supervisor_worker_id = EXCLUDED.supervisor_worker_id,"
        " note = EXCLUDED.note, updated_at = now() RETURNING (xmax = 0)",
        shift.team_id, shift.kind, shift.on_date, shift.primary, shift.backup, shift.supervisor, shift.note)


async def delete_shift(conn: Db, shift_id: int) -> bool:
    return await conn.fetchval("DELETE FROM shift_assignments WHERE id = $1 RETURNING true", shift_id) or False


async def team_row(conn: Db, team_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, name, types, districts, fallback, active FROM teams WHERE id = $1",
                               team_id)


async def team_rows(conn: Db) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id, name, types, districts, fallback, active FROM teams ORDER BY fallback, id")


async def save_team(conn: asyncpg.Connection, team: Team, *, active: bool) -> bool:
    """Insert or replace a team; True when it is new."""
    return await conn.fetchval(
        "INSERT INTO teams (id, name, types, districts, fallback, active) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, types = EXCLUDED.types,"
        " districts = EXCLUDED.districts, fallback = EXCLUDED.fallback, active = EXCLUDED.active,"
        " updated_at = now() RETURNING (xmax = 0)",
        team.id, team.name, list(team.types), list(team.districts) if team.districts is not None else None,
        team.fallback, active)


async def set_team_active(conn: Db, team_id: str, active: bool) -> bool:
    return await conn.fetchval("UPDATE teams SET active = $2, updated_at = now() WHERE id = $1 RETURNING true",
                               team_id, active) or False


async def worker_row(conn: Db, worker_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, team_id, role, active, name_enc, phone_enc FROM workers WHERE id = $1", worker_id)


async def workers_exist(conn: Db, ids: list[str]) -> set[str]:
    return {r["id"] for r in await conn.fetch("SELECT id FROM workers WHERE id = ANY($1::text[])", ids)}


async def worker_with_phone(conn: Db, phone_idx: bytes, *, other_than: str) -> str | None:
    return await conn.fetchval("SELECT id FROM workers WHERE phone_idx = $1 AND id <> $2 LIMIT 1",
                               phone_idx, other_than)


async def update_worker(conn: asyncpg.Connection, worker_id: str, *, team_id: str, role: str, active: bool,
                        name_enc: bytes | None, phone_enc: bytes | None, phone_idx: bytes | None) -> None:
    """Change a worker; a None name or phone keeps the stored one."""
    await conn.execute(
        "UPDATE workers SET team_id = $2, role = $3, active = $4, name_enc = COALESCE($5, name_enc),"
        " phone_enc = COALESCE($6, phone_enc), phone_idx = COALESCE($7, phone_idx), updated_at = now()"
        " WHERE id = $1", worker_id, team_id, role, active, name_enc, phone_enc, phone_idx)


async def set_worker_active(conn: Db, worker_id: str, active: bool) -> bool:
    return await conn.fetchval("UPDATE workers SET active = $2, updated_at = now() WHERE id = $1 RETURNING true",
                               worker_id, active) or False
