"""The local CA (sunmoon.tls) and the security headers middleware (sunmoon.http)."""

from __future__ import annotations

import datetime as dt
import ssl

import httpx
import pytest
from cryptography import x509
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from sunmoon import tls
from sunmoon.http import SecurityHeaders, page_csp, style_hash


def _cert(path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_local_ca_is_made_once_then_reused_and_the_server_certificate_chains_to_it(tmp_path):
    files, made = tls.ensure_local_ca(tmp_path / "tls")
    assert made == ["ca", "server"]
    assert files.ca_key_file.stat().st_mode & 0o777 == 0o600
    assert files.key_file.stat().st_mode & 0o777 == 0o600
    ca, server = _cert(files.ca_file), _cert(files.cert_file)
    server.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert (ca.not_valid_after_utc - ca.not_valid_before_utc).days >= 3650
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"localhost", "intake", "reporting.svc", "nats", "*.svc"} <= set(san.get_values_for_type(x509.DNSName))
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    ctx = ssl.create_default_context(cafile=str(files.ca_file))  # the pair loads as a server would load it
    ctx.load_cert_chain(files.cert_file, files.key_file)

    again, made = tls.ensure_local_ca(tmp_path / "tls")
    assert made == [] and _cert(again.cert_file).serial_number == server.serial_number


def test_expiring_server_certificate_is_renewed_under_the_same_ca(tmp_path, monkeypatch):
    files, _ = tls.ensure_local_ca(tmp_path / "tls")
    ca, server = _cert(files.ca_file), _cert(files.cert_file)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=tls.SERVER_DAYS - 20)
    monkeypatch.setattr(tls, "_now", lambda: later)
    _, made = tls.ensure_local_ca(tmp_path / "tls")
    assert made == ["server"]
    renewed = _cert(files.cert_file)
    assert renewed.serial_number != server.serial_number and _cert(files.ca_file).serial_number == ca.serial_number
    renewed.verify_directly_issued_by(ca)


def test_new_names_renew_and_the_command_line_works(tmp_path, capsys):
    assert tls.main(["--dir", str(tmp_path), "init"]) == 0
    assert "made: ca, server" in capsys.readouterr().out
    assert tls.main(["--dir", str(tmp_path), "init", "--name", "desk.gimpo.go.kr"]) == 0
    out = capsys.readouterr().out
    assert "made: server" in out and "desk.gimpo.go.kr" in out
    assert tls.main(["--dir", str(tmp_path), "show"]) == 0
    assert f"curl --cacert {tmp_path / 'ca.pem'}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        tls.main(["--help"])


def test_postgres_url_verifies_only_where_tls_is_offered(tmp_path):
    dsn = "postgresql://postgres@127.0.0.1:5432/postgres"
    assert tls.postgres_url(dsn, None) == dsn
    assert tls.postgres_url(dsn + "?sslmode=disable", "/ca.pem") == dsn + "?sslmode=disable"
    closed = "postgresql://postgres@127.0.0.1:1/postgres"  # nothing listens: keep asyncpg's default
    assert tls.postgres_url(closed, "/ca.pem") == closed


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/json")
    async def _json() -> dict:
        return {"ok": True}

    @app.get("/page")
    async def _page() -> HTMLResponse:
        body = "<html><style>p{color:red}</style><p>안녕</p></html>"
        return HTMLResponse(body, headers={"Content-Security-Policy": page_csp(body)})

    @app.get("/plain-page", response_class=HTMLResponse)
    async def _plain() -> str:
        return "<p>x</p>"

    app.add_middleware(SecurityHeaders)
    return app


async def test_security_headers_hsts_only_over_https_and_page_policies_kept():
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="https://svc") as https, \
            httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        r = await https.get("/json")
        assert r.headers["strict-transport-security"] == "max-age=31536000"
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
        assert r.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert "strict-transport-security" not in (await http.get("/json")).headers
        page = await https.get("/page")
        csp = page.headers["content-security-policy"]
        assert style_hash("p{color:red}") in csp and "'unsafe-inline'" not in csp
        assert page.headers.get_list("content-security-policy") == [csp]  # not replaced, not doubled
        plain = await https.get("/plain-page")
        assert "script-src 'self'" in plain.headers["content-security-policy"]
        docs = await https.get("/docs")
        assert "content-security-policy" not in docs.headers and docs.headers["x-frame-options"] == "DENY"
