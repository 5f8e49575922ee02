"""``python -m sunmoon.streams``: create the JetStream streams ahead of the services, with N replicas.

Services create their streams at start with one replica (enough on one laptop). On a NATS cluster an
operator, or the Kubernetes Job in ``deploy/k8s``, runs::

    python -m sunmoon.streams ensure --replicas 3

which creates every stream (INTAKE, CLASSIFIER, NOTIFIER, WEATHER, REPORTING) or raises an existing one
to three replicas. Services starting later keep that count (see :func:`sunmoon.messaging.ensure_streams`).
Connection settings come from the same variables the services read: ``NATS_URL``, ``NATS_USER`` /
``NATS_PASSWORD`` (the ``admin`` user when NATS runs with the generated authorization, see
:mod:`sunmoon.access`), ``SUNMOON_TLS_CA_FILE`` and ``NATS_NAMESPACE``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from .events import STREAMS
from .messaging import Namespace, connect, ensure_streams


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sunmoon.streams",
        description="Create the JetStream streams (one per producing service) and show their replicas.")
    parser.add_argument("--nats-url", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"),
                        help="NATS server (default $NATS_URL or nats://127.0.0.1:4222)")
    parser.add_argument("--namespace", default=os.environ.get("NATS_NAMESPACE", ""),
                        help="subject/stream prefix (default $NATS_NAMESPACE, normally empty)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    ensure = sub.add_parser("ensure", help="create the streams, or set the replica count of existing ones")
    ensure.add_argument("--replicas", type=int, default=1, choices=range(1, 6), metavar="N",
                        help="replicas of every stream, 1-5 (3 on a three-node cluster; default 1)")
    ensure.add_argument("--only", action="append", choices=sorted(STREAMS), metavar="STREAM",
                        help="only this stream (repeatable; default: all of " + ", ".join(STREAMS) + ")")
    sub.add_parser("show", help="list the streams with their replicas, messages and bytes")
    return parser


async def _run(args: argparse.Namespace) -> int:
    ns = Namespace(args.namespace)
    nc, js = await connect(args.nats_url, name="sunmoon-streams", ca_file=os.environ.get("SUNMOON_TLS_CA_FILE"),
                           user=os.environ.get("NATS_USER") or None, password=os.environ.get("NATS_PASSWORD"))
    try:
        if args.command == "ensure":
            await ensure_streams(js, ns, replicas=args.replicas, only=args.only)
        missing = 0
        for name in getattr(args, "only", None) or STREAMS:
            try:
                info = await js.stream_info(ns.stream(name))
            except Exception as exc:  # noqa: BLE001 - say which stream and why, go on with the others
                print(f"{ns.stream(name)}: missing ({exc})")
                missing += 1
                continue
            print(f"{info.config.name}: replicas={info.config.num_replicas} messages={info.state.messages} "
                  f"bytes={info.state.bytes} subjects={','.join(info.config.subjects or [])}")
        return 1 if missing else 0
    finally:
        await nc.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except Exception as exc:  # noqa: BLE001 - an operator command: one clear line, not a traceback
        print(f"sunmoon.streams: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
