"""python -m sunmoon.streams against the real NATS: creates every stream, reports replicas, keeps counts."""

from __future__ import annotations

import asyncio

from sunmoon.events import STREAMS
from sunmoon.messaging import Namespace, connect, ensure_streams
from sunmoon.streams import main


def test_streams_cli_creates_every_stream(servers, namespace, capsys):
    assert main(["--nats-url", servers.nats_url, "--namespace", namespace, "show"]) == 1  # none yet
    capsys.readouterr()
    assert main(["--nats-url", servers.nats_url, "--namespace", namespace, "ensure", "--replicas", "1"]) == 0
    out = capsys.readouterr().out
    ns = Namespace(namespace)
    for name in STREAMS:
        assert f"{ns.stream(name)}: replicas=1" in out
    async def restart_like_a_service() -> int:
        nc, js = await connect(servers.nats_url, name="t")
        try:
            await ensure_streams(js, ns)  # what a service does at start: keeps the existing replica count
            return (await js.stream_info(ns.stream("INTAKE"))).config.num_replicas
        finally:
            await nc.close()

    assert asyncio.run(restart_like_a_service()) == 1
