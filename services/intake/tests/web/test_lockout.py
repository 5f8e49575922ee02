"""Issue 9: repeated sign-in failures lock the account (beyond the 15-minute throttle) until an administrator
sets a new password."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from intake.web.auth import save_user

_spec = importlib.util.spec_from_file_location("desk_fakes_lockout", Path(__file__).with_name("fakes.py"))
fakes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fakes)

PASSWORD = "correct-horse-battery"


async def test_ten_failures_lock_the_account_until_an_admin_sets_a_new_password(desk):
    client, app = desk
    pool = app.state.runtime.pool
    await pool.execute("UPDATE desk_users SET password_changed_at = now() - interval '1 day'")  # made a day ago
    # ten failures, spread out so the short throttle (3 per 15 minutes here) is not what stops the next try
    await pool.execute("INSERT INTO desk_login_attempts (name, client_ip, succeeded, at)"
                       " SELECT 'officer', '192.0.2.7', false, now() - interval '20 minutes' - g * interval '1 minute'"
                       " FROM generate_series(1, 10) g")
    r = await fakes.sign_in(client, "officer", PASSWORD)
    assert r.status_code == 423 and "계정이 잠겼습니다" in r.text  # the right password does not open it
    assert "sunmoon_desk" not in r.cookies
    # another user is not affected
    assert (await fakes.sign_in(client, "chief", PASSWORD)).status_code == 303
    # an administrator sets a new password: unlocked
    async with pool.acquire() as conn:
        await save_user(conn, "officer", "duty_officer", "a-new-password-42", update=True)
    assert (await fakes.sign_in(client, "officer", "a-new-password-42")).status_code == 303


async def test_a_success_resets_the_count(desk):
    client, app = desk
    pool = app.state.runtime.pool
    await pool.execute("UPDATE desk_users SET password_changed_at = now() - interval '1 day'")  # made a day ago
    await pool.execute("INSERT INTO desk_login_attempts (name, client_ip, succeeded, at)"
                       " SELECT 'officer', '192.0.2.7', false, now() - interval '3 hours' - g * interval '1 minute'"
                       " FROM generate_series(1, 9) g")
    await pool.execute("INSERT INTO desk_login_attempts (name, client_ip, succeeded, at)"
                       " VALUES ('officer', '192.0.2.7', true, now() - interval '2 hours')")
    await pool.execute("INSERT INTO desk_login_attempts (name, client_ip, succeeded, at)"
                       " VALUES ('officer', '192.0.2.7', false, now() - interval '1 hour')")
    assert (await fakes.sign_in(client, "officer", PASSWORD)).status_code == 303
