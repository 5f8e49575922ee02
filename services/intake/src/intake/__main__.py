"""python -m intake — the complaint intake gateway."""

import sys

from sunmoon import keyrotation
from sunmoon.cli import run_uvicorn, service_main

from . import access_cli
from .bootstrap import MIGRATIONS, create_app
from .settings import IntakeSettings
from .open311 import cli as open311_cli
from .web import cli as desk_cli


async def _rotate(settings: IntakeSettings, args) -> int:
    from sunmoon.keyrotation import run_command

    from .rotation import TARGETS  # callers' names and phones; Open311 e-mail, device and account ids

    return await run_command(settings, args, TARGETS)


def main(argv: list[str] | None = None) -> int:
    return service_main(
        prog="intake",
        description="Sun to Moon intake: the HTTP API where complaints are filed (settings: INTAKE_* variables).",
        settings_factory=IntakeSettings,
        serve=lambda s: run_uvicorn(create_app(s), s),
        migrations_dir=MIGRATIONS,
        extra={"rotate-keys": (keyrotation.HELP, keyrotation.add_args, _rotate),
               "create-user": (desk_cli.HELP, desk_cli.add_args, desk_cli.run),
               "api-key": (open311_cli.HELP, open311_cli.add_args, open311_cli.run),
               "access-log": (access_cli.ACCESS_HELP, access_cli.add_access_args, access_cli.run_access),
               "purge-personal-data": (access_cli.PURGE_HELP, access_cli.add_purge_args, access_cli.run_purge)},
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
