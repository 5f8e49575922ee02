"""The README's promise, run as a new user would: a fresh checkout, `make up`, the curl example, Ctrl-C.

The checkout is the repository's files as git sees them (tracked plus new, never ignored ones: no
.venv, no .tools), copied to an empty directory. `make up` runs there with no DATABASE_URL and no
NATS_URL, so it must start its own PostgreSQL and NATS, and with its state in a fresh SUNMOON_HOME.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from sunmoon.localservers import port_open
from sunmoon.tls import httpx_verify

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(8000, 8005)

pytestmark = pytest.mark.timeout(600)


def _fresh_checkout(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, check=True, capture_output=True).stdout.split(b"\0")
    for name in filter(None, files):
        src = ROOT / name.decode()
        if src.is_file():
            target = dest / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def _readme_example() -> str:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    matching = [b for b in blocks if "/api/v1/complaints" in b and "curl" in b]
    assert matching, "the README has no bash block that posts a complaint"
    return matching[0]


def test_fresh_checkout_make_up_and_the_curl_example(tmp_path):
    busy = [p for p in PORTS if port_open("127.0.0.1", p)]
    if busy:
        pytest.skip(f"ports {busy} are taken on this machine; the README example needs 8000-8004")
    checkout = tmp_path / "sun-to-moon"
    _fresh_checkout(checkout)
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "NATS_URL", "VIRTUAL_ENV", "SUNMOON_DATA_KEYS", "SUNMOON_BLIND_INDEX_KEY"}
           and not k.startswith("PYTEST") and k not in {"SUNMOON_API_TOKENS", "INTAKE_SERVICE_TOKEN"}}
    home = Path(tempfile.mkdtemp(prefix="sunmoon-readme-"))  # pytest's own tmp is 0700: PostgreSQL's user
    os.chmod(home, 0o755)                                      # (when run as root) must pass through it
    env["SUNMOON_HOME"] = str(home)
    env["UV_PROJECT_ENVIRONMENT"] = str(checkout / ".venv")
    proc = subprocess.Popen(["make", "up"], cwd=checkout, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 420
        while not any("Press Ctrl-C" in line for line in output):
            assert proc.poll() is None, "make up exited:\n" + "".join(output)
            assert time.monotonic() < deadline, "make up not ready in time:\n" + "".join(output)
            time.sleep(0.5)
        text = "".join(output)
        assert "PostgreSQL: starting our own" in text and "NATS: JetStream on" in text, text
        assert "https://127.0.0.1:8000/api/v1/complaints" in text  # TLS by default, with a local CA
        ca = home / "tls" / "ca.pem"
        assert f"TLS: local certificate authority created: {ca}" in text, text
        assert ca.exists() and (home / "tls" / "ca-key.pem").stat().st_mode & 0o777 == 0o600
        assert not (checkout / "tls").exists()  # kept outside the source tree

        example = subprocess.run(["bash", "-c", _readme_example()], capture_output=True, text=True, timeout=60,
                                 env=env)
        assert example.returncode == 0, example.stderr
        first, _, rest = example.stdout.partition("\n")
        assert '"id"' in first, example.stdout
        assert '"status":"dispatched"' in rest.replace(" ", ""), example.stdout
        token = (home / "api-tokens" / "admin.token").read_text().strip()
        assert (home / "api-tokens" / "admin.token").stat().st_mode & 0o777 == 0o600
        denied = httpx.get("https://127.0.0.1:8002/api/v1/sms", timeout=5, verify=httpx_verify(ca))
        assert denied.status_code == 401  # no token, no answer
        sms = httpx.get("https://127.0.0.1:8002/api/v1/sms", timeout=5, verify=httpx_verify(ca),
                        headers={"Authorization": f"Bearer {token}"}).json()
        assert "[당직] 긴급" in str(sms)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        reader.join(5)
        shutil.rmtree(home, ignore_errors=True)
    text = "".join(output)
    assert "[sunmoon] stopped." in text, text[-3000:]
    for p in PORTS:
        assert not port_open("127.0.0.1", p), f"port {p} still answers after Ctrl-C"
