#!/usr/bin/env python3
"""A live tally of the city's complaints from the analytics feed: by status, type and district.

Subscribes to ``reporting.analytics.complaint_state.v1`` on NATS JetStream (stream REPORTING), which
the reporting service publishes on every change of a complaint's state. The feed carries no personal
data (no name, phone number, address or free text; the finest place is the 읍·면·동), so this program
may run anywhere: a dashboard, a data team's laptop.

Each event carries the complaint's whole state as reporting knew it then, and the stream keeps them in
the order the states were reached; so the tally keeps, per complaint, the state from the latest message
(by stream sequence) and counts those: an event seen twice counts once.

    uv run python examples/analytics_consumer.py                 # replay what the stream keeps, then live
    uv run python examples/analytics_consumer.py --new           # only what happens from now on
    uv run python examples/analytics_consumer.py --durable city-dashboard   # resume where it stopped
    uv run python examples/analytics_consumer.py --once --json   # catch up, print the tally as JSON, exit

Environment: NATS_URL (default nats://127.0.0.1:4222), NATS_NAMESPACE (the prefix of subjects and
streams a deployment uses, empty by default), NATS_USER / NATS_PASSWORD when the server requires them
(`make up`: user `analytics`, password in $SUNMOON_HOME/nats-credentials/analytics.password; it may read
only this feed). Needs only the ``nats-py`` package.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections import Counter
from datetime import datetime

import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

SUBJECT = "reporting.analytics.complaint_state.v1"
STATUS = {"received": "접수", "classified": "분류", "dispatched": "통보", "acknowledged": "확인", "resolved": "완료"}
TYPES = {
    "road_damage": "도로·보도 파손", "water_supply": "상수도 누수·단수", "sewer_drainage": "하수·배수·침수",
    "illegal_parking": "불법 주정차", "noise": "소음", "streetlight": "가로등·보안등",
    "traffic_facility": "신호등·교통시설", "animal": "동물(사체·유기·야생)", "waste": "쓰레기·무단투기",
    "tree_vegetation": "수목·녹지", "odor_pollution": "악취·오염", "public_order": "주취자·노숙인·소란",
    "facility_safety": "시설물·공사장 안전", "snow_ice": "제설·결빙", "other": "기타",
}


class Tally:
    """The newest state of every complaint seen, and counts over them."""

    def __init__(self) -> None:
        self.states: dict[str, tuple[int, dict]] = {}  # complaint -> (stream sequence, state)
        self.events = 0

    def add(self, envelope: dict, sequence: int) -> None:
        state = envelope["payload"]
        self.events += 1
        known = self.states.get(state["complaint_id"])
        if known is None or known[0] < sequence:
            self.states[state["complaint_id"]] = (sequence, state)

    def counts(self) -> dict:
        s = [state for _seq, state in self.states.values()]
        return {
            "complaints": len(self.states), "events": self.events,
            "status": dict(Counter(STATUS.get(x["status"], x["status"]) for x in s).most_common()),
            "type": dict(Counter(TYPES.get(x["type"], x["type"]) if x["type"] else "미분류" for x in s).most_common()),
            "district": dict(Counter(x["district"] or "(미상)" for x in s).most_common()),
            "urgent_open": sum(1 for x in s if x["urgency"] == "urgent" and x["status"] != "resolved"),
        }

    def render(self) -> str:
        c = self.counts()
        line = lambda d: " · ".join(f"{k} {v}" for k, v in d.items()) or "—"  # noqa: E731
        return (f"[{datetime.now():%H:%M:%S}] 민원 {c['complaints']}건 (이벤트 {c['events']}), "
                f"미완료 긴급 {c['urgent_open']}건\n  상태   {line(c['status'])}\n  유형   {line(c['type'])}\n"
                f"  읍면동 {line(c['district'])}")


async def run(args: argparse.Namespace) -> int:
    ns = os.environ.get("NATS_NAMESPACE", "")
    subject = f"{ns}.{SUBJECT}" if ns else SUBJECT
    stream = f"{ns.upper().replace('-', '_')}_REPORTING" if ns else "REPORTING"
    user = os.environ.get("NATS_USER")  # the `analytics` user may read this feed and nothing else
    auth = {"user": user, "password": os.environ.get("NATS_PASSWORD", ""), "inbox_prefix": f"_INBOX_{user}"} \
        if user else {}
    nc = await nats.connect(os.environ.get("NATS_URL", "nats://127.0.0.1:4222"), name="analytics-consumer",
                            max_reconnect_attempts=-1, **auth)
    js = nc.jetstream()
    config = ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, filter_subject=subject,
                            deliver_policy=DeliverPolicy.NEW if args.new else DeliverPolicy.ALL,
                            inactive_threshold=None if args.durable else 300.0)
    sub = await js.pull_subscribe(subject, durable=args.durable, stream=stream, config=config)
    tally, stop = Tally(), asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    last_print = 0.0
    try:
        while not stop.is_set():
            try:
                msgs = await sub.fetch(256, timeout=1.0)
            except (NatsTimeout, asyncio.TimeoutError):  # nats-py raises either when nothing came in time
                msgs = []
            for msg in msgs:
                try:
                    tally.add(json.loads(msg.data), msg.metadata.sequence.stream)
                except (ValueError, KeyError) as exc:
                    print(f"skipped a message that is not a complaint state: {exc}", file=sys.stderr)
                await msg.ack()
            if args.once and not msgs and (await sub.consumer_info()).num_pending == 0:
                break
            if not args.once and loop.time() - last_print >= args.every:
                last_print = loop.time()
                print(json.dumps(tally.counts(), ensure_ascii=False) if args.json else tally.render(), flush=True)
    finally:
        await nc.close()
    if args.once:
        print(json.dumps(tally.counts(), ensure_ascii=False) if args.json else tally.render())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--durable", metavar="NAME", help="a durable consumer: resume where NAME stopped "
                                                          "(default: a temporary consumer)")
    parser.add_argument("--new", action="store_true", help="only new events (default: replay what the stream keeps)")
    parser.add_argument("--every", type=float, default=5.0, metavar="SECONDS", help="print the tally this often")
    parser.add_argument("--once", action="store_true", help="catch up, print the tally once and exit")
    parser.add_argument("--json", action="store_true", help="print the tally as one JSON object a line")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
