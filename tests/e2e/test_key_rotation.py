"""Key rotation under load, as an operator does it in a rolling restart.

Complaints with names and phones are filed over HTTP throughout (a few per second, alternating between
two intake processes). A second intake starts with the new key prepended while the first still writes
with the old ring; ``rotate-keys`` runs during that overlap (it cannot finish the job: the old process
keeps writing old-key rows); then the old process is restarted with the new ring, a last pass runs,
and ``--check`` must report no value under the old key. Every complaint whose filing got a 201 must
be there and decrypt — with the OLD KEY REMOVED from the ring — to exactly what was sent. The same for
the notifier: its roster and its SMS record, while it keeps texting for the complaints being filed.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
import uuid

import pytest

from devstack.stack import ServiceProcess, wait_ready
from sunmoon.crypto import FieldCipher, KeyRing, normalize_phone
from sunmoon.localservers import free_port
from sunmoon.testing.service import auth_headers

from .conftest import Stack, eventually, start_stack

pytestmark = pytest.mark.timeout(420)
FILER = auth_headers("service")  # another city system filing through the API with its token


def _cli(service: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", service, *args], env=env, capture_output=True, text=True,
                          timeout=180)


class Filer:
    """Files complaints continuously against whichever intake URLs are current; remembers every 201."""

    def __init__(self, stack: Stack, urls: list[str]) -> None:
        self.stack, self.urls, self.sent, self.failures = stack, urls, {}, []
        self._stop = asyncio.Event()

    async def run(self, per_second: float = 5.0) -> None:
        i = 0
        while not self._stop.is_set():
            i += 1
            url = self.urls[i % len(self.urls)]
            name, phone = f"회전{i:04d}", f"010-{5000 + i % 5000:04d}-{i % 10000:04d}"
            body = {"description": f"신곡리 {i}번지 앞 가로등이 꺼졌어요", "channel": "phone",
                    "location": {"address": f"경기도 김포시 고촌읍 신곡리 {i}", "lat": 37.6012, "lon": 126.7701},
                    "complainant": {"name": name, "phone": phone}}
            try:
                r = await self.stack._http.post(f"{url}/api/v1/complaints", json=body, headers=FILER)
                if r.status_code == 201:
                    self.sent[uuid.UUID(r.json()["id"])] = (name, phone)
                else:
                    self.failures.append((url, r.status_code, r.text[:200]))
            except Exception as exc:  # noqa: BLE001 - counted and asserted below
                self.failures.append((url, type(exc).__name__, str(exc)[:200]))
            await asyncio.sleep(1 / per_second)

    def stop(self) -> None:
        self._stop.set()


async def _key_ids(stack: Stack, service: str, table: str, column: str) -> dict[str, int]:
    rows = await stack.query(service, f"SELECT convert_from(substring({column} from 3 for get_byte({column}, 1)),"
                                      f" 'SQL_ASCII') AS k, count(*) AS n FROM {table}"
                                      f" WHERE {column} IS NOT NULL GROUP BY 1")
    return {r["k"]: r["n"] for r in rows}


async def test_rotation_under_load_loses_nothing(servers, tmp_path):
    stack = await start_stack(servers, tmp_path)
    try:
        await _rotate_under_load(stack, tmp_path)
    finally:
        stack.stop()
        await stack._http.aclose()


async def _rotate_under_load(stack: Stack, tmp_path) -> None:
    intake, notifier = stack.services["intake"], stack.services["notifier"]
    old_ring = KeyRing.parse(intake.env["SUNMOON_DATA_KEYS"], intake.env["SUNMOON_BLIND_INDEX_KEY"])
    old_id = old_ring.active_key_id
    new_ring = old_ring.with_new_key("rot2")
    new_only = FieldCipher(KeyRing((new_ring.keys[0],), old_ring.blind_index_key))  # the old key retired
    old_cipher = FieldCipher(old_ring)
    roster_before = {r["id"]: (old_cipher.decrypt(r["name_enc"], table="workers", column="name", row_id=r["id"])
                               .reveal(), old_cipher.decrypt(r["phone_enc"], table="workers", column="phone",
                                                             row_id=r["id"]).reveal())
                     for r in await stack.query("notifier", "SELECT id, name_enc, phone_enc FROM workers")}
    assert roster_before

    filer = Filer(stack, [intake.url])
    filing = asyncio.create_task(filer.run())
    await eventually(lambda: _at_least(filer, 10), timeout=30, what="complaints filed under the old key")

    # rolling restart, step 1: a new intake process with the new ring beside the old one
    new_env = {**intake.env, **new_ring.to_env(), "INTAKE_HTTP_PORT": str(port := free_port())}
    second = ServiceProcess("intake", port, new_env, stack.logs / "intake-new.log")
    second.start()
    stack.cleanups.append(second.stop)
    await asyncio.to_thread(wait_ready, [second], 60)
    filer.urls = [intake.url, second.url]
    target = len(filer.sent) + 10
    await eventually(lambda: _at_least(filer, target), timeout=30, what="filing on both processes")

    # rotation while the old process still writes with the old key
    t0 = time.monotonic()
    first_pass = await asyncio.to_thread(_cli, "intake", ["rotate-keys", "--batch", "20"], new_env)
    first_pass_s = time.monotonic() - t0
    assert "re-encrypting complaints under key rot2" in first_pass.stderr, first_pass.stderr
    notifier_env = {**notifier.env, **new_ring.to_env()}
    n_first = await asyncio.to_thread(_cli, "notifier", ["rotate-keys", "--batch", "10"], notifier_env)
    assert "re-encrypting workers under key rot2" in n_first.stderr, n_first.stderr

    # step 2: the old processes are restarted with the new ring (filing goes to the new one meanwhile)
    filer.urls = [second.url]
    await asyncio.to_thread(stack.restart, "intake", new_ring.to_env())
    filer.urls = [intake.url, second.url]
    await asyncio.to_thread(stack.restart, "notifier", new_ring.to_env())
    target = len(filer.sent) + 10
    await eventually(lambda: _at_least(filer, target), timeout=30, what="filing after the restart")

    # the old process wrote under the old key after the first pass: this is why a last pass is needed
    left_by_old = (await _key_ids(stack, "intake", "complaints", "complainant_phone_enc")).get(old_id, 0)
    assert left_by_old > 0

    # step 3: a last pass, then the check that lets the operator remove the old key
    t0 = time.monotonic()
    last = await asyncio.to_thread(_cli, "intake", ["rotate-keys"], intake.env)
    last_s = time.monotonic() - t0
    assert last.returncode == 0 and "— done" in last.stderr, last.stderr
    assert (await asyncio.to_thread(_cli, "notifier", ["rotate-keys"], notifier.env)).returncode == 0
    for service, env in (("intake", intake.env), ("notifier", notifier.env)):
        check = await asyncio.to_thread(_cli, service, ["rotate-keys", "--check"], env)
        assert check.returncode == 0 and "ready: every value in this database is under the active key rot2" \
            in check.stdout, (service, check.stdout, check.stderr)
        assert f"{old_id}:" not in check.stdout and f"{old_id} unused here" in check.stdout

    filer.stop()
    await filing
    assert not filer.failures, filer.failures[:5]

    # none lost, every one readable with the old key gone, exactly as sent
    rows = await stack.query("intake", "SELECT id, complainant_name_enc, complainant_phone_enc FROM complaints")
    by_id = {r["id"]: r for r in rows}
    assert set(filer.sent) <= set(by_id), f"{len(set(filer.sent) - set(by_id))} complaints lost"
    for cid, (name, phone) in filer.sent.items():
        r = by_id[cid]
        assert new_only.decrypt(r["complainant_name_enc"], table="complaints", column="complainant_name",
                                row_id=cid).reveal() == name
        assert new_only.decrypt(r["complainant_phone_enc"], table="complaints", column="complainant_phone",
                                row_id=cid).reveal() == phone
    for column in ("complainant_name_enc", "complainant_phone_enc"):
        assert set(await _key_ids(stack, "intake", "complaints", column)) == {"rot2"}

    # the notifier: the same roster, readable with the new key only; the SMS record too
    workers = await stack.query("notifier", "SELECT id, name_enc, phone_enc FROM workers")
    assert {r["id"]: (new_only.decrypt(r["name_enc"], table="workers", column="name", row_id=r["id"]).reveal(),
                      new_only.decrypt(r["phone_enc"], table="workers", column="phone", row_id=r["id"]).reveal())
            for r in workers} == roster_before
    sms = await stack.query("notifier", "SELECT idempotency_key, recipient_phone_enc FROM sms_messages")
    assert sms, "the notifier texted nobody during the test"
    phones = {normalize_phone(p) for _, p in roster_before.values()}
    for r in sms:
        assert normalize_phone(new_only.decrypt(r["recipient_phone_enc"], table="sms_messages",
                                                column="recipient_phone", row_id=r["idempotency_key"]).reveal()) in phones
    progress = [p for p in re.split(r"[\r\n]", first_pass.stderr + last.stderr) if "complaints under" in p and "—" in p]
    print(f"\nkey rotation under load: {len(filer.sent)} complaints filed (0 lost, 0 failed), "
          f"{len(sms)} SMS, {len(workers)} workers; {left_by_old} complaints written under the old key after "
          f"the first pass; intake passes {first_pass_s:.1f}s and {last_s:.1f}s (process start included): {progress}")


async def _at_least(filer: Filer, n: int) -> bool:
    assert not filer.failures, filer.failures[:5]
    return len(filer.sent) >= n
