"""API keys: issued and revoked by an administrator (CLI), stored hashed, rate-limited per key (429)."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
from xml.etree import ElementTree as ET

import requests

from intake.__main__ import main as intake_main
from intake.open311 import keys

FORM = {"service_code": "waste", "lat": "37.63", "long": "126.70", "description": "쓰레기 무단투기"}


def _post(root: str, key: str, fmt: str = "json") -> requests.Response:
    return requests.post(f"{root}/requests.{fmt}", data={**FORM, "api_key": key}, timeout=10)


async def test_token_bucket_per_key_answers_429_in_the_standard_format(open311):
    slow = await keys.issue(open311.db, "slow-kiosk", rate_per_minute=1, burst=3)
    codes = [(await asyncio.to_thread(_post, open311.root, slow.key)).status_code for _ in range(3)]
    assert codes == [201, 201, 201]
    refused = await asyncio.to_thread(_post, open311.root, slow.key)
    assert refused.status_code == 429 and refused.json()[0]["code"] == 429
    as_xml = await asyncio.to_thread(_post, open311.root, slow.key, "xml")
    assert as_xml.status_code == 429 and ET.fromstring(as_xml.content).findtext("error/code") == "429"
    # another key has its own budget
    assert (await asyncio.to_thread(_post, open311.root, open311.key)).status_code == 201
    # the bucket refills at the key's rate: one minute later, one more request
    await open311.db.execute("UPDATE open311_api_keys SET bucket_at = bucket_at - interval '61 seconds'"
                             " WHERE id = $1", slow.id)
    assert (await asyncio.to_thread(_post, open311.root, slow.key)).status_code == 201
    assert (await asyncio.to_thread(_post, open311.root, slow.key)).status_code == 429
    assert await open311.db.fetchval("SELECT count(*) FROM complaints WHERE channel = 'open311'") == 5


async def test_cli_issues_lists_and_revokes_keys_stored_only_as_hashes(open311, monkeypatch, capsys):
    monkeypatch.setenv("INTAKE_DATABASE_URL", open311.app.state.settings.database_url)

    async def cli(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = await asyncio.to_thread(intake_main, ["api-key", *args])  # python -m intake api-key ...
        return code, capsys.readouterr().out

    code, out = await cli("issue", "gimpo-app", "--rate", "30")
    assert code == 0, out
    # the server running in this process may log to the same captured stdout; the key is its own line
    keys = [line for line in out.splitlines() if line.startswith("s2m_")]
    assert len(keys) == 1, out
    key = keys[0]
    assert len(key) == 47  # 256 random bits
    row = await open311.db.fetchrow("SELECT * FROM open311_api_keys WHERE name = 'gimpo-app'")
    assert row["key_hash"] == hashlib.sha256(key.encode()).digest() and row["rate_per_minute"] == 30
    dump = await open311.db.fetchval("SELECT string_agg(t::text, ' ') FROM open311_api_keys t")
    assert key not in dump and key[10:] not in dump
    assert (await asyncio.to_thread(_post, open311.root, key)).status_code == 201

    code, out = await cli("list")
    assert code == 0 and "gimpo-app" in out and "active" in out and key not in out
    assert (await cli("issue", "gimpo-app"))[0] == 1  # names are unique
    assert (await cli("issue", "bad name!"))[0] == 2

    assert (await cli("revoke", "gimpo-app"))[0] == 0
    refused = await asyncio.to_thread(_post, open311.root, key)
    assert refused.status_code == 403 and "api_key" in refused.json()[0]["description"]
    assert "revoked" in (await cli("list"))[1]
    assert (await cli("revoke", "gimpo-app"))[0] == 1
    # reading stays public, with no key at all
    assert requests.get(f"{open311.root}/requests.json", timeout=10).status_code == 200


def test_cli_help():
    out = subprocess.run([sys.executable, "-m", "intake", "api-key", "--help"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and "issue" in out.stdout and "revoke" in out.stdout
