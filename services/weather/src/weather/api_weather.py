"""HTTP routes for what the poller gathered: status, warnings in force, conditions at a place and time,
and (while simulated) switching the built-in fake KMA server's scenario."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request

from sunmoon.events import utcnow

from . import domain, repository
from .grid_table import AmbiguousPlace, UnknownPlace, default_table
from .poller import summary
from .schemas import (
    ConditionsOut,
    JobStatus,
    ObservationOut,
    PlaceOut,
    SimulationIn,
    StatusOut,
    WarningOut,
    WarningsOut,
    aware,
)

router = APIRouter(prefix="/api/v1", tags=["weather"])
STALE_MINUTES = 180  # an observation older than three hours says little about now


async def _pool(request: Request) -> Any:
    return request.app.state.runtime.pool


Pool = Annotated[Any, Depends(_pool)]


def _now(request: Request) -> datetime:
    clock = request.app.state.clock
    return clock() if clock else utcnow()


@router.get("/status", response_model=StatusOut, summary="Where the weather comes from, and the poller's state")
async def status(request: Request, pool: Pool) -> StatusOut:
    """`simulated: true` means no KMA key is configured and the weather is made up by the fake KMA
    server. `stopped_reason` says why polling stopped: `quota` (data.go.kr's daily quota; it resumes
    after midnight KST) or `configuration` (the key or the address is wrong; fix it and restart)."""
    s = request.app.state.settings
    rows = await repository.poll_jobs(pool)
    fake = request.app.state.fake_kma
    return StatusOut(
        simulated=s.simulated, source=s.source, kma_base_url=s.resolved_kma_base_url,
        fake_scenario=fake.scenario if fake is not None else None, city=s.city, cells=request.app.state.cells,
        warning_area=request.app.state.warning_area.area, warning_station=s.warning_station, polling=s.poll,
        **summary(rows),
        jobs={job: JobStatus(**{k: r[k] for k in JobStatus.model_fields if k != "details"},
                             details=dict(r["details"])) for job, r in rows.items()},
    )


@router.get("/warnings", response_model=WarningsOut, summary="KMA weather warnings in force now for the city")
async def warnings(request: Request, pool: Pool) -> WarningsOut:
    s, area = request.app.state.settings, request.app.state.warning_area.area
    rows = await repository.warnings_in_force(pool, area)
    job = await repository.poll_job(pool, "warnings")
    return WarningsOut(city=s.city, area=area, checked_at=job["last_success_at"] if job else None,
                       simulated=s.simulated, items=[WarningOut.from_row(r) for r in rows.values()])


def _place(request: Request, lat: float | None, lon: float | None, nx: int | None, ny: int | None,
           district: str | None) -> PlaceOut:
    given = [name for name, used in (("lat/lon", lat is not None or lon is not None),
                                     ("nx/ny", nx is not None or ny is not None),
                                     ("district", district is not None)) if used]
    if len(given) != 1:
        raise HTTPException(422, "give the place one way: lat and lon, nx and ny, or district")
    cells = request.app.state.cells
    if district is not None:
        try:
            p = default_table().lookup(district.strip(), within=request.app.state.settings.city)
        except UnknownPlace as exc:
            raise HTTPException(404, str(exc)) from None
        except AmbiguousPlace as exc:
            raise HTTPException(422, str(exc)) from None
        return PlaceOut(nx=p.nx, ny=p.ny, district=p.name, lat=p.lat, lon=p.lon, in_city=p.cell in cells)
    if given == ["lat/lon"]:
        if lat is None or lon is None:
            raise HTTPException(422, "give both lat and lon")
        try:
            nx, ny = domain.to_grid(lat, lon)
        except domain.OutsideGrid as exc:
            raise HTTPException(422, str(exc)) from None
        return PlaceOut(nx=nx, ny=ny, lat=lat, lon=lon, in_city=(nx, ny) in cells)
    if nx is None or ny is None:
        raise HTTPException(422, "give both nx and ny")
    return PlaceOut(nx=nx, ny=ny, in_city=(nx, ny) in cells)


@router.get("/conditions", response_model=ConditionsOut, summary="The weather at a place and time",
            responses={404: {"description": "Unknown district"},
                       422: {"description": "No place, two places, an ambiguous district, outside the grid"}})
async def conditions(
    request: Request, pool: Pool,
    lat: Annotated[float | None, Query(ge=domain.LAT_RANGE[0], le=domain.LAT_RANGE[1])] = None,
    lon: Annotated[float | None, Query(ge=domain.LON_RANGE[0], le=domain.LON_RANGE[1])] = None,
    nx: Annotated[int | None, Query(ge=domain.NX_MIN, le=domain.NX_MAX)] = None,
    ny: Annotated[int | None, Query(ge=domain.NY_MIN, le=domain.NY_MAX)] = None,
    district: Annotated[str | None, Query(max_length=60, description="읍·면·동 (or 시·군·구 읍·면·동), e.g. 사우동",
                                          examples=["사우동"])] = None,
    at: Annotated[datetime | None, Query(description="default now; no offset means KST")] = None,
) -> ConditionsOut:
    """The newest observation of the place's grid cell at or before `at`, and the warnings in force for
    the city's area at `at`. Answered from this service's database only (two indexed queries): the
    request/reply fallback for services that missed the events."""
    place = _place(request, lat, lon, nx, ny, district)
    when = aware(at) if at else _now(request)
    row = await repository.latest_at(pool, place.nx, place.ny, when)
    observation = ObservationOut.from_row(row) if row else None
    age = (when - row["observed_at"]).total_seconds() / 60 if row else None
    area = request.app.state.warning_area.area
    warning_rows = await repository.warnings_at(pool, area, when) if place.in_city else []
    items = [WarningOut.from_row(r) for r in warning_rows]
    simulated = request.app.state.settings.simulated or bool(observation and observation.simulated) or any(
        w.simulated for w in items)
    return ConditionsOut(place=place, at=when, observation=observation, observation_age_minutes=age,
                         stale=age is None or age > STALE_MINUTES, warnings=items, simulated=simulated)


@router.put("/simulation", summary="Change the built-in fake KMA server's scenario (simulated mode only)",
            responses={409: {"description": "Not simulated: the service talks to KMA or an external fake"}})
async def simulation(body: SimulationIn, request: Request) -> dict[str, Any]:
    """For demonstrations and tests: e.g. `{"scenario": "heavy_rain"}` makes it rain in Gimpo with a
    호우경보, `{"scenario": "cold_wave"}` brings 한파경보 and snow. The poller fetches again at once."""
    fake = request.app.state.fake_kma
    if fake is None:
        raise HTTPException(409, "the weather is not simulated in this process: there is no fake to change")
    try:
        if body.scenario is not None:
            fake.set_scenario(body.scenario)
        if "fail" in body.model_fields_set:
            fake.set_fail(body.fail, times=body.fail_times)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    poller = getattr(request.app.state, "poller", None)
    if poller is not None:
        await poller.wake()
    return fake.describe()


def install(app: FastAPI) -> None:
    app.include_router(router)
