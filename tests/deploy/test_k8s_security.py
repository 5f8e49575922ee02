"""deploy/k8s and the security features of the services: every service (and its migration Job) has its own NATS
user and PostgreSQL role from Secrets, TLS files from the internal certificate, HTTPS between services, Prometheus
annotations, a shutdown bound inside the grace period; NATS and PostgreSQL require TLS; and create-secrets.sh
really creates every Secret key the manifests read (run against a fake kubectl that keeps Secrets as files)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from .helpers import K8S, OVERLAYS, PORTS, ROOT, SERVICES, of_kind, render

TLS_SECRET = "sunmoon-tls-internal"


def _workloads(docs) -> list[tuple[str, dict]]:
    """(service, pod template spec) of each service Deployment and each migration Job."""
    out = []
    for d in docs:
        name = d["metadata"]["name"]
        if d["kind"] == "Deployment" and name in SERVICES:
            out.append((name, d["spec"]["template"]))
        elif d["kind"] == "Job" and name.startswith("migrate-"):
            out.append((name.removeprefix("migrate-"), d["spec"]["template"]))
    return out


def _env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def _secret_ref(env: dict) -> tuple[str, str]:
    ref = env["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_its_own_nats_user_db_role_and_tls_files(overlay):
    workloads = _workloads(render(overlay))
    assert sorted(s for s, _ in workloads) == sorted([*SERVICES, *SERVICES])
    for svc, template in workloads:
        pod = template["spec"]
        c = pod["containers"][0]
        env, P = _env(c), svc.upper()
        # NATS: user = the service, password from the per-user key of sunmoon-nats-credentials, TLS URL
        assert env[f"{P}_NATS_USER"]["value"] == svc
        assert _secret_ref(env[f"{P}_NATS_PASSWORD"]) == ("sunmoon-nats-credentials", svc)
        assert env["NATS_URL"]["valueFrom"]["configMapKeyRef"]["key"] == "NATS_URL"
        # PostgreSQL: its own role and database, password from its own Secret, the server verified
        assert _secret_ref(env[f"{P}_DB_PASSWORD"]) == (f"sunmoon-db-{svc}", "password")
        url = urlsplit(env[f"{P}_DATABASE_URL"]["value"])
        assert (url.username, url.password, url.path) == (svc, f"$({P}_DB_PASSWORD)", f"/sunmoon_{svc}")
        query = parse_qs(url.query)
        assert query["sslmode"] == ["verify-full"]
        # TLS: the three files, inside a read-only mount of the internal certificate's Secret
        files = [env[f"SUNMOON_TLS_{k}_FILE"]["value"] for k in ("CA", "CERT", "KEY")]
        assert query["sslrootcert"] == [files[0]]
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        for f in files:
            mount = mounts[str(Path(f).parent)]
            assert mount["readOnly"] is True
            assert volumes[mount["name"]]["secret"]["secretName"] == TLS_SECRET
            assert Path(f).name in ("ca.crt", "tls.crt", "tls.key")
        # no other service's credentials in this container
        others = [o.upper() for o in SERVICES if o != svc]
        assert not [k for k in env if k.split("_", 1)[0] in others], svc
        # every variable that looks secret comes from a Secret
        for name, e in env.items():
            if re.search(r"PASSWORD|SECRET|_KEYS?$|TOKEN", name) and name != f"{P}_NATS_USER":
                assert "secretKeyRef" in e.get("valueFrom", {}), (svc, name)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_take_api_tokens_are_scraped_and_stop_inside_their_grace_period(overlay):
    for dep in of_kind(render(overlay), "Deployment"):
        svc = dep["metadata"]["name"]
        template = dep["spec"]["template"]
        ann = template["metadata"]["annotations"]
        assert ann == {"prometheus.io/scrape": "true", "prometheus.io/scheme": "https",
                       "prometheus.io/port": str(PORTS[svc]), "prometheus.io/path": "/metrics"}, svc
        env = _env(template["spec"]["containers"][0])
        # API tokens (sunmoon.auth): every service accepts the listed ones; only intake holds the desk's own
        assert _secret_ref(env["SUNMOON_API_TOKENS"]) == ("sunmoon-api-tokens", "SUNMOON_API_TOKENS"), svc
        assert ("INTAKE_SERVICE_TOKEN" in env) == (svc == "intake")
        if svc == "intake":
            assert _secret_ref(env["INTAKE_SERVICE_TOKEN"]) == ("sunmoon-desk-token", "token")
        timeout = float(env[f"{svc.upper()}_SHUTDOWN_TIMEOUT_SECONDS"]["value"])
        # in-flight work, then draining NATS and closing the pool, must all fit before the kubelet's SIGKILL
        assert 0 < timeout <= template["spec"]["terminationGracePeriodSeconds"] - 5, svc


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_intake_calls_the_other_services_over_https_by_their_service_names(overlay):
    docs = render(overlay)
    intake = next(d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == "intake")
    env = _env(intake["spec"]["template"]["spec"]["containers"][0])
    services = {s["metadata"]["name"]: s for s in of_kind(docs, "Service")}
    for peer in ("classifier", "notifier", "weather"):
        url = urlsplit(env[f"INTAKE_{peer.upper()}_URL"]["value"])
        assert url.scheme == "https" and url.hostname == peer, peer
        assert url.port in [p["port"] for p in services[peer]["spec"]["ports"]], peer
    # the certificate every pod presents names each service, NATS and PostgreSQL (dev and prod host names)
    cert = next(c for c in of_kind(docs, "Certificate") if c["spec"]["secretName"] == TLS_SECRET)
    host = next(s for s in of_kind(docs, "ConfigMap") if s["metadata"]["name"] == "sunmoon-config")["data"]
    assert {*SERVICES, "nats", "postgres", host["DATABASE_HOST"]} <= set(cert["spec"]["dnsNames"])
    assert urlsplit(host["NATS_URL"]).scheme == "tls"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_nats_and_postgres_require_tls_and_nats_its_users(overlay):
    docs = render(overlay)
    conf = next(c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"] == "nats-config")["data"]["nats.conf"]
    assert re.search(r"^tls\s*\{", conf, re.M) and re.search(r"cluster\s*\{[^}]*tls\s*\{", conf, re.S)
    assert re.search(r"^include \./auth/authorization\.conf$", conf, re.M)
    sts = next(s for s in of_kind(docs, "StatefulSet") if s["metadata"]["name"] == "nats")
    volumes = {v["name"]: v for v in sts["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
    assert volumes[mounts["/etc/nats/auth"]]["secret"]["secretName"] == "nats-authorization"
    assert volumes[mounts["/run/sunmoon/tls"]]["secret"]["secretName"] == TLS_SECRET
    if overlay == "prod":
        cluster = of_kind(docs, "Cluster")[0]["spec"]
        assert cluster["postgresql"]["pg_hba"] == ["hostnossl all all all reject"]
        assert cluster["certificates"]["serverTLSSecret"] == TLS_SECRET
    else:
        pg = next(s for s in of_kind(docs, "StatefulSet") if s["metadata"]["name"] == "postgres")["spec"]["template"]
        args = " ".join(pg["spec"]["containers"][0]["args"])
        assert "ssl=on" in args and "ssl_key_file=/run/sunmoon/tls/tls.key" in args
        init = next(c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"] == "postgres-init")
        # the dev cluster runs exactly the init script compose runs (roles, databases, TLS-only pg_hba)
        assert init["data"]["10-sunmoon.sh"] == (ROOT / "deploy" / "compose" / "postgres-init.sh").read_text()


FAKE_KUBECTL = r'''#!{python}
"""A kubectl that keeps Secrets as JSON files in $FAKE_K8S (create, get, patch, apply of a Secret)."""
import base64, json, os, sys
from pathlib import Path
store = Path(os.environ["FAKE_K8S"])
args = sys.argv[1:]
ns = args[args.index("-n") + 1]; del args[args.index("-n"):args.index("-n") + 2]
def path(name): return store / ns / f"{{name}}.json"
if args[:2] == ["get", "secret"]:
    p = path(args[2])
    if not p.exists(): sys.exit(1)
    for a in args:
        if a.startswith("jsonpath={{.data."):
            print(json.loads(p.read_text())["data"][a[len("jsonpath={{.data."):-1]], end="")
elif args[:3] == ["create", "secret", "generic"]:
    name, data = args[3], {{}}
    for a in args[4:]:
        if a.startswith("--from-literal="):
            k, v = a[len("--from-literal="):].split("=", 1); data[k] = base64.b64encode(v.encode()).decode()
        elif a.startswith("--from-file="):
            k, f = a[len("--from-file="):].split("=", 1); data[k] = base64.b64encode(Path(f).read_bytes()).decode()
    path(name).parent.mkdir(parents=True, exist_ok=True)
    path(name).write_text(json.dumps({{"data": data}}))
else:
    sys.exit(f"fake kubectl: unsupported {{args}}")
'''


def test_create_secrets_makes_every_secret_key_the_manifests_read(tmp_path):
    """deploy/k8s/create-secrets.sh run for real (uv, sunmoon.crypto, sunmoon.access) against a kubectl that keeps
    Secrets as files: every secretKeyRef of both overlays resolves, no value is empty except the external API keys
    you fill in, and the generated NATS authorization is accepted by nats-server with the cluster's config."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "kubectl").write_text(FAKE_KUBECTL.format(python=sys.executable))
    (bindir / "kubectl").chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "FAKE_K8S": str(tmp_path / "k8s"),
           "UV": str(ROOT / ".tools" / "bin" / "uv")}
    for ns in ("sunmoon", "sunmoon"):  # the second run must skip what exists and change nothing
        out = subprocess.run(["bash", str(K8S / "create-secrets.sh"), ns], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
    store = {p.stem: {k: base64.b64decode(v).decode() for k, v in json.loads(p.read_text())["data"].items()}
             for p in (tmp_path / "k8s" / "sunmoon").glob("*.json")}
    optional_empty = {"sunmoon-external-apis"}
    for overlay in OVERLAYS:
        for doc in render(overlay):
            if doc["kind"] not in ("Deployment", "StatefulSet", "Job"):
                continue
            for c in doc["spec"]["template"]["spec"]["containers"]:
                for e in c.get("env", []):
                    ref = e.get("valueFrom", {}).get("secretKeyRef")
                    if not ref or ref["name"] in ("sunmoon-backup-s3",):  # given by the city (prod backups)
                        continue
                    assert ref["key"] in store[ref["name"]], (doc["metadata"]["name"], ref)
                    assert store[ref["name"]][ref["key"]] or ref["name"] in optional_empty, ref
    from sunmoon.auth import TokenRegistry, parse_tokens

    entries = TokenRegistry(parse_tokens(store["sunmoon-api-tokens"]["SUNMOON_API_TOKENS"]))
    desk = entries.identify(store["sunmoon-desk-token"]["token"])
    assert desk is not None and (desk.name, desk.role) == ("desk", "service")
    passwords = store["sunmoon-nats-credentials"]
    assert set(passwords) == {*SERVICES, "admin"} and len(set(passwords.values())) == 6
    auth = store["nats-authorization"]["authorization.conf"]
    assert auth.startswith("authorization {") and not any(pw in auth for pw in passwords.values())
    assert all(f'user: "{u}"' in auth for u in passwords)
    _nats_accepts(tmp_path, auth)


def _nats_accepts(tmp_path: Path, auth: str) -> None:
    from sunmoon.tls import ensure_local_ca

    files, _ = ensure_local_ca(tmp_path / "tls")
    (tmp_path / "auth").mkdir()
    (tmp_path / "auth" / "authorization.conf").write_text(auth)
    conf = next(c for c in render("prod") if c["metadata"]["name"] == "nats-config")["data"]["nats.conf"]
    conf = (conf.replace("/run/sunmoon/tls/tls.key", str(files.key_file))
            .replace("/run/sunmoon/tls/tls.crt", str(files.cert_file))
            .replace("/run/sunmoon/tls/ca.crt", str(files.ca_file))
            .replace("/data/jetstream", str(tmp_path / "js")).replace("/var/run/nats", str(tmp_path)))
    (tmp_path / "nats.conf").write_text(conf)
    server = Path(sys.executable).parent / "nats-server"
    out = subprocess.run([str(server), "-c", str(tmp_path / "nats.conf"), "-t"], capture_output=True, text=True,
                         timeout=30, env={"POD_NAME": "nats-0", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, (out.stdout, out.stderr)
