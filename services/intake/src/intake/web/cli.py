"""``python -m intake create-user``: add a desk user (or, with --update, set a new password and role)."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from .auth import NAME_PATTERN, ROLES

HELP = "add a user of the duty officer's desk (/desk); the password is read from a prompt, stdin or a file"


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Add a user who may sign in to the duty officer's desk (/desk). The password is asked for twice "
        "on a terminal, read from the first line of stdin otherwise, or read from --password-file. "
        "Roles: " + ", ".join(f"{k} ({v})" for k, v in ROLES.items()) + ".")
    parser.add_argument("name", help="sign-in name: 2-40 letters, digits, '.', '_' or '-'")
    parser.add_argument("--role", choices=list(ROLES), default="duty_officer",
                        help="duty_officer files and follows complaints; supervisor also reads the access log "
                             "of personal data; admin as supervisor (default duty_officer)")
    parser.add_argument("--update", action="store_true",
                        help="the user exists already: set this password and role (signs them out everywhere)")
    parser.add_argument("--password-file", type=Path, metavar="PATH",
                        help="read the password from this file; if it does not exist, generate one, write it "
                             "there (mode 0600) and say so (for demo users)")


def _read_password(args: argparse.Namespace) -> tuple[str, str | None]:
    """(password, a note to print)."""
    if args.password_file is not None:
        path: Path = args.password_file
        if path.exists():
            return path.read_text(encoding="utf-8").strip(), None
        password = secrets.token_urlsafe(12)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(password + "\n")
        return password, f"a new password was written to {path}"
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise ValueError("the two passwords differ")
        return first, None
    return sys.stdin.readline().rstrip("\r\n"), None


async def run(settings: Any, args: argparse.Namespace) -> int:
    import re

    from sunmoon.db import connect, migrate

    from ..bootstrap import MIGRATIONS
    from .auth import save_user

    if not re.match(NAME_PATTERN, args.name):
        print("create-user: a name is 2-40 letters, digits, '.', '_' or '-'", file=sys.stderr)
        return 2
    try:
        password, note = _read_password(args)
    except (ValueError, OSError, EOFError) as exc:
        print(f"create-user: {exc}", file=sys.stderr)
        return 2
    await migrate(settings.database_url, MIGRATIONS, label=settings.service_name)
    conn = await connect(settings.database_url)
    try:
        what = await save_user(conn, args.name, args.role, password, update=args.update)
    except (ValueError, LookupError) as exc:
        print(f"create-user: {exc}", file=sys.stderr)
        return 1
    finally:
        await conn.close()
    if note:
        print(note)
    print(f"desk user {args.name} ({args.role}) {what}")
    return 0
