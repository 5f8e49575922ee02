"""The evaluation command, as a user runs it: `make evaluate FILE=...` and `evaluate --holdout`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def _run(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env)


def test_holdout_evaluation_meets_the_targets_and_ends_with_one_json_line():
    """The README's figures: trained on four fifths of the corpus, scored on the fifth it never saw."""
    done = _run(sys.executable, "-m", "classifier", "evaluate", "--holdout")
    assert done.returncode == 0, done.stderr
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(last) == {"accuracy", "macro_f1", "urgent_recall", "n", "per_second"}
    print(last)
    assert last["n"] > 300
    assert last["accuracy"] >= 0.85 and last["macro_f1"] >= 0.80 and last["urgent_recall"] >= 0.95
    assert "confusion matrix" in done.stdout and "precision" in done.stdout
    assert "training on" in done.stderr  # progress is shown while it trains


def test_make_evaluate_on_a_csv_without_urgency(tmp_path):
    csv = tmp_path / "night.csv"
    csv.write_text("text,category\n"
                   "가로등이 꺼져서 골목이 깜깜해요,streetlight\n"
                   "\"하수구가 막혀서, 물이 안 빠져요\",sewer_drainage\n"
                   "멧돼지가 나타났어요,animal\n", encoding="utf-8")
    done = _run("make", "-s", "evaluate", f"FILE={csv}", cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["n"] == 3 and last["urgent_recall"] is None and last["accuracy"] == 1.0
    assert last["per_second"] > 0


def test_bad_files_get_a_clear_message(tmp_path):
    wrong_header = tmp_path / "a.csv"
    wrong_header.write_text("complaint,label\n가로등,streetlight\n", encoding="utf-8")
    unknown_type = tmp_path / "b.csv"
    unknown_type.write_text("text,category\n가로등,lamp\n", encoding="utf-8")
    not_utf8 = tmp_path / "c.csv"
    not_utf8.write_bytes("text,category\n가로등,streetlight\n".encode("euc-kr"))
    for path, message in ((wrong_header, "header must name the columns text,category"),
                          (unknown_type, "line 2: unknown category 'lamp'"),
                          (not_utf8, "not UTF-8"), (tmp_path / "missing.csv", "no such file")):
        done = _run(sys.executable, "-m", "classifier", "evaluate", str(path))
        assert done.returncode == 2 and message in done.stderr, (path, done.stderr)
    usage = _run("make", "-s", "evaluate", cwd=ROOT)
    assert usage.returncode != 0 and "usage: make evaluate FILE=" in usage.stdout
