"""``python -m notifier`` as a real process: help and the idempotent demo seed."""

import os
import subprocess
import sys

import pytest

from sunmoon.crypto import KeyRing

from notifier.__main__ import main


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "notifier", *args], capture_output=True, text=True, timeout=60,
                          env=env)


def test_help(capsys):
    for argv, expected in ((["--help"], "seed-demo"), (["seed-demo", "--help"], "Gimpo")):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0 and expected in capsys.readouterr().out


async def test_seed_demo_is_idempotent(servers, tmp_path):
    env = {**os.environ, **KeyRing.generate().to_env(), "SUNMOON_HOME": str(tmp_path),
           "NOTIFIER_DATABASE_URL": await servers.fresh_database("notifier_seed")}
    first = _run("seed-demo", env=env)
    assert first.returncode == 0, first.stderr
    assert "9 teams (9 new), 18 workers (18 new)" in first.stdout
    second = _run("seed-demo", env=env)
    assert second.returncode == 0, second.stderr
    assert "9 teams (0 new), 18 workers (0 new)" in second.stdout
    assert "010-0" not in first.stdout + first.stderr + second.stdout + second.stderr


def test_invalid_settings_are_explained(monkeypatch, capsys):
    monkeypatch.setenv("NOTIFIER_SMS_PROVIDER", "carrier-pigeon")
    assert main(["migrate"]) == 2
    assert "unknown SMS provider" in capsys.readouterr().err
    monkeypatch.setenv("NOTIFIER_SMS_PROVIDER", "console")
    monkeypatch.setenv("NOTIFIER_PUBLIC_URL", "not a url")
    assert main(["migrate"]) == 2
    assert "public_url" in capsys.readouterr().err
