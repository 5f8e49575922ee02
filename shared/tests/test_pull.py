"""The open pull request (sunmoon.messaging.pull) on real NATS JetStream."""

import asyncio

from nats.js.api import AckPolicy, ConsumerConfig

from sunmoon.messaging import Namespace, connect
from sunmoon.messaging.pull import Puller


async def _stream(servers, namespace):
    nc, js = await connect(servers.nats_url, name="pull-test")
    ns = Namespace(namespace)
    stream, subject = ns.stream("PULLTEST"), ns.subject("pulltest.x")
    await js.add_stream(name=stream, subjects=[subject])
    await js.add_consumer(stream, ConsumerConfig(durable_name="d", ack_policy=AckPolicy.EXPLICIT, ack_wait=30,
                                                 filter_subject=subject))
    return nc, js, stream, subject


async def test_a_quiet_trickle_costs_a_request_per_batch_or_second_not_per_event(servers, namespace):
    nc, js, stream, subject = await _stream(servers, namespace)
    puller = await Puller(js, stream, "d", batch=5, expires=1.0).start()
    got: list[bytes] = []
    try:
        assert await puller.next_batch(timeout=0.2) == []  # nothing yet: an empty hand, no error
        for i in range(12):  # one at a time, as on a quiet night
            await js.publish(subject, str(i).encode())
            for msg in await puller.next_batch(timeout=2.0):
                got.append(msg.data)
                await msg.ack()
        while len(got) < 12:
            batch = await puller.next_batch(timeout=2.0)
            assert batch, f"only {len(got)} of 12 arrived"
            for msg in batch:
                got.append(msg.data)
                await msg.ack()
        assert got == [str(i).encode() for i in range(12)]
        # 12 events in batches of 5: three requests (plus one for each expiry of a second), not one or two each
        assert puller.requests <= 6, puller.requests
    finally:
        await puller.close()
        await js.delete_stream(stream)
        await nc.close()


async def test_events_not_handed_out_go_back_at_once_when_it_closes(servers, namespace):
    nc, js, stream, subject = await _stream(servers, namespace)
    first = await Puller(js, stream, "d", batch=10).start()
    try:
        for i in range(6):
            await js.publish(subject, str(i).encode())
        taken = await first.next_batch(timeout=2.0)
        await asyncio.sleep(0.2)  # the rest of the request's events arrive meanwhile
        handed = taken[:2]
        for msg in handed:
            await msg.ack()
        first._arrived.extendleft(reversed(taken[2:]))  # as if only two had been handed out
        await first.close()  # the four not handed out: nak, not left to ack_wait (30 s)
        second = await Puller(js, stream, "d", batch=10).start()
        rest: list[bytes] = []
        for _ in range(20):
            for msg in await second.next_batch(timeout=0.5):
                rest.append(msg.data)
                await msg.ack()
            if len(rest) >= 4:
                break
        await second.close()
        assert sorted(rest) == [str(i).encode() for i in range(2, 6)]
    finally:
        await js.delete_stream(stream)
        await nc.close()


async def test_a_refused_request_is_logged_and_asked_again_after_a_pause_not_in_a_loop(servers, namespace):
    nc, js, stream, subject = await _stream(servers, namespace)
    puller = await Puller(js, stream, "d", batch=5, expires=0.5).start()
    try:
        await puller.next_batch(timeout=0.3)
        await js.delete_consumer(stream, "d")  # the open request is answered 409, later ones get nothing
        before = puller.requests
        assert await puller.next_batch(timeout=2.0) == []
        assert puller.requests - before <= 4, puller.requests - before
        await js.add_consumer(stream, ConsumerConfig(durable_name="d", ack_policy=AckPolicy.EXPLICIT,
                                                     filter_subject=subject))
        await js.publish(subject, b"back")
        seen = []
        for _ in range(6):
            seen += [m.data for m in await puller.next_batch(timeout=1.0)]
            if seen:
                break
        assert seen == [b"back"]  # the consumer is back: so are its events
    finally:
        await puller.close()
        await js.delete_stream(stream)
        await nc.close()
