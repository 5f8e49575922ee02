"""docker-compose.yml against the Compose schema, its images, the Dockerfiles, and the NATS configs we ship."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

from .helpers import PORTS, ROOT, SCHEMAS, SERVICES, render

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_validates_against_the_compose_schema():
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    schema.pop("$schema", None)
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(COMPOSE)]
    assert not errors
    broken = json.loads(json.dumps(COMPOSE))
    broken["services"]["intake"]["depends_on"]["nats"]["condition"] = "service_ready"
    assert list(validator.iter_errors(broken)), "the schema must catch a wrong condition"


def test_every_image_is_built_here_or_pinned():
    for name, svc in COMPOSE["services"].items():
        image = svc["image"]
        if "build" in svc:
            dockerfile = ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]
            assert dockerfile.exists(), name
            assert image.split(":")[0] == f"sunmoon/{dockerfile.parent.name}", name
        else:
            assert re.fullmatch(r"[a-z0-9./-]+:\d+\.\d+(\.\d+)?(-[a-z0-9]+)?", image), f"{name}: {image} is not pinned"


def test_compose_stack_shape():
    services = COMPOSE["services"]
    assert set(SERVICES) <= set(services)
    assert {"nats-data", "pg-data", "tls"} <= set(COMPOSE["volumes"])
    for svc in SERVICES:
        s = services[svc]
        deps = s["depends_on"]
        assert deps[f"migrate-{svc}"]["condition"] == "service_completed_successfully"
        assert deps["nats"]["condition"] == deps["postgres"]["condition"] == "service_healthy"
        assert "/readyz" in " ".join(s["healthcheck"]["test"]) and f":{PORTS[svc]}/" in " ".join(s["healthcheck"]["test"])
        assert s["environment"][f"{svc.upper()}_DATABASE_URL"].startswith(f"postgresql://{svc}:")
        assert any(v.endswith(":/run/sunmoon/tls:ro") for v in s["volumes"])
        assert services[f"migrate-{svc}"]["command"] == ["migrate"]
        # a container sees only its own database password
        others = [o for o in SERVICES if o != svc]
        assert not [k for k in s["environment"] if any(k.startswith(o.upper() + "_") for o in others)]
    assert services["fake-kma"]["profiles"] == ["demo"] and services["demo-roster"]["profiles"] == ["demo"]
    for peer in ("classifier", "notifier", "weather"):
        assert services["intake"]["depends_on"][peer]["condition"] == "service_healthy"


def test_env_example_lists_every_variable_compose_needs_and_no_secret():
    needed = set(re.findall(r"\$\{([A-Z0-9_]+)(?::?[-?])", (ROOT / "docker-compose.yml").read_text()))
    lines = [ln for ln in (ROOT / ".env.example").read_text().splitlines() if ln and not ln.startswith("#")]
    example = dict(ln.split("=", 1) for ln in lines)
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", (ROOT / "docker-compose.yml").read_text()))
    assert required <= set(example), required - set(example)
    assert needed <= set(example) | {"SUNMOON_VERSION", "SUNMOON_TLS_DIR", "NATS_AUTH_DIR"}
    # no password may silently default to empty: each is required (`${VAR:?...}`)
    assert not [v for v in needed - required if "PASSWORD" in v]
    for key, value in example.items():
        if re.search(r"PASSWORD|SECRET|_KEYS?$|TOKENS?$", key):
            assert value == "", f"{key} must be empty in .env.example"


def _dockerfile(svc: str) -> list[tuple[str, str]]:
    text = (ROOT / "services" / svc / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1] if " " in ln else "")
            for ln in (x.strip() for x in joined.splitlines()) if ln and not ln.startswith("#")]


def test_dockerfiles():
    for svc in SERVICES:
        inst = _dockerfile(svc)
        kinds = [k for k, _ in inst]
        assert set(kinds) <= {"ARG", "FROM", "COPY", "ENV", "WORKDIR", "RUN", "USER", "EXPOSE", "HEALTHCHECK",
                              "ENTRYPOINT", "CMD"}, svc
        froms = [a for k, a in inst if k == "FROM"]
        assert froms[0].startswith("ghcr.io/astral-sh/uv:0.") and len(froms) == 3
        args = dict(a.split("=", 1) for k, a in inst if k == "ARG")
        assert re.fullmatch(r"python:3\.12\.\d+-slim-bookworm", args["PYTHON_IMAGE"])
        users = [a for k, a in inst if k == "USER"]
        assert users and users[-1].split(":")[0] not in ("0", "root") and kinds.index("USER") > kinds.index("FROM", 2)
        assert any(k == "HEALTHCHECK" and "/healthz" in a for k, a in inst)
        assert f"EXPOSE {PORTS[svc]}" in [f"{k} {a}" for k, a in inst]
        copies = [a.split() for k, a in inst if k == "COPY"]
        sources = [p for c in copies if not c[0].startswith("--from") for p in c[:-1]]
        allowed = {"pyproject.toml", "uv.lock", "shared/pyproject.toml", f"services/{svc}/pyproject.toml", "shared/",
                   f"services/{svc}/"}
        assert set(sources) == allowed, svc
        runs = [a for k, a in inst if k == "RUN"]
        dep_layer = next(i for i, r in enumerate(runs) if "--no-install-workspace" in r)
        assert f"--package sunmoon-{svc}" in runs[dep_layer] and "--frozen" in runs[dep_layer] and "--no-dev" in runs[dep_layer]
        # the dependency layer comes before any source is copied
        order = [(k, a) for k, a in inst]
        first_src = next(i for i, (k, a) in enumerate(order) if k == "COPY" and a.startswith("shared/ "))
        dep_at = next(i for i, (k, a) in enumerate(order) if k == "RUN" and "--no-install-workspace" in a)
        assert dep_at < first_src
    assert "libpango-1.0-0" in (ROOT / "services" / "reporting" / "Dockerfile").read_text()
    ignore = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", ".env", "**/tests"} <= set(ignore)


def _nats_server() -> str:
    path = Path(sys.executable).parent / "nats-server"
    assert path.exists()
    return str(path)


def test_nats_configs_we_ship_are_accepted_by_nats_server(tmp_path):
    from sunmoon.tls import ensure_local_ca

    from sunmoon.access import nats_authorization

    files, _ = ensure_local_ca(tmp_path / "tls")
    (tmp_path / "auth").mkdir()
    users = ("intake", "classifier", "notifier", "weather", "reporting", "admin", "analytics")
    (tmp_path / "auth" / "authorization.conf").write_text(nats_authorization({u: u * 2 for u in users}, rounds=4))
    compose = (ROOT / "deploy" / "compose" / "nats.conf").read_text()
    k8s = next(c for c in render("prod") if c["metadata"]["name"] == "nats-config")["data"]["nats.conf"]
    for name, text in (("compose.conf", compose), ("k8s.conf", k8s)):
        assert re.search(r"jetstream\s*\{[^}]*sync_interval:\s*always", text), name
        text = (text.replace("/run/sunmoon/tls/server-key.pem", str(files.key_file))
                .replace("/run/sunmoon/tls/server.pem", str(files.cert_file))
                .replace("/run/sunmoon/tls/ca.pem", str(files.ca_file))
                .replace("/run/sunmoon/tls/tls.key", str(files.key_file))
                .replace("/run/sunmoon/tls/tls.crt", str(files.cert_file))
                .replace("/run/sunmoon/tls/ca.crt", str(files.ca_file))
                .replace("/data/jetstream", str(tmp_path / "js")).replace("/var/run/nats", str(tmp_path)))
        (tmp_path / name).write_text(text)
        out = subprocess.run([_nats_server(), "-c", str(tmp_path / name), "-t"], capture_output=True, text=True,
                             timeout=30, env={"POD_NAME": "nats-0", "PATH": "/usr/bin:/bin"})
        assert out.returncode == 0, (name, out.stdout, out.stderr)
