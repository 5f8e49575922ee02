"""python -m notifier — texts the on-call field worker and takes their acknowledgement."""

from __future__ import annotations

import argparse
import sys

from sunmoon import keyrotation
from sunmoon.cli import run_uvicorn, service_main
from sunmoon.crypto import FieldCipher, load_keyring
from sunmoon.db import connect, migrate

from . import demo_roster, handlers
from .bootstrap import MIGRATIONS, create_app
from .settings import NotifierSettings


def _seed_args(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Create the database if needed, apply migrations, and insert (or refresh) a demonstration "
        "roster for Gimpo: teams covering all fifteen complaint types, a northern-area road team, "
        "a duty supervisor team, fictional names and never-issued 010-0xxx numbers, and shift assignments "
        "for office hours, weekday nights, weekends and public holidays. Safe to run again.")


async def _seed_demo(settings: NotifierSettings, _args: argparse.Namespace) -> int:
    cipher = FieldCipher(load_keyring(allow_dev_keys=settings.allow_dev_keys))
    await migrate(settings.database_url, MIGRATIONS, label=settings.service_name)
    conn = await connect(settings.database_url)
    try:
        async with conn.transaction():
            counts = await handlers.seed_roster(conn, cipher, demo_roster.TEAMS, demo_roster.ENTRIES,
                                                demo_roster.SHIFTS)
    finally:
        await conn.close()
    print(f"demo roster: {counts['teams']} teams ({counts['new_teams']} new), "
          f"{counts['workers']} workers ({counts['new_workers']} new), "
          f"{counts['shifts']} shift assignments ({counts['new_shifts']} new)")
    return 0


async def _rotate(settings: NotifierSettings, args: argparse.Namespace) -> int:
    from sunmoon.keyrotation import run_command

    from .rotation import TARGETS  # workers' names and phones, console SMS recipients

    return await run_command(settings, args, TARGETS)


def main(argv: list[str] | None = None) -> int:
    return service_main(
        prog="notifier",
        description="Sun to Moon notifier: texts the on-call field worker for each dispatched complaint "
                    "and serves the acknowledgement links (settings: NOTIFIER_* variables).",
        settings_factory=NotifierSettings,
        serve=lambda s: run_uvicorn(create_app(s), s),
        migrations_dir=MIGRATIONS,
        extra={"seed-demo": ("insert the demonstration roster for Gimpo (idempotent)", _seed_args, _seed_demo),
               "rotate-keys": (keyrotation.HELP, keyrotation.add_args, _rotate)},
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
