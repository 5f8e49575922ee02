"""`python -m notifier rotate-keys`: the roster and the console SMS record re-encrypted under the newest key,
rows locked by a writer skipped then picked up, and `--check` counting values per key id."""

import asyncio
import io
import os
import subprocess
import sys

from sunmoon.crypto import FieldCipher, KeyRing
from sunmoon.keyrotation import rotate_target

from notifier.rotation import TARGETS, WORKERS, check_keys, rotate_all


def _decrypted(cipher: FieldCipher, workers, sms) -> tuple:
    return ({w["id"]: (cipher.decrypt(w["name_enc"], table="workers", column="name", row_id=w["id"]).reveal(),
                       cipher.decrypt(w["phone_enc"], table="workers", column="phone", row_id=w["id"]).reveal())
             for w in workers},
            {s["id"]: cipher.decrypt(s["recipient_phone_enc"], table="sms_messages", column="recipient_phone",
                                     row_id=s["idempotency_key"]).reveal() for s in sms})


async def _rows(pool):
    return (await pool.fetch("SELECT id, name_enc, phone_enc FROM workers"),
            await pool.fetch("SELECT id, idempotency_key, recipient_phone_enc FROM sms_messages"))


async def test_rotate_roster_and_sms_record(service):
    await service.publish(service.dispatch_event())
    await service.wait_sent()
    pool = service.app.state.runtime.pool
    before = _decrypted(service.cipher, *await _rows(pool))
    n_workers, n_sms = len(before[0]), len(before[1])
    assert n_workers > 10 and n_sms == 1
    newer = FieldCipher(service.cipher.ring.with_new_key("k2"))
    old_id = service.cipher.ring.active_key_id

    out = io.StringIO()
    assert await check_keys(pool, newer, out=out) == 1
    assert f"workers.name: {old_id}: {n_workers}" in out.getvalue() and "NOT READY" in out.getvalue()

    # a roster edit holds one worker's row while the rotation runs: skipped, reported, done on the next run
    async with pool.acquire() as holder, holder.transaction():
        locked = await holder.fetchval("SELECT id FROM workers ORDER BY id LIMIT 1 FOR UPDATE")
        out = io.StringIO()
        rows, values = await rotate_target(pool, newer, WORKERS, batch=7, out=out, lock_retries=2, retry_delay=0.05)
        assert (rows, values) == (n_workers - 1, 2 * (n_workers - 1))
        assert "1 rows still locked or under an old key: run again" in out.getvalue()
    assert await rotate_all(pool, newer, batch=7, out=io.StringIO()) == 2 + 1  # the locked worker, the SMS
    assert await rotate_all(pool, newer, out=io.StringIO()) == 0  # idempotent

    new_only = FieldCipher(KeyRing((newer.ring.keys[0],), newer.ring.blind_index_key))
    assert _decrypted(new_only, *await _rows(pool)) == before  # readable with the old key removed
    out = io.StringIO()
    assert await check_keys(pool, newer, out=out) == 0
    assert f"workers.phone: k2: {n_workers}" in out.getvalue() and "sms_messages.recipient_phone: k2: 1" \
        in out.getvalue() and f"{old_id} unused here" in out.getvalue() and locked


async def test_rotate_keys_command(service):
    """The command an operator runs: exit 1 from --check before, 0 after; keys from a mounted file."""
    await service.publish(service.dispatch_event())
    await service.wait_sent()
    keys = service.cipher.ring.with_new_key("k2").to_env()
    secret = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"w4-keys-{os.getpid()}")
    with open(secret, "w") as fh:
        fh.write(keys["SUNMOON_DATA_KEYS"] + "\n")
    env = {**os.environ, "NOTIFIER_DATABASE_URL": service.settings.database_url, "NOTIFIER_ALLOW_DEV_KEYS": "false",
           "SUNMOON_DATA_KEYS_FILE": secret, "SUNMOON_BLIND_INDEX_KEY": keys["SUNMOON_BLIND_INDEX_KEY"]}
    env.pop("SUNMOON_DATA_KEYS", None)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "notifier", "rotate-keys", *args], env=env,
                              capture_output=True, text=True, timeout=60)
    try:
        before = await asyncio.to_thread(run, "--check")
        assert before.returncode == 1 and "NOT READY" in before.stdout
        done = await asyncio.to_thread(run, "--batch", "5")
        assert done.returncode == 0 and "re-encrypting sms_messages under key k2: 1/1 rows, 1 values — done" \
            in done.stderr, done.stderr
        after = await asyncio.to_thread(run, "--check")
        assert after.returncode == 0 and "ready: every value in this database is under the active key k2" \
            in after.stdout
        bad = await asyncio.to_thread(run, "--batch", "0")
        assert bad.returncode == 2 and "--batch must be at least 1" in bad.stderr
    finally:
        os.unlink(secret)
    assert {t.table for t in TARGETS} == {"workers", "sms_messages"}
