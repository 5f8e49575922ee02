"""python -m reporting — the read model and its summaries."""

import sys

from sunmoon.cli import run_uvicorn, service_main

from .bootstrap import MIGRATIONS, create_app
from .settings import ReportingSettings


def main(argv: list[str] | None = None) -> int:
    return service_main(
        prog="reporting",
        description="Sun to Moon reporting: a PII-free read model of every event, and summaries of it "
                    "(settings: REPORTING_* variables).",
        settings_factory=ReportingSettings,
        serve=lambda s: run_uvicorn(create_app(s), s),
        migrations_dir=MIGRATIONS,
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
