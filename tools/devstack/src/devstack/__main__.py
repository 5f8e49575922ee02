"""python -m devstack — bring the whole Sun to Moon system up on this machine (what `make up` runs)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from sunmoon.crypto import load_keyring, sunmoon_home
from sunmoon.localservers import NatsServer, PostgresServer, ServerError, port_open
from sunmoon.settings import database_url_for

from .stack import SERVICES, ServiceProcess, StackError, run_command, service_env, wait_ready


def _say(msg: str) -> None:
    print(f"[sunmoon] {msg}", flush=True)


def _pick_port(preferred: int) -> int:
    from sunmoon.localservers import free_port

    return preferred if not port_open("127.0.0.1", preferred) else free_port()


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
        database_url = os.environ.get("DATABASE_URL")
        if database_url:
            _say(f"PostgreSQL: using DATABASE_URL ({database_url.split('@')[-1]})")
        else:
            pg = PostgresServer(home / "postgres" / "data", port=_pick_port(15432))
            _say(f"PostgreSQL: starting our own in {pg.datadir} ...")
            pg.start()
            started.append(pg)
            database_url = pg.url
            _say(f"PostgreSQL: listening on 127.0.0.1:{pg.port}")
        nats_url = os.environ.get("NATS_URL")
        if nats_url:
            _say(f"NATS: using NATS_URL ({nats_url})")
        else:
            nats = NatsServer(home / "nats", port=_pick_port(14222))
            nats.start()
            started.append(nats)
            nats_url = nats.url
            _say(f"NATS: JetStream on {nats_url} (sync_interval: always), data in {nats.workdir}")
        load_keyring()  # make sure the development keys exist before five processes race for them
        if not os.environ.get("SUNMOON_DATA_KEYS"):
            _say(f"data keys: development keys in {home / 'dev-keys.json'} (set SUNMOON_DATA_KEYS in production)")

        envs = {}
        for i, name in enumerate(SERVICES):
            port = args.port_base + i
            envs[name] = (port, service_env(name, port, database_url=database_url_for(database_url, f"sunmoon_{name}"),
                                            nats_url=nats_url))
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
  Weather ........... {services[3].url}/docs
  Reporting ......... {services[4].url}/dashboard   (reports: {services[4].url}/api/v1/reports)
  Logs .............. {'this terminal' if args.verbose else logs}

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
