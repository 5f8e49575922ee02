"""TLS everywhere: the five services over HTTPS, NATS that requires TLS, PostgreSQL with ssl=on, one local CA.

The stack gets its own embedded NATS and PostgreSQL (the session's servers speak plain), both started
with the certificate of a CA made by ``sunmoon.tls`` in a temporary directory, as `make up` does.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import ssl
import tempfile
import time
from pathlib import Path

import httpx
import nats
import pytest
from cryptography import x509

from sunmoon.http import style_hash
from sunmoon.localservers import NatsServer, PostgresServer
from sunmoon.testing.servers import TestServers
from sunmoon.tls import ensure_local_ca

from .conftest import Stack, eventually, start_stack
from .test_flow import COMPLAINT

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
async def tls_stack(tmp_path_factory):
    """One stack for the module (PostgreSQL's initdb and five services take a while); the tests only read,
    apart from the first, which files the one complaint."""
    base = Path(tempfile.mkdtemp(prefix="sunmoon-tls-"))
    os.chmod(base, 0o755)  # as root PostgreSQL runs as 'postgres', which must pass through
    files, made = ensure_local_ca(base / "tls")
    assert made == ["ca", "server"]
    nats_server = NatsServer(base / "nats", tls=files)
    pg = PostgresServer(base / "pg" / "data", tls=files)
    started = []
    try:
        await asyncio.to_thread(nats_server.start)
        started.append(nats_server)
        await asyncio.to_thread(pg.start)
        started.append(pg)
        servers = TestServers(database_url=pg.url, nats_url=nats_server.url)
        stack = await start_stack(servers, tmp_path_factory.mktemp("tls-stack"), tls=files)
        try:
            yield stack, files, nats_server, pg
        finally:
            stack.stop()
            await stack._http.aclose()
    finally:
        for server in reversed(started):
            server.stop()
        shutil.rmtree(base, ignore_errors=True)


def _port(stack: Stack, name: str) -> int:
    return stack.services[name].port


def _peer_certificate(port: int, context: ssl.SSLContext) -> x509.Certificate:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


async def test_complete_flow_over_https_nats_tls_and_postgres_tls(tls_stack):
    stack, files, nats_server, pg = tls_stack
    assert all(svc.url.startswith("https://") for svc in stack.services.values())
    assert stack.nats_url.startswith("tls://")

    started = time.monotonic()
    r = await stack.post("intake", "/api/v1/complaints", json=COMPLAINT)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert r.headers["strict-transport-security"] == "max-age=31536000"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"

    async def everywhere():
        status = (await stack.get("intake", f"/api/v1/complaints/{cid}")).json()["status"]
        if status != "dispatched" or await stack.count("notifier", "sms_messages") != 1:
            return False
        return (await stack.get("reporting", "/api/v1/summary")).json()["total"] == 1
    await eventually(everywhere, timeout=15, what="dispatched, texted and counted over TLS")
    print(f"TLS flow: dispatched, texted and counted in {(time.monotonic() - started) * 1000:.0f} ms")

    sms = await stack.query("notifier", "SELECT text FROM sms_messages")
    assert "/ack/" in sms[0]["text"] and "http://" not in sms[0]["text"], sms[0]["text"]  # the link is https

    # every service's own database connections are encrypted
    for name in ("intake", "classifier", "notifier", "reporting", "weather"):
        db = stack.databases[name].rsplit("/", 1)[-1]
        rows = await stack.query(name, "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)"
                                       " WHERE a.datname = $1 AND a.pid <> pg_backend_pid()", db)
        assert rows and all(r["ssl"] for r in rows), (name, [dict(r) for r in rows])


async def test_plain_http_and_plain_nats_are_refused_and_certificates_chain_to_the_ca(tls_stack):
    stack, files, nats_server, pg = tls_stack
    for name in stack.services:
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{_port(stack, name)}/healthz", timeout=5)

    only_our_ca = ssl.create_default_context(cafile=str(files.ca_file))
    ca = x509.load_pem_x509_certificate(files.ca_file.read_bytes())
    for name in stack.services:
        cert = _peer_certificate(_port(stack, name), only_our_ca)
        cert.verify_directly_issued_by(ca)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert name in names.get_values_for_type(x509.DNSName)
    system_only = ssl.create_default_context()  # without our CA the chain does not verify
    with pytest.raises(ssl.SSLCertVerificationError):
        _peer_certificate(_port(stack, "intake"), system_only)

    with socket.create_connection(("127.0.0.1", nats_server.port), timeout=5) as raw:
        info = json.loads(raw.recv(4096).decode().removeprefix("INFO ").strip())
    assert info["tls_required"] is True
    with pytest.raises(ssl.SSLCertVerificationError):  # the client upgrades, and refuses an unknown CA
        await nats.connect(nats_server.url, allow_reconnect=False, connect_timeout=3)
    nc = await nats.connect(nats_server.url, allow_reconnect=False, connect_timeout=3,
                            tls=ssl.create_default_context(cafile=str(files.ca_file)))
    assert nc.is_connected
    await nc.close()


async def test_pages_carry_a_csp_they_work_under(tls_stack):
    stack, files, _nats, _pg = tls_stack
    r = await stack.get("reporting", "/dashboard")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    styles = re.findall(r"<style[^>]*>(.*?)</style>", r.text, re.S)
    assert styles and all(style_hash(s) in csp for s in styles), csp  # its inline style, by hash
    assert "'unsafe-inline'" not in csp and "default-src 'none'" in csp and "img-src 'self'" in csp
    assert "<script" not in r.text and " style=" not in r.text  # nothing the policy would block
    assert r.headers["strict-transport-security"] == "max-age=31536000"
    r = await stack.get("intake", "/desk/login")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["strict-transport-security"] == "max-age=31536000"
    r = await stack.get("classifier", "/docs")  # Swagger UI: no CSP forced on it, the rest still applies
    assert r.status_code == 200 and "content-security-policy" not in r.headers
    assert r.headers["x-frame-options"] == "DENY"


ACK_LINK = re.compile(r"https://[^\s]+/ack/[A-Za-z0-9_\-]+")


async def test_dashboard_and_ack_page_render_in_chromium_under_their_csp(tls_stack):
    """The policies are not just strict on paper: Chromium applies each page's inline style and reports no
    Content-Security-Policy violation (the certificate is checked elsewhere; here Chromium may skip it)."""
    from sunmoon.testing.browser import launch
    from sunmoon.testing.service import auth_headers

    stack, _files, _nats, _pg = tls_stack
    if not await stack.count("notifier", "sms_messages"):
        r = await stack.post("intake", "/api/v1/complaints", json=COMPLAINT)
        assert r.status_code == 201, r.text
    rows = await eventually(lambda: stack.query("notifier", "SELECT text FROM sms_messages"), timeout=15,
                            what="an SMS with a link")
    link = ACK_LINK.search(rows[0]["text"]).group(0)
    async with launch() as browser:
        # reporting's dashboard wants a bearer token (the desk shows it through /desk/analytics)
        context = await browser.new_context(ignore_https_errors=True, extra_http_headers=auth_headers("admin"))
        page = await context.new_page()
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text))
        for url, selector, expected in ((stack.url("reporting") + "/dashboard", "h1", "22.4px"),
                                        (link, "h1", "22.4px")):
            response = await page.goto(url)
            assert response.status == 200, url
            assert "content-security-policy" in response.headers
            assert await page.eval_on_selector(selector, "e => getComputedStyle(e).fontSize") == expected, url
        await context.close()
    assert not [m for m in console if "Content Security Policy" in m], console
