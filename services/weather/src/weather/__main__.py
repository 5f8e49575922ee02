"""python -m weather — weather observations per KMA grid cell, KMA polling, and the fake KMA server."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from pydantic import ValidationError

from sunmoon.cli import run_uvicorn, service_main
from sunmoon.db import connect, migrate
from sunmoon.events import utcnow

from . import fakekma, handlers
from .bootstrap import MIGRATIONS, create_app
from .schemas import MEASURED, KST, ObservationIn, ObservationOut
from .settings import WeatherSettings


def _record_args(p: argparse.ArgumentParser) -> None:
    p.description = ("Record one observation by hand, through the same rules as the HTTP API. "
                     "The running service announces it (weather.observation.recorded.v1) from its outbox.")
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = "example: python -m weather record --nx 55 --ny 128 --temp -3.5 --rain 0 --pty 0"
    place = p.add_argument_group("place (a KMA grid cell, or lat/lon converted to one)")
    place.add_argument("--nx", type=int, help="KMA grid column, 1-149")
    place.add_argument("--ny", type=int, help="KMA grid row, 1-253")
    place.add_argument("--lat", type=float, help="WGS84 latitude")
    place.add_argument("--lon", type=float, help="WGS84 longitude")
    p.add_argument("--at", type=datetime.fromisoformat, metavar="ISO_TIME",
                   help="when it was observed, e.g. 2026-01-15T03:00 (no offset means KST; default: now)")
    p.add_argument("--source", default="manual", help="who observed it (default: manual)")
    values = p.add_argument_group("values (at least one)")
    values.add_argument("--temp", type=float, dest="temperature_c", help="air temperature, °C")
    values.add_argument("--rain", type=float, dest="precipitation_mm", help="precipitation in the last hour, mm")
    values.add_argument("--humidity", type=float, dest="humidity_pct", help="relative humidity, %%")
    values.add_argument("--wind", type=float, dest="wind_speed_ms", help="wind speed, m/s")
    values.add_argument("--pty", type=int, dest="precipitation_type",
                        help="KMA precipitation type: 0 없음, 1 비, 2 비/눈, 3 눈, 5 빗방울, 6 빗방울눈날림, 7 눈날림")


async def _record(settings: WeatherSettings, args: argparse.Namespace) -> int:
    fields = {k: getattr(args, k) for k in (
        "nx", "ny", "lat", "lon", "source", "temperature_c", "precipitation_mm", "humidity_pct",
        "wind_speed_ms", "precipitation_type",
    ) if getattr(args, k) is not None}
    fields["observed_at"] = args.at or utcnow().astimezone(KST).replace(second=0, microsecond=0)
    try:
        observation = ObservationIn(**fields)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "observation"
            print(f"weather record: {where}: {err['msg']}", file=sys.stderr)
        return 2
    await migrate(settings.database_url, MIGRATIONS, label=settings.service_name)
    conn = await connect(settings.database_url)
    try:
        async with conn.transaction():
            row, outcome = await handlers.record_observation(conn, observation.to_command())
    finally:
        await conn.close()
    out = ObservationOut.from_row(row)
    values = " ".join(f"{f}={getattr(out, f)}" for f in MEASURED if getattr(out, f) is not None)
    label = f" ({out.precipitation_type_label})" if out.precipitation_type_label else ""
    print(f"{outcome}: cell ({out.nx}, {out.ny}) at {out.observed_at.astimezone(KST).isoformat()}"
          f" from {out.source}: {values}{label}")
    return 0


def _fake_kma(_settings: WeatherSettings, args: argparse.Namespace) -> int:
    return fakekma.run_from_args(args)


def main(argv: list[str] | None = None) -> int:
    return service_main(
        prog="weather",
        description="Sun to Moon weather: KMA observations and warnings for the city (settings: WEATHER_* "
                    "variables; without WEATHER_KMA_SERVICE_KEY the weather is simulated).",
        settings_factory=WeatherSettings,
        serve=lambda s: run_uvicorn(create_app(s), s),
        migrations_dir=MIGRATIONS,
        extra={"record": ("record one observation by hand (same rules as POST /api/v1/observations)",
                          _record_args, _record),
               "fake-kma": ("run a fake KMA server (SIMULATED weather) that speaks the real protocol",
                            fakekma.add_arguments, _fake_kma)},
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
