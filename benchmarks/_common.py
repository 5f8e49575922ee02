"""What every benchmark shares: a description of the machine, and appending results to docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "benchmarks.md"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def append_result(text: str) -> Path:
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmarks\n\nMeasured by the scripts in `benchmarks/` (each says how to run it); "
                           "newest last. Targets live here, never in timed unit tests.\n")
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write("\n" + text)
    return RESULTS


def publish_result(title: str, context: str, columns: list[str], rows: list[tuple], *, write: bool) -> str:
    """Print one result section (a dated heading, the machine and conditions, a table); append it unless told not."""
    from datetime import datetime, timezone

    lines = [f"### {title} — {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC", "",
             f"Machine: {machine()}. {context}", "",
             "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if write:
        print(f"appended to {append_result(text)}")
    return text
