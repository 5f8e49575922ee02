"""Least privilege: each service's NATS user and PostgreSQL role can do its own work and nothing more.

A dedicated nats-server runs with the authorization block that ``sunmoon.access`` generates (the same
code ``make up`` uses); the checks go through the real server, which is the only judge of what a
permission allows. PostgreSQL roles are created on the session's server under unique names.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig

from sunmoon import access
from sunmoon.events import REGISTRY, STREAMS
from sunmoon.localservers import NatsServer
from sunmoon.messaging import Namespace, connect, ensure_streams
from sunmoon.settings import database_url_for

NS = Namespace("city1")  # permissions are generated for a namespace; the default (none) is the same code
ROUTES = {s: access.routes_of(s) for s in access.SERVICES}


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    tmp: Path = tmp_path_factory.mktemp("nats-auth")
    passwords = access.ensure_passwords(tmp / "secrets", access.all_users())
    server = NatsServer(tmp / "nats", authorization=access.nats_authorization(passwords, NS, rounds=4)).start()
    yield server, passwords
    server.stop()


class Client:
    """A raw connection that records the server's refusals (``-ERR 'Permissions Violation ...'``)."""

    def __init__(self, nc, errors: list[str]) -> None:
        self.nc, self.errors = nc, errors
        self.js = nc.jetstream(timeout=5)
        self.quick = nc.jetstream(timeout=0.5)  # for refusals: the server's -ERR arrives at once

    async def refused(self, coro, subject: str) -> None:
        self.errors.clear()
        with pytest.raises((nats.errors.TimeoutError, asyncio.TimeoutError, nats.js.errors.Error)):
            await coro
        await self.nc.flush()
        assert any("permissions violation" in e.lower() and subject.lower() in e.lower() for e in self.errors), \
            (subject, self.errors)


async def _client(server, passwords, user: str) -> Client:
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    nc = await nats.connect(server.url, user=user, password=passwords[user], error_cb=on_error,
                            inbox_prefix=access.inbox_prefix(user), allow_reconnect=False)
    return Client(nc, errors)


async def _provision(server, passwords) -> None:
    nc, js = await connect(server.url, name="admin", user=access.ADMIN_USER, password=passwords["admin"])
    try:
        await ensure_streams(js, NS)  # every stream exists: a refusal below is about permission, not absence
    finally:
        await nc.close()


def test_permissions_follow_the_registry_and_the_routing_tables():
    producers = {spec.producer for spec in REGISTRY.values()}
    assert producers == set(access.SERVICES)
    for service in access.SERVICES:
        perms = access.nats_permissions(service, NS)
        data = {s for s in perms.publish if not s.startswith("$")}
        assert data == {NS.subject(s) for s, spec in REGISTRY.items() if spec.producer == service}
        creates = {s for s in perms.publish if s.startswith("$JS.API.STREAM.CREATE.")}
        assert creates == {f"$JS.API.STREAM.CREATE.{NS.stream(service.upper())}"}
        fetches = {s.rsplit(".", 1)[1] for s in perms.publish if s.startswith("$JS.API.CONSUMER.MSG.NEXT.")}
        assert fetches == {r.durable for r in ROUTES[service]}
        assert perms.subscribe == (f"_INBOX_{service}.>",)
    assert not ROUTES["weather"] and len(ROUTES["reporting"]) >= 8  # weather consumes nothing


@pytest.mark.parametrize("service", access.SERVICES)
async def test_a_service_does_its_own_work_and_is_refused_the_rest(secured, service):
    server, passwords = secured
    await _provision(server, passwords)
    me = await _client(server, passwords, service)
    admin = await _client(server, passwords, access.ADMIN_USER)
    try:
        # its own stream and subjects: create/update, publish with a JetStream ack
        await ensure_streams(me.js, NS, only=[service.upper()])
        for subject in access.published_by(service):
            ack = await me.js.publish(NS.subject(subject), b"{}", headers={"Nats-Msg-Id": uuid.uuid4().hex})
            assert ack.stream == NS.stream(service.upper())
        # its own durables: create, fetch, ack (the messages come from the admin, as from their producer)
        for route in ROUTES[service]:
            await admin.js.publish(NS.subject(route.subject), b"{}")
            psub = await me.js.pull_subscribe(
                NS.subject(route.subject), durable=route.durable, stream=NS.stream(route.stream),
                config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, filter_subject=NS.subject(route.subject)))
            [msg] = await psub.fetch(1, timeout=2)
            await msg.ack_sync()
            info = await admin.js.consumer_info(NS.stream(route.stream), route.durable)
            assert info.num_ack_pending == 0 and info.ack_floor.stream_seq >= 1

        # another producer's subject, another producer's stream
        other = next(s for s in access.SERVICES if s != service)
        foreign = NS.subject(access.published_by(other)[0])
        await me.refused(me.quick.publish(foreign, b"{}"), foreign)
        op = "UPDATE" if any(r.stream == other.upper() for r in ROUTES[service]) else "INFO"
        await me.refused(ensure_streams(me.quick, NS, only=[other.upper()]),
                         f"$JS.API.STREAM.{op}.{NS.stream(other.upper())}")
        await me.refused(me.quick.add_stream(StreamConfig(name=NS.stream("SPY"), subjects=[NS.subject("spy.>")])),
                         f"$JS.API.STREAM.CREATE.{NS.stream('SPY')}")
        # a stream it does not consume, and another service's durable (stealing its messages)
        not_consumed = next(n for n in STREAMS if n not in {r.stream for r in ROUTES[service]})
        target = f"$JS.API.CONSUMER.INFO.{NS.stream(not_consumed)}.{service}-snoop"
        await me.refused(me.quick.pull_subscribe(NS.subject(STREAMS[not_consumed].replace(">", "x")),
                                              durable=f"{service}-snoop", stream=NS.stream(not_consumed)), target)
        victim = next(s for s in access.SERVICES if s != service and ROUTES[s])
        route = ROUTES[victim][0]
        nxt = f"$JS.API.CONSUMER.MSG.NEXT.{NS.stream(route.stream)}.{route.durable}"
        await me.refused(me.nc.request(nxt, b'{"batch": 1}', timeout=0.5), nxt)
        # another service's inbox (its replies and fetched messages), or everything
        for subject in (f"{access.inbox_prefix(victim)}.>", ">", "_INBOX.>"):
            me.errors.clear()
            await me.nc.subscribe(subject)
            await me.nc.flush()
            await asyncio.sleep(0.05)
            assert any("permissions violation for subscription" in e.lower() for e in me.errors), me.errors
    finally:
        await me.nc.close()
        await admin.nc.close()


async def test_wrong_or_borrowed_password_is_refused(secured):
    server, passwords = secured
    with pytest.raises(Exception, match="(?i)authorization"):
        await nats.connect(server.url, user="intake", password=passwords["notifier"], allow_reconnect=False,
                           max_reconnect_attempts=0, connect_timeout=2)
    with pytest.raises(Exception, match="(?i)authorization"):
        await nats.connect(server.url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)


async def test_a_role_reaches_only_its_own_database(servers):
    admin_url = database_url_for(servers.database_url, "postgres")
    tag = "acc" + uuid.uuid4().hex[:8]
    databases = {s: f"{tag}_{s}" for s in ("intake", "classifier")}
    admin = await asyncpg.connect(admin_url)
    try:
        # a table made before roles existed (an earlier `make up`) is handed to the new owner
        await admin.execute(f'CREATE DATABASE "{databases["intake"]}"')
        old = await asyncpg.connect(database_url_for(admin_url, databases["intake"]))
        await old.execute("CREATE TABLE complaints (id bigserial PRIMARY KEY, note text)")
        await old.close()

        roles = await access.apply_pg_roles(admin_url, databases, role_prefix=f"{tag}_")
        roles_again = await access.apply_pg_roles(admin_url, databases, role_prefix=f"{tag}_")  # idempotent
        assert roles == roles_again == {"intake": f"{tag}_intake", "classifier": f"{tag}_classifier"}

        own = await asyncpg.connect(access.with_user(database_url_for(admin_url, databases["intake"]),
                                                     roles["intake"]))
        try:
            await own.execute("INSERT INTO complaints (note) VALUES ('x')")  # adopted table and its sequence
            await own.execute("CREATE TABLE outbox (id bigint)")  # the owner runs its migrations
            assert await own.fetchval("SELECT current_user") == roles["intake"]
        finally:
            await own.close()
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied for database"):
            await asyncpg.connect(access.with_user(database_url_for(admin_url, databases["classifier"]),
                                                   roles["intake"]))
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await asyncpg.connect(access.with_user(database_url_for(admin_url, databases["intake"]),
                                                   roles["classifier"]))
    finally:
        for name in databases.values():
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for service in databases:
            await admin.execute(f'DROP ROLE IF EXISTS "{tag}_{service}"')
        await admin.close()


def test_cli_writes_a_configuration_nats_server_accepts(tmp_path, capsys):
    import subprocess

    from sunmoon.localservers import find_nats_server

    assert access.main(["nats-config", "--secrets-dir", str(tmp_path / "s"), "--rounds", "4"]) == 0
    block = capsys.readouterr().out
    files = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert files == sorted(f"{u}.password" for u in access.all_users())
    assert all((tmp_path / "s" / f).stat().st_mode & 0o777 == 0o600 for f in files)
    for user in access.all_users():  # hashed, never the password itself
        password = (tmp_path / "s" / f"{user}.password").read_text().strip()
        assert f'user: "{user}", password: "$2a$04$' in block and password not in block
    conf = tmp_path / "nats.conf"
    conf.write_text(f"listen: 127.0.0.1:{4222}\njetstream {{ store_dir: \"{tmp_path / 'js'}\" }}\n" + block)
    checked = subprocess.run([find_nats_server(), "-t", "-c", str(conf)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr + checked.stdout

    assert access.main(["pg-roles", "--role-prefix", "city_"]) == 0
    sql = capsys.readouterr().out
    assert 'REVOKE ALL ON DATABASE "sunmoon_intake" FROM PUBLIC;' in sql
    assert 'GRANT CONNECT, TEMPORARY ON DATABASE "sunmoon_reporting" TO "city_reporting";' in sql
    with pytest.raises(SystemExit) as help_exit:
        access.main(["--help"])
    assert help_exit.value.code == 0


async def test_the_analytics_user_reads_the_pii_free_feed_and_nothing_else(secured):
    server, passwords = secured
    await _provision(server, passwords)
    admin = await _client(server, passwords, access.ADMIN_USER)
    me = await _client(server, passwords, access.ANALYTICS_USER)
    try:
        feed = NS.subject(access.ANALYTICS_SUBJECT)
        await admin.js.publish(feed, b'{"state": 1}')
        psub = await me.js.pull_subscribe(feed, stream=NS.stream("REPORTING"),  # an ephemeral consumer
                                          config=ConsumerConfig(deliver_policy=DeliverPolicy.LAST))
        [msg] = await psub.fetch(1, timeout=2)
        assert msg.data == b'{"state": 1}'
        await msg.ack()
        other = NS.subject("reporting.report.generated.v1")
        await me.refused(me.quick.pull_subscribe(other, stream=NS.stream("REPORTING")),
                         f"$JS.API.CONSUMER.CREATE.{NS.stream('REPORTING')}")
        await me.refused(me.quick.publish(feed, b"{}"), feed)
    finally:
        await me.nc.close()
        await admin.nc.close()
