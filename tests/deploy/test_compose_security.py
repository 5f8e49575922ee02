"""docker-compose.yml and the security features: each service on its own NATS user and PostgreSQL role, TLS on
every link (HTTPS between services, tls:// NATS, verify-full PostgreSQL), certificates made by the `certs` one-shot,
and the NATS users block made by deploy/compose/prepare.sh, which a real nats-server accepts and enforces."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import ssl
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs

import nats
import pytest
import yaml

from .helpers import PORTS, ROOT, SERVICES

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
COMPOSE_DIR = ROOT / "deploy" / "compose"
SCRIPTS = [COMPOSE_DIR / "prepare.sh", COMPOSE_DIR / "certs.sh", COMPOSE_DIR / "postgres-init.sh",
           ROOT / "deploy" / "k8s" / "create-secrets.sh", ROOT / "deploy" / "k8s" / "rotate-nats-password.sh"]


def _grace_seconds(value: str) -> float:
    m = re.fullmatch(r"(\d+)s", value)
    assert m, value
    return float(m.group(1))


def test_every_compose_service_has_its_own_nats_user_db_role_and_tls():
    services = COMPOSE["services"]
    for svc in SERVICES:
        P = svc.upper()
        for name in (svc, f"migrate-{svc}"):
            env = services[name]["environment"]
            assert env["NATS_URL"].startswith("tls://nats:")
            assert env[f"{P}_NATS_USER"] == svc
            assert env[f"{P}_NATS_PASSWORD"].startswith(f"${{{P}_NATS_PASSWORD:?"), name  # required, from .env
            # compose interpolates ${VAR:?message} first, so match the URL as written
            url = re.fullmatch(r"postgresql://(\w+):(\$\{[^}]*\})@([\w.-]+):5432/(\w+)\?(.*)", env[f"{P}_DATABASE_URL"])
            assert url and url.group(1, 3, 4) == (svc, "postgres", f"sunmoon_{svc}"), name
            assert url.group(2).startswith(f"${{{P}_DB_PASSWORD:?")
            query = parse_qs(url.group(5))
            assert query["sslmode"] == ["verify-full"] and query["sslrootcert"] == [env["SUNMOON_TLS_CA_FILE"]]
            for key in ("CA", "CERT", "KEY"):
                assert env[f"SUNMOON_TLS_{key}_FILE"].startswith("/run/sunmoon/tls/")
            assert "${SUNMOON_TLS_DIR:-tls}:/run/sunmoon/tls:ro" in services[name]["volumes"]
        s = services[svc]
        timeout = float(s["environment"][f"{P}_SHUTDOWN_TIMEOUT_SECONDS"])
        assert 0 < timeout <= _grace_seconds(s["stop_grace_period"]) - 5
        assert f"https://127.0.0.1:{PORTS[svc]}/readyz" in " ".join(s["healthcheck"]["test"])
    intake = services["intake"]["environment"]
    for peer in ("classifier", "notifier", "weather"):
        assert intake[f"INTAKE_{peer.upper()}_URL"] == f"https://{peer}:{PORTS[peer]}"
    streams = services["streams"]["environment"]
    assert streams["NATS_USER"] == "admin" and streams["NATS_PASSWORD"].startswith("${NATS_ADMIN_PASSWORD:?")
    # API tokens: every service accepts the listed ones; only intake holds the desk's own token
    for svc in SERVICES:
        env = services[svc]["environment"]
        assert env["SUNMOON_API_TOKENS"].startswith("${SUNMOON_API_TOKENS:?")
        assert ("INTAKE_SERVICE_TOKEN" in env) == (svc == "intake")
    assert intake["INTAKE_SERVICE_TOKEN"].startswith("${INTAKE_SERVICE_TOKEN:?")


def test_nats_and_postgres_run_with_tls_after_the_certs_one_shot():
    services = COMPOSE["services"]
    certs = services["certs"]
    assert certs["entrypoint"] == ["sh", "/opt/sunmoon/certs.sh"]
    assert "${SUNMOON_TLS_DIR:-tls}:/run/sunmoon/tls" in certs["volumes"]
    for name in ("nats", "postgres"):
        assert services[name]["depends_on"]["certs"]["condition"] == "service_completed_successfully"
        assert any(v.startswith("${SUNMOON_TLS_DIR:-tls}:/run/sunmoon/tls") for v in services[name]["volumes"])
    pg = " ".join(services["postgres"]["command"])
    assert "ssl=on" in pg and "ssl_key_file=/run/sunmoon/tls/postgres-key.pem" in pg
    conf = (COMPOSE_DIR / "nats.conf").read_text()
    assert re.search(r"^tls\s*\{", conf, re.M) and 'include "./auth/authorization.conf"' in conf
    assert "${NATS_AUTH_DIR:-./deploy/compose/nats-auth}:/etc/nats/auth:ro" in services["nats"]["volumes"]
    # the generated users block is never committed
    assert "authorization.conf" in (COMPOSE_DIR / "nats-auth" / ".gitignore").read_text().split()
    assert not (COMPOSE_DIR / "nats-auth" / "authorization.conf").exists() or subprocess.run(
        ["git", "check-ignore", "-q", "deploy/compose/nats-auth/authorization.conf"], cwd=ROOT).returncode == 0


def test_every_deploy_script_parses_and_has_help():
    for script in SCRIPTS:
        assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0, script
        if script.name != "postgres-init.sh":
            out = subprocess.run(["bash" if script.suffix == ".sh" else "sh", str(script), "--help"],
                                 capture_output=True, text=True, timeout=10)
            assert out.returncode == 0 and len(out.stdout.splitlines()) >= 3, (script, out.stderr)


def _run_certs(tls: Path, **env: str) -> str:
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    out = subprocess.run(["sh", str(COMPOSE_DIR / "certs.sh")], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PATH": path, "TLS_DIR": str(tls), **env})
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_certs_one_shot_makes_renews_and_respects_a_citys_own_files(tmp_path):
    from cryptography import x509

    tls = tmp_path / "tls"
    _run_certs(tls, SUNMOON_PUBLIC_HOST="desk.gimpo.example.go.kr")
    cert = x509.load_pem_x509_certificate((tls / "server.pem").read_bytes())
    names = set(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                .get_values_for_type(x509.DNSName))
    assert {*SERVICES, "nats", "postgres", "desk.gimpo.example.go.kr"} <= names
    assert (tls / "postgres-key.pem").read_bytes() == (tls / "server-key.pem").read_bytes()
    assert oct((tls / "server-key.pem").stat().st_mode & 0o777) == "0o640"
    assert oct((tls / "postgres-key.pem").stat().st_mode & 0o777) == "0o640"
    assert oct((tls / "ca-key.pem").stat().st_mode & 0o777) == "0o600"
    if os.geteuid() == 0:  # as in the container: readable by the services' group and PostgreSQL's group
        assert ((tls / "server-key.pem").stat().st_uid, (tls / "server-key.pem").stat().st_gid) == (0, 10001)
        assert (tls / "postgres-key.pem").stat().st_gid == 999
    # the next `up`: nothing due, nothing remade
    before = (tls / "server.pem").read_bytes()
    assert "nothing to do" in _run_certs(tls, SUNMOON_PUBLIC_HOST="desk.gimpo.example.go.kr")
    assert (tls / "server.pem").read_bytes() == before
    # a city's own files (no CA key here): used as they are, never replaced
    (tls / "ca-key.pem").unlink()
    assert "not ours to renew" in _run_certs(tls, SUNMOON_PUBLIC_HOST="another.example.go.kr")
    assert (tls / "server.pem").read_bytes() == before


def _env_file(path: Path) -> dict[str, str]:
    lines = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    return dict(ln.split("=", 1) for ln in lines)


async def _connect(port: int, ctx: ssl.SSLContext | None, user: str, password: str):
    return await nats.connect(f"{'tls' if ctx else 'nats'}://127.0.0.1:{port}", user=user, password=password,
                              tls=ctx, tls_hostname="nats" if ctx else None, allow_reconnect=False,
                              connect_timeout=3, max_reconnect_attempts=0)


def test_prepare_fills_env_once_and_nats_enforces_its_users(tmp_path):
    from sunmoon.localservers import free_port
    from sunmoon.tls import client_ssl_context, ensure_local_ca

    env = {**os.environ, "ENV_FILE": str(tmp_path / ".env"), "NATS_AUTH_DIR": str(tmp_path / "auth"),
           "NATS_BCRYPT_ROUNDS": "4"}
    run = subprocess.run(["bash", str(COMPOSE_DIR / "prepare.sh")], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    values = _env_file(tmp_path / ".env")
    secrets = {k: v for k, v in values.items() if re.search(r"PASSWORD$|^SUNMOON_(DATA_KEYS|BLIND_INDEX_KEY)$", k)}
    assert len(secrets) == 15 and all(secrets.values()) and len(set(secrets.values())) == 15
    assert oct((tmp_path / ".env").stat().st_mode & 0o777) == "0o600"
    # the desk's API token, and the hash entry every service accepts it by (sunmoon.auth)
    from sunmoon.auth import TokenRegistry, parse_tokens

    desk = TokenRegistry(parse_tokens(values["SUNMOON_API_TOKENS"])).identify(values["INTAKE_SERVICE_TOKEN"])
    assert desk is not None and (desk.name, desk.role) == ("desk", "service")
    assert values["INTAKE_SERVICE_TOKEN"] not in values["SUNMOON_API_TOKENS"]
    run = subprocess.run(["bash", str(COMPOSE_DIR / "prepare.sh")], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0 and "0 empty value(s) filled" in run.stdout
    assert _env_file(tmp_path / ".env") == values  # set values are never changed
    auth = (tmp_path / "auth" / "authorization.conf").read_text()
    assert not any(v in auth for v in secrets.values())

    # the compose NATS configuration with that block, served for real
    files, _ = ensure_local_ca(tmp_path / "tls")
    port, http = free_port(), free_port()
    conf = ((COMPOSE_DIR / "nats.conf").read_text()
            .replace("/run/sunmoon/tls/server-key.pem", str(files.key_file))
            .replace("/run/sunmoon/tls/server.pem", str(files.cert_file))
            .replace("/run/sunmoon/tls/ca.pem", str(files.ca_file))
            .replace("/data/jetstream", str(tmp_path / "js"))
            .replace("0.0.0.0:4222", f"127.0.0.1:{port}").replace("0.0.0.0:8222", f"127.0.0.1:{http}"))
    shutil.copytree(tmp_path / "auth", tmp_path / "conf" / "auth")
    (tmp_path / "conf" / "nats.conf").write_text(conf)
    server = subprocess.Popen([str(Path(sys.executable).parent / "nats-server"), "-c", str(tmp_path / "conf" /
                               "nats.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        asyncio.run(_check_users(port, client_ssl_context(files.ca_file), values))
    finally:
        server.terminate()
        server.wait(10)


async def _check_users(port: int, ctx: ssl.SSLContext, values: dict[str, str]) -> None:
    for _ in range(100):
        try:
            await asyncio.open_connection("127.0.0.1", port)
            break
        except OSError:
            await asyncio.sleep(0.1)
    for user in SERVICES:  # each service with the password compose gives it
        nc = await _connect(port, ctx, user, values[f"{user.upper()}_NATS_PASSWORD"])
        assert nc.is_connected
        await nc.close()
    nc = await _connect(port, ctx, "admin", values["NATS_ADMIN_PASSWORD"])
    await nc.close()
    with pytest.raises(Exception, match="(?i)authorization"):  # another service's password does not open it
        await _connect(port, ctx, "intake", values["NOTIFIER_NATS_PASSWORD"])
    with pytest.raises(Exception):  # no TLS: refused
        await _connect(port, None, "intake", values["INTAKE_NATS_PASSWORD"])
