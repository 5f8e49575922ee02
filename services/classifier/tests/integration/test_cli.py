"""``python -m classifier`` as a real process: help, classify (argument and stdin), migrate."""

from __future__ import annotations

import asyncio
from pathlib import Path
import json
import os
import subprocess
import sys

import asyncpg
import pytest

from classifier.__main__ import main


def _run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "classifier", *args], input=stdin, capture_output=True,
                          text=True, timeout=60, env=env)


def test_help(capsys):
    for argv, expected in ((["--help"], "classify"), (["classify", "--help"], "standard input")):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0 and expected in capsys.readouterr().out


def test_classify_an_argument():
    done = _run("classify", "수도관이 터져서 물이 도로로 넘치고 있어요")
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(None, 1) for line in done.stdout.replace("urgency by", "urgency_by").splitlines())
    assert lines["type"] == "water_supply (상수도 누수·단수)"
    assert lines["urgency"] == "urgent (긴급)"
    assert lines["department"] == "상하수도과"
    assert lines["model"].startswith("base-")
    assert "수도관" in lines["terms"]
    lexicon = _run("classify", "--lexicon", "수도관이 터져서 물이 도로로 넘치고 있어요")
    assert lexicon.returncode == 0 and "lexicon-1" in lexicon.stdout


def test_classify_words_are_joined_and_stdin_is_read():
    joined = _run("classify", "주차장이", "너무", "어두워요")
    assert joined.returncode == 0 and "streetlight" in joined.stdout
    piped = _run("classify", "--json", stdin="술 취한 사람이 도로에 누워 있어요\n")
    assert piped.returncode == 0, piped.stderr
    body = json.loads(piped.stdout)
    assert (body["type"], body["urgency"], body["department"]) == ("public_order", "urgent", "복지정책과")
    assert "manual" not in body


def test_classify_blank_text_is_other_for_review_and_oversized_text_is_refused():
    blank = _run("classify", stdin="   \n")
    assert blank.returncode == 0 and "other" in blank.stdout and "needs review" in blank.stdout
    done = _run("classify", stdin="가" * 20001)
    assert done.returncode == 2 and "at most 20000" in done.stderr and done.stdout == ""


async def test_migrate_creates_the_tables_and_seeds_the_manuals_once(servers):
    dsn = await servers.fresh_database("classifier_cli")
    env = {**os.environ, "CLASSIFIER_DATABASE_URL": dsn, "CLASSIFIER_LOG_JSON": "true"}
    first = await asyncio.to_thread(_run, "migrate", env=env)
    assert first.returncode == 0, first.stderr
    expected = 1 + len(list((Path(__file__).resolve().parents[2] / "migrations").glob("*.sql")))  # + shared
    assert first.stdout.startswith(f"{expected} migration(s) applied")
    assert "classifier/0002_manuals.sql" in first.stdout
    second = await asyncio.to_thread(_run, "migrate", env=env)
    assert second.stdout.startswith("0 migration(s) applied")
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM manuals") == 15
        assert await conn.fetchval("SELECT count(*) FROM classifications") == 0
    finally:
        await conn.close()
