"""Least privilege between services: per-service NATS permissions and PostgreSQL roles, generated.

Nothing here is written by hand. What a service may do on NATS follows from two
tables the code already has:

* the event registry (:data:`sunmoon.events.REGISTRY`): the subjects a service
  *publishes* are those whose producer is the service;
* each service's routing table (``<service>.subscriptions.subscriptions()``): the
  (subject, durable) pairs it *consumes*.

From them :func:`nats_permissions` derives, for one service, exactly the
JetStream API subjects it needs: publish its own event subjects (the stream's
ack comes back to its private inbox), create/update/inspect only its own stream,
create/inspect/fetch from/ack only its own durable consumers, and subscribe only
to its own inbox prefix (``_INBOX_<user>.>``, so it cannot read the replies and
fetched messages of another service). Everything else is refused by nats-server.

For PostgreSQL, :func:`pg_roles_sql` creates one login role per service that
owns the service's database; ``CONNECT`` is revoked from ``PUBLIC``, so a role
cannot even open another service's database.

Operators use the CLI: ``python -m sunmoon.access --help``.
"""

from __future__ import annotations

import importlib
import inspect
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from .events import REGISTRY, STREAMS
from .messaging.nats import Namespace

SERVICES: tuple[str, ...] = ("intake", "classifier", "notifier", "weather", "reporting")
ADMIN_USER = "admin"  # operators and provisioning: every permission (replay of dead letters, inspection)
ANALYTICS_USER = "analytics"  # the city's analytics platform: reads the PII-free feed, nothing else
ANALYTICS_SUBJECT = "reporting.analytics.complaint_state.v1"


@dataclass(frozen=True)
class Route:
    subject: str  # registry subject, without namespace
    durable: str

    @property
    def stream(self) -> str:
        return self.subject.split(".", 1)[0].upper()


def routes_of(service: str) -> list[Route]:
    """The (subject, durable) pairs ``service`` consumes, read from its own routing table.

    ``subscriptions()`` only builds closures over its arguments, so it is called
    with ``None`` for each: we want the table, not working handlers.
    """
    try:
        module = importlib.import_module(f"{service}.subscriptions")
    except ImportError as exc:
        raise SystemExit(f"cannot read {service}'s routing table ({exc}); run this from the workspace "
                         "where every service is installed (`uv sync`)") from exc
    params = inspect.signature(module.subscriptions).parameters.values()
    table = module.subscriptions(**{p.name: None for p in params if p.default is inspect.Parameter.empty})
    return [Route(s.subject, s.durable) for s in table]


def published_by(service: str) -> list[str]:
    return sorted(s for s, spec in REGISTRY.items() if spec.producer == service)


def inbox_prefix(user: str) -> str:
    """The private reply prefix a client connecting as ``user`` uses (see messaging.connect)."""
    return f"_INBOX_{user}"


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]

    def as_config(self) -> str:
        def lst(items: tuple[str, ...]) -> str:
            return "[" + ", ".join(f'"{i}"' for i in items) + "]"

        return f"{{ publish: {{ allow: {lst(self.publish)} }}, subscribe: {{ allow: {lst(self.subscribe)} }} }}"


def nats_permissions(service: str, ns: Namespace = Namespace(), routes: list[Route] | None = None) -> Permissions:
    own = service.upper()
    if own not in STREAMS:
        raise ValueError(f"unknown service {service!r}")
    stream = ns.stream(own)
    pub = [ns.subject(s) for s in published_by(service)]
    pub += [f"$JS.API.STREAM.{op}.{stream}" for op in ("INFO", "CREATE", "UPDATE")]
    for r in routes if routes is not None else routes_of(service):
        s, d = ns.stream(r.stream), r.durable
        pub += [
            f"$JS.API.STREAM.INFO.{s}",  # readiness checks that the streams it consumes exist
            f"$JS.API.CONSUMER.CREATE.{s}.{d}.{ns.subject(r.subject)}",  # nats-server >= 2.9, with filter
            f"$JS.API.CONSUMER.CREATE.{s}.{d}",
            f"$JS.API.CONSUMER.DURABLE.CREATE.{s}.{d}",  # older clients
            f"$JS.API.CONSUMER.INFO.{s}.{d}",
            f"$JS.API.CONSUMER.MSG.NEXT.{s}.{d}",
            f"$JS.ACK.{s}.{d}.>",  # ack, nak, term, in-progress
        ]
    return Permissions(tuple(dict.fromkeys(pub)), (f"{inbox_prefix(service)}.>",))


def analytics_permissions(ns: Namespace = Namespace()) -> Permissions:
    """Any consumer on the REPORTING stream, but only filtered to the PII-free analytics subject."""
    s = ns.stream("REPORTING")
    return Permissions(
        (f"$JS.API.CONSUMER.CREATE.{s}.*.{ns.subject(ANALYTICS_SUBJECT)}", f"$JS.API.CONSUMER.INFO.{s}.*",
         f"$JS.API.CONSUMER.MSG.NEXT.{s}.*", f"$JS.API.CONSUMER.DELETE.{s}.*", f"$JS.ACK.{s}.>"),
        (f"{inbox_prefix(ANALYTICS_USER)}.>",),
    )


# -- passwords ----------------------------------------------------------------------------

def ensure_passwords(secrets_dir: Path, users: list[str]) -> dict[str, str]:
    """Read ``<dir>/<user>.password`` for each user, creating a random one (mode 0600) where missing."""
    secrets_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(secrets_dir, 0o700)
    out: dict[str, str] = {}
    for user in users:
        path = secrets_dir / f"{user}.password"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(24) + "\n")
        out[user] = path.read_text().strip()
    return out


def bcrypt_hash(password: str, rounds: int = 11) -> str:  # nats-server checks it at every connect
    import bcrypt

    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=rounds, prefix=b"2a")).decode()


def all_users(*, analytics: bool = True) -> list[str]:
    return [*SERVICES, ADMIN_USER, *([ANALYTICS_USER] if analytics else [])]


def nats_authorization(passwords: dict[str, str], ns: Namespace = Namespace(), *, rounds: int = 11) -> str:
    """A nats-server ``authorization { users: [...] }`` block for every user in ``passwords``.

    Passwords are bcrypt-hashed (nats-server accepts ``$2a$`` hashes); ``rounds`` is the cost
    (each connect costs the server one check: 11 takes ~0.2 s; throw-away test servers use 4).
    """
    lines = ["authorization {", "  users: ["]
    for user, password in passwords.items():
        secret = bcrypt_hash(password, rounds)
        if user == ADMIN_USER:
            perms = ""
        elif user == ANALYTICS_USER:
            perms = f", permissions: {analytics_permissions(ns).as_config()}"
        else:
            perms = f", permissions: {nats_permissions(user, ns).as_config()}"
        lines.append(f'    {{ user: "{user}", password: "{secret}"{perms} }}')
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


# -- PostgreSQL ---------------------------------------------------------------------------

def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def pg_role_sql(role: str, database: str, password: str | None = None) -> list[str]:
    """Statements, run as a superuser on the server's maintenance database, that give ``role``
    its own ``database`` and shut everyone else (but superusers) out of it. Idempotent."""
    pw = f" PASSWORD {_literal(password)}" if password else ""
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(role)}) THEN "
        f"CREATE ROLE {_ident(role)} LOGIN; END IF; END $$",
        f"ALTER ROLE {_ident(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE{pw}",
        f"ALTER DATABASE {_ident(database)} OWNER TO {_ident(role)}",
        f"REVOKE ALL ON DATABASE {_ident(database)} FROM PUBLIC",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {_ident(database)} TO {_ident(role)}",
    ]


def pg_adopt_sql(role: str) -> str:
    """Run *inside* the service's database: hand every object of schema public to ``role``
    (tables made before roles existed, e.g. by an earlier ``make up``)."""
    return f"""DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT c.oid::regclass AS obj FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
             AND c.relowner <> {_literal(role)}::regrole
             AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')
                             AND d.classid = 'pg_class'::regclass)
  LOOP EXECUTE format('ALTER TABLE %s OWNER TO %I', r.obj, {_literal(role)}); END LOOP;
END $$"""


def pg_roles_script(databases: dict[str, str], *, role_prefix: str = "") -> str:
    """The whole SQL for ``psql``: roles, databases, adoption (``\\connect`` into each)."""
    out = ["-- generated by `python -m sunmoon.access pg-roles`; run as a superuser", ""]
    for service, database in databases.items():
        role = role_prefix + service
        out.append(f"SELECT 'CREATE DATABASE {_ident(database)}' WHERE NOT EXISTS "
                   f"(SELECT FROM pg_database WHERE datname = {_literal(database)})\\gexec")
        out += [s + ";" for s in pg_role_sql(role, database)]
        out += [f"\\connect {_ident(database)}", pg_adopt_sql(role) + ";", "\\connect postgres", ""]
    return "\n".join(out)


async def apply_pg_roles(admin_url: str, databases: dict[str, str], *, role_prefix: str = "") -> dict[str, str]:
    """Create each database if missing, its owner role, and adopt existing objects.

    ``admin_url`` is a superuser URL to any database of the server. Returns service -> role.
    """
    import asyncpg

    from .settings import database_url_for

    roles: dict[str, str] = {}
    admin = await asyncpg.connect(admin_url)
    try:
        for service, database in databases.items():
            role = role_prefix + service
            if not await admin.fetchval("SELECT true FROM pg_database WHERE datname = $1", database):
                await admin.execute(f"CREATE DATABASE {_ident(database)}")
            for stmt in pg_role_sql(role, database):
                await admin.execute(stmt)
            conn = await asyncpg.connect(database_url_for(admin_url, database))
            try:
                await conn.execute(pg_adopt_sql(role))
            finally:
                await conn.close()
            roles[service] = role
    finally:
        await admin.close()
    return roles


def with_user(url: str, user: str) -> str:
    """``url`` with its user replaced (the password, if any, dropped: pass it separately)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{user}@{host}", parts.path, parts.query, parts.fragment))


# -- command line -------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    import argparse
    import asyncio

    parser = argparse.ArgumentParser(
        prog="python -m sunmoon.access",
        description="Least privilege between services: generate the NATS users and permissions and the "
                    "PostgreSQL roles, derived from the event registry and the services' routing tables.")
    sub = parser.add_subparsers(dest="command", required=True)
    nc = sub.add_parser("nats-config", help="print a nats-server `authorization` block (include it in the config)")
    nc.add_argument("--secrets-dir", type=Path, required=True,
                    help="one <user>.password file per user; missing ones are generated (mode 0600)")
    nc.add_argument("--namespace", default=os.environ.get("NATS_NAMESPACE", ""),
                    help="subject/stream prefix (default $NATS_NAMESPACE, none)")
    nc.add_argument("--no-analytics", action="store_true", help="no `analytics` user for the city's feed")
    nc.add_argument("--rounds", type=int, default=11, help="bcrypt cost (default 11)")
    pm = sub.add_parser("permissions", help="list what one service may publish and subscribe to")
    pm.add_argument("service", choices=SERVICES)
    pm.add_argument("--namespace", default=os.environ.get("NATS_NAMESPACE", ""), help="as for nats-config")
    pg = sub.add_parser("pg-roles", help="print SQL (for psql, as a superuser): one owner role per service "
                                         "database, CONNECT revoked from PUBLIC")
    pg.add_argument("--role-prefix", default="", help="prepended to each role name (default none: `intake` ...)")
    pg.add_argument("--database-prefix", default="sunmoon_", help="database names (default sunmoon_<service>)")
    ap = sub.add_parser("apply-pg-roles", help="do what `pg-roles` prints, directly, on a server")
    ap.add_argument("--admin-url", default=os.environ.get("DATABASE_URL"), required=not os.environ.get("DATABASE_URL"),
                    help="superuser URL (default $DATABASE_URL)")
    ap.add_argument("--role-prefix", default="", help="as for pg-roles")
    ap.add_argument("--database-prefix", default="sunmoon_", help="as for pg-roles")
    args = parser.parse_args(argv)

    if args.command == "nats-config":
        users = all_users(analytics=not args.no_analytics)
        passwords = ensure_passwords(args.secrets_dir, users)
        print(nats_authorization(passwords, Namespace(args.namespace), rounds=args.rounds), end="")
    elif args.command == "permissions":
        perms = nats_permissions(args.service, Namespace(args.namespace))
        print("publish:\n  " + "\n  ".join(perms.publish) + "\nsubscribe:\n  " + "\n  ".join(perms.subscribe))
    else:
        databases = {s: f"{args.database_prefix}{s}" for s in SERVICES}
        if args.command == "pg-roles":
            print(pg_roles_script(databases, role_prefix=args.role_prefix))
        else:
            roles = asyncio.run(apply_pg_roles(args.admin_url, databases, role_prefix=args.role_prefix))
            for service, role in roles.items():
                print(f"{databases[service]}: owned by role {role}; CONNECT revoked from PUBLIC")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
