"""python -m intake — the complaint intake gateway."""

import sys

from sunmoon.cli import run_uvicorn, service_main

from .bootstrap import MIGRATIONS, create_app
from .settings import IntakeSettings


def main(argv: list[str] | None = None) -> int:
    return service_main(
        prog="intake",
        description="Sun to Moon intake: the HTTP API where complaints are filed (settings: INTAKE_* variables).",
        settings_factory=IntakeSettings,
        serve=lambda s: run_uvicorn(create_app(s), s),
        migrations_dir=MIGRATIONS,
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
