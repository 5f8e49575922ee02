"""python -m devstack — bring the whole Sun to Moon system up on this machine (what `make up` runs)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from sunmoon.crypto import load_keyring, sunmoon_home
from sunmoon.localservers import NatsServer, PostgresServer, ServerError, port_open
from sunmoon.settings import database_url_for
from sunmoon.tls import CA_FILE_ENV, CERT_FILE_ENV, KEY_FILE_ENV, ensure_local_ca

from . import access
from .stack import SERVICES, ServiceProcess, StackError, run_command, service_env, wait_ready


def _say(msg: str) -> None:
    print(f"[sunmoon] {msg}", flush=True)


def _pick_port(preferred: int) -> int:
    from sunmoon.localservers import free_port

    return preferred if not port_open("127.0.0.1", preferred) else free_port()


class _Files:
    """The three SUNMOON_TLS_* paths as the embedded servers want them."""

    def __init__(self, env: dict[str, str]) -> None:
        self.cert_file, self.key_file, self.ca_file = (Path(env[k]) for k in (CERT_FILE_ENV, KEY_FILE_ENV, CA_FILE_ENV))


def _tls_env(home: Path) -> dict[str, str]:
    """SUNMOON_TLS_* from the environment (certificates of your own), else the local CA (made on first start)."""
    given = {k: os.environ[k] for k in (CERT_FILE_ENV, KEY_FILE_ENV, CA_FILE_ENV) if os.environ.get(k)}
    if len(given) == 3:
        _say(f"TLS: certificates from SUNMOON_TLS_* ({given[CERT_FILE_ENV]})")
        return given
    files, made = ensure_local_ca(home / "tls")
    state = "created" if "ca" in made else ("renewed its server certificate" if made else "reused")
    _say(f"TLS: local certificate authority {state}: {files.ca_file}")
    return files.env()


def _tls_line(tls: dict[str, str] | None) -> str:
    if not tls:
        return "off (--no-tls): plain HTTP and NATS"
    ca = tls[CA_FILE_ENV]
    return (f"HTTPS, NATS and PostgreSQL over TLS; trust the CA {ca}\n"
            f"                      (curl --cacert {ca} …; a browser: import it as an authority, "
            f"or `python -m sunmoon.tls show`)")



def service_wiring(port_base: int, *, tls: bool) -> dict[str, dict[str, str]]:
    """Where each service finds the others' HTTP APIs with the chosen ports (``--port-base``): intake asks
    the classifier (preview, manuals, types), the notifier (roster, on-call), the weather service and links
    the reporting dashboard. The services are numbered in ``SERVICES`` order from ``port_base``."""
    scheme = "https" if tls else "http"
    port = {name: port_base + i for i, name in enumerate(SERVICES)}
    return {"intake": {"INTAKE_CLASSIFIER_URL": f"{scheme}://127.0.0.1:{port['classifier']}",
                       "INTAKE_NOTIFIER_URL": f"{scheme}://127.0.0.1:{port['notifier']}",
                       "INTAKE_WEATHER_URL": f"{scheme}://127.0.0.1:{port['weather']}",
                       "INTAKE_DASHBOARD_URL": f"{scheme}://127.0.0.1:{port['reporting']}/dashboard"}}

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack",
        description="Start Sun to Moon on this machine: NATS JetStream and PostgreSQL (its own, unless "
                    "NATS_URL / DATABASE_URL are set), the five databases and their migrations, the demo "
                    "roster, and the five services. Ctrl-C stops everything.",
    )
    parser.add_argument("--home", type=Path, default=None,
                        help="where local state lives (keys, embedded servers' data, logs); "
                             "default $SUNMOON_HOME or ~/.local/share/sunmoon (/var/lib/sunmoon as root)")
    parser.add_argument("--port-base", type=int, default=8000,
                        help="intake listens here, the others on the next four ports (default 8000)")
    parser.add_argument("--no-seed", action="store_true", help="do not seed the demo on-call roster")
    parser.add_argument("--no-tls", action="store_true",
                        help="plain HTTP and NATS, no TLS (by default a local certificate authority is created in "
                             "$SUNMOON_HOME/tls on first start and every service, NATS and PostgreSQL use it)")
    parser.add_argument("--no-auth", action="store_true",
                        help="no least privilege on the embedded servers (by default each service gets its own NATS "
                             "user, allowed only its own subjects and consumers, and its own PostgreSQL role, "
                             "allowed only its own database; passwords in $SUNMOON_HOME/nats-credentials)")
    parser.add_argument("--verbose", action="store_true",
                        help="print the services' logs here instead of only writing them to files")
    args = parser.parse_args(argv)

    if args.home:
        os.environ["SUNMOON_HOME"] = str(args.home.resolve())
    home = sunmoon_home()
    home.mkdir(parents=True, exist_ok=True)
    started: list[object] = []
    services: list[ServiceProcess] = []
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        tls = None if args.no_tls else _tls_env(home)
        database_url = os.environ.get("DATABASE_URL")
        own_pg, nats_auth = not database_url, None
        if database_url:
            _say(f"PostgreSQL: using DATABASE_URL ({database_url.split('@')[-1]})")
        else:
            pg = PostgresServer(home / "postgres" / "data", port=_pick_port(15432),
                                tls=None if tls is None else _Files(tls))
            _say(f"PostgreSQL: starting our own in {pg.datadir} ...")
            pg.start()
            started.append(pg)
            database_url = pg.url
            _say(f"PostgreSQL: listening on 127.0.0.1:{pg.port}" + (" (TLS on)" if tls else ""))
        nats_url = os.environ.get("NATS_URL")
        if nats_url:
            _say(f"NATS: using NATS_URL ({nats_url})")
        else:
            nats_auth = None if args.no_auth else access.nats_auth(home)
            nats = NatsServer(home / "nats", port=_pick_port(14222), tls=None if tls is None else _Files(tls),
                              authorization=nats_auth.authorization if nats_auth else "")
            nats.start()
            started.append(nats)
            nats_url = nats.url
            _say(f"NATS: JetStream on {nats_url} (sync_interval: always), data in {nats.workdir}")
            if nats_auth:
                _say(f"NATS: one user per service, least privilege; passwords in {nats_auth.secrets_dir} "
                     "(`admin` for operators)")
        db_urls = {name: database_url_for(database_url, f"sunmoon_{name}") for name in SERVICES}
        if own_pg and not args.no_auth:
            db_urls = asyncio.run(access.service_database_urls(database_url))
            _say("PostgreSQL: each service connects as its own role, owner of its database only")
        load_keyring()  # make sure the development keys exist before five processes race for them
        if not os.environ.get("SUNMOON_DATA_KEYS"):
            _say(f"data keys: development keys in {home / 'dev-keys.json'} (set SUNMOON_DATA_KEYS in production)")

        tokens = access.api_tokens(home)  # who may call the HTTP APIs (sunmoon.auth); kept in $SUNMOON_HOME
        _say(f"API: bearer tokens in {tokens.secrets_dir} (admin.token for curl: "
             f"-H \"Authorization: Bearer $(cat {tokens.secrets_dir / 'admin.token'})\")")
        envs = {}
        wiring = service_wiring(args.port_base, tls=bool(tls))
        for i, name in enumerate(SERVICES):
            port = args.port_base + i
            extra = {k: v for k, v in wiring.get(name, {}).items() if k not in os.environ}
            extra.update(nats_auth.env(name) if nats_auth else {})
            extra.update(tokens.env(name, inherited=os.environ.get("SUNMOON_API_TOKENS", "")))
            envs[name] = (port, service_env(name, port, database_url=db_urls[name],
                                            nats_url=nats_url, tls=tls, extra=extra))
            if port_open("127.0.0.1", port):
                raise StackError(f"port {port} (for {name}) is taken; stop what uses it or pass --port-base")
        for name in SERVICES:
            out = run_command(name, ["migrate"], envs[name][1]).strip()
            _say(f"{name}: database sunmoon_{name} ready ({out})")
        desk_login = "(none: --no-seed; create one with `python -m intake create-user`)"
        if not args.no_seed:
            _say("notifier: " + run_command("notifier", ["seed-demo"], envs["notifier"][1]).strip().splitlines()[-1])
            pw_file = home / "desk-demo-password"
            run_command("intake", ["create-user", "--role", "supervisor", "--update", "--password-file",
                                   str(pw_file), "demo"], envs["intake"][1])
            desk_login = f"demo / {pw_file.read_text().strip()}"

        logs = home / "logs"
        for name in SERVICES:
            port, env = envs[name]
            svc = ServiceProcess(name, port, env, None if args.verbose else logs / f"{name}.log")
            svc.start()
            services.append(svc)
        wait_ready(services)
        intake = services[0].url
        _say("all five services are up.")
        print(f"""
  Officer's desk .... {intake}/desk/   (sign in: {desk_login})
  Intake API ........ {intake}/api/v1/complaints   (OpenAPI docs: {intake}/docs)
  Classifier ........ {services[1].url}/docs
  Notifier .......... {services[2].url}/docs     (SMS sent by the console provider: {services[2].url}/api/v1/sms)
  API token ......... {tokens.secrets_dir / 'admin.token'}   (role admin: -H "Authorization: Bearer <token>")
  Weather ........... {services[3].url}/docs
  Reporting ......... {services[4].url}/dashboard   (reports: {services[4].url}/api/v1/reports)
  Logs .............. {'this terminal' if args.verbose else logs}
  TLS ............... {_tls_line(tls)}

  Press Ctrl-C to stop everything.
""", flush=True)
        while not stopping:
            for svc in services:
                if not svc.alive() and not stopping:
                    svc.restarts += 1
                    _say(f"{svc.name} exited (code {svc.proc.returncode}); restarting (#{svc.restarts})")
                    time.sleep(1)
                    svc.start()
            time.sleep(0.5)
        return 0
    except (StackError, ServerError) as exc:
        print(f"[sunmoon] cannot start: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if services or started:
            _say("stopping ...")
        for svc in reversed(services):
            svc.stop()
        for server in reversed(started):
            server.stop()
        if services or started:
            _say("stopped.")


if __name__ == "__main__":
    sys.exit(main())
