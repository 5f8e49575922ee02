"""python -m intake — the complaint intake gateway."""

import sys

from sunmoon.cli import run_uvicorn, service_main

from .bootstrap import MIGRATIONS, create_app
from .settings import IntakeSettings
from .open311 import cli as open311_cli
from .open311 import rotation as open311_rotation
from .web import cli as desk_cli


async def _rotate(settings: IntakeSettings, args) -> int:
    from sunmoon.crypto import FieldCipher, load_keyring
    from sunmoon.db import create_pool

    from .rotation import rotate

    cipher = FieldCipher(load_keyring(allow_dev_keys=settings.allow_dev_keys))
    pool = await create_pool(settings.database_url, max_size=2)
    try:
        await rotate(pool, cipher, batch=args.batch)
        await open311_rotation.rotate(pool, cipher, batch=args.batch)  # e-mail, device, account ids
    finally:
        await pool.close()
    return 0


def _rotate_args(parser) -> None:
    parser.add_argument("--batch", type=int, default=500, help="rows per transaction (default 500)")


def main(argv: list[str] | None = None) -> int:
    return service_main(
        prog="intake",
        description="Sun to Moon intake: the HTTP API where complaints are filed (settings: INTAKE_* variables).",
        settings_factory=IntakeSettings,
        serve=lambda s: run_uvicorn(create_app(s), s),
        migrations_dir=MIGRATIONS,
        extra={"rotate-keys": ("re-encrypt callers' names and phones under the newest key in SUNMOON_DATA_KEYS",
                               _rotate_args, _rotate),
               "create-user": (desk_cli.HELP, desk_cli.add_args, desk_cli.run),
               "api-key": (open311_cli.HELP, open311_cli.add_args, open311_cli.run)},
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
