"""Sign-in, sessions, CSRF, roles, throttle, sign-out, security headers; and the create-user command."""

import asyncio
import subprocess
import sys

from intake.web import auth

from .conftest import PASSWORD, fakes  # noqa: F401


async def test_pages_need_a_session_and_sign_in_sets_a_strict_cookie(desk):
    client, app = desk
    r = await client.get("/desk/board")
    assert r.status_code == 303 and r.headers["location"] == "/desk/login?next=%2Fdesk%2Fboard"
    assert (await client.get("/desk/api/board")).status_code == 401
    r = await fakes.sign_in(client, "officer", PASSWORD, "/desk/board")
    assert r.status_code == 303 and r.headers["location"] == "/desk/board"
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith(auth.SESSION_COOKIE))
    low = cookie.lower()
    assert "httponly" in low and "samesite=strict" in low and "secure" in low and "max-age=" in low
    page = await client.get("/desk/board")
    assert page.status_code == 200 and "오늘 밤 현황판" in page.text and "officer (당직 근무자)" in page.text
    # the database keeps only a hash of the token
    token = client.cookies.get(auth.SESSION_COOKIE)
    stored = await app.state.runtime.pool.fetchval("SELECT count(*) FROM desk_sessions WHERE token_hash = $1",
                                                   auth.token_hash(token))
    assert stored == 1 and token.encode() not in b"".join(
        [bytes(r["token_hash"]) for r in await app.state.runtime.pool.fetch("SELECT token_hash FROM desk_sessions")])
    # Argon2id hashes
    h = await app.state.runtime.pool.fetchval("SELECT password_hash FROM desk_users WHERE name = 'officer'")
    assert h.startswith("$argon2id$")


async def test_security_headers_on_every_page(desk):
    client, _ = desk
    for path in ("/desk/login", "/desk/static/desk.js", "/healthz"):
        r = await client.get(path)
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
    login = await client.get("/desk/login")
    assert "script-src 'self'" in login.headers["content-security-policy"]
    assert login.headers["cache-control"] == "no-store"
    assert "<script>" not in login.text and "onclick" not in login.text


async def test_wrong_password_and_missing_csrf_are_refused_then_throttled(desk):
    client, app = desk
    r = await fakes.sign_in(client, "officer", "wrong-password!")
    assert r.status_code == 401 and "이름 또는 비밀번호가 맞지 않습니다" in r.text
    r = await client.post("/desk/login", data={"name": "officer", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403
    r = await fakes.sign_in(client, "nobody", PASSWORD)
    assert r.status_code == 401 and "이름 또는 비밀번호가 맞지 않습니다" in r.text   # same answer for an unknown name
    for _ in range(2):
        await fakes.sign_in(client, "officer", "wrong-password!")
    # three failures (the limit in this test): even the right password is refused for a while
    r = await fakes.sign_in(client, "officer", PASSWORD)
    assert r.status_code == 429 and "너무 많습니다" in r.text
    assert client.cookies.get(auth.SESSION_COOKIE) is None
    await app.state.runtime.pool.execute("UPDATE desk_login_attempts SET at = at - interval '1 hour'")
    assert (await fakes.sign_in(client, "officer", PASSWORD)).status_code == 303


async def test_posts_need_the_csrf_token(desk):
    client, _ = desk
    await fakes.sign_in(client, "officer", PASSWORD)
    assert (await client.post("/desk/api/preview", json={"text": "가로등이 꺼졌어요"})).status_code == 403
    csrf = fakes.page_csrf((await client.get("/desk/")).text)
    r = await client.post("/desk/api/preview", json={"text": "가로등이 꺼졌어요"}, headers={"x-csrf-token": csrf})
    assert r.status_code == 200 and r.json()["type"] == "streetlight"
    assert (await client.post("/desk/logout", data={"csrf_token": "nope"})).status_code == 403


async def test_sign_out_ends_the_session_and_sessions_expire(desk):
    client, app = desk
    await fakes.sign_in(client, "officer", PASSWORD)
    token = client.cookies.get(auth.SESSION_COOKIE)
    csrf = fakes.page_csrf((await client.get("/desk/")).text)
    r = await client.post("/desk/logout", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/desk/login?out=1"
    client.cookies.set(auth.SESSION_COOKIE, token, domain="desk.test")   # a stolen copy is worthless now
    assert (await client.get("/desk/api/board")).status_code == 401
    client.cookies.clear()
    await fakes.sign_in(client, "officer", PASSWORD)
    pool = app.state.runtime.pool
    await pool.execute("UPDATE desk_sessions SET last_seen_at = now() - interval '2 hours'")   # idle too long
    assert (await client.get("/desk/api/board")).status_code == 401
    await fakes.sign_in(client, "officer", PASSWORD)
    await pool.execute("UPDATE desk_sessions SET expires_at = now() - interval '1 second'")   # shift over
    assert (await client.get("/desk/api/board")).status_code == 401


async def test_roles_open_the_access_log_to_supervisors_only(desk):
    client, _ = desk
    await fakes.sign_in(client, "officer", PASSWORD)
    r = await client.get("/desk/access-log")
    assert r.status_code == 403 and "권한이 없습니다" in r.text and "열람 기록</a>" not in r.text
    client.cookies.clear()
    await fakes.sign_in(client, "chief", PASSWORD)
    r = await client.get("/desk/access-log")
    assert r.status_code == 200 and "개인정보 열람 기록" in r.text


async def test_next_cannot_lead_off_site(desk):
    client, _ = desk
    r = await fakes.sign_in(client, "officer", PASSWORD, next_url="https://evil.example/desk/")
    assert r.headers["location"] == "/desk/"
    client.cookies.clear()
    r = await fakes.sign_in(client, "officer", PASSWORD, next_url="//evil.example/x")
    assert r.headers["location"] == "/desk/"


async def test_create_user_command(servers):
    url = await servers.fresh_database("intake")

    def run(*args, stdin=""):
        return subprocess.run([sys.executable, "-m", "intake", "create-user", *args], input=stdin, text=True,
                              capture_output=True, env={**__import__("os").environ, "INTAKE_DATABASE_URL": url,
                                                        "INTAKE_LOG_JSON": "false"}, timeout=60)

    def check():
        r = run("--help")
        assert r.returncode == 0 and "--role" in r.stdout and "duty_officer" in r.stdout
        r = run("--role", "admin", "boss", stdin="a-long-password\n")
        assert r.returncode == 0 and "desk user boss (admin) created" in r.stdout, r.stderr
        r = run("--role", "admin", "boss", stdin="a-long-password\n")
        assert r.returncode == 1 and "exists already" in r.stderr
        r = run("--role", "supervisor", "short", stdin="short\n")
        assert r.returncode == 1 and "at least 10" in r.stderr
        return run

    await asyncio.to_thread(check)
    import asyncpg
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow("SELECT role, password_hash FROM desk_users WHERE name = 'boss'")
    finally:
        await conn.close()
    assert row["role"] == "admin" and auth.verify_password(row["password_hash"], "a-long-password")


async def test_create_user_with_a_password_file(servers, tmp_path):
    url = await servers.fresh_database("intake")
    pw_file = tmp_path / "demo-password"
    env = {**__import__("os").environ, "INTAKE_DATABASE_URL": url}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "intake", "create-user", *args], text=True,
                              capture_output=True, env=env, timeout=60, stdin=subprocess.DEVNULL)

    r = await asyncio.to_thread(run, "--role", "supervisor", "--update", "--password-file", str(pw_file), "demo")
    assert r.returncode == 0 and "created" in r.stdout and str(pw_file) in r.stdout, r.stderr
    assert pw_file.stat().st_mode & 0o777 == 0o600
    r = await asyncio.to_thread(run, "--role", "supervisor", "--update", "--password-file", str(pw_file), "demo")
    assert r.returncode == 0 and "updated" in r.stdout   # the second `make up` keeps the same password
