"""Benchmark of the classifier's model: classifications per second on one core, latency percentiles, memory.

Classifies the project's corpus (repeated to --n complaints) one at a time, as the service does, with
the process pinned to one CPU core. Targets (issue: Classifier): at least 2,000 classifications per
second on one core, p99 under 5 ms. Also times 10,000-character rants, and the model's memory.
Results are appended to docs/benchmarks.md with the machine and date.

    uv run python benchmarks/classifier_model.py           # or: --n 20000 --no-write
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import publish_result  # noqa: E402

from classifier import training  # noqa: E402
from classifier.textmodel import TextModel  # noqa: E402
from classifier.models import PACKAGED_PATH  # noqa: E402


def progress(label: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total)
    sys.stderr.write(f"\r{label:<10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def timed(model: TextModel, texts: list[str], label: str) -> list[float]:
    out = []
    for i, text in enumerate(texts):
        t0 = time.perf_counter()
        model.predict(text)
        out.append(time.perf_counter() - t0)
        if i % 1000 == 999 or i == len(texts) - 1:
            progress(label, i + 1, len(texts))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="complaints to classify (default 10,000)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not append to docs/benchmarks.md")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    model = TextModel.from_bytes(PACKAGED_PATH.read_bytes())
    model_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    corpus = [r[0] for r in training.load_corpus()]
    texts = (corpus * (args.n // len(corpus) + 1))[: args.n]
    timed(model, corpus[:500], "warm-up")
    gc.collect()
    t0 = time.perf_counter()
    times = timed(model, texts, "classify")
    wall = time.perf_counter() - t0
    rants = [("정말 너무 화가 납니다 몇 번을 말씀드렸는데 " * 400)[:10_000] + " 가로등이 꺼졌어요"] * 200
    rant_times = timed(model, rants, "rants")
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    ms = sorted(t * 1000 for t in times)
    rant_ms = sorted(t * 1000 for t in rant_times)

    def pct(xs: list[float], p: float) -> float:
        return xs[min(len(xs) - 1, int(len(xs) * p))]

    mean_len = statistics.mean(len(t) for t in texts)
    rows = [
        ("classifications per second, one core", f"{len(texts) / wall:,.0f}", "≥ 2,000"),
        ("latency p50 / p95 / p99 / max (ms)",
         f"{pct(ms, .5):.2f} / {pct(ms, .95):.2f} / {pct(ms, .99):.2f} / {ms[-1]:.2f}", "p99 < 5"),
        ("10,000-character rant p50 / p99 (ms)", f"{pct(rant_ms, .5):.2f} / {pct(rant_ms, .99):.2f}", "—"),
        ("model in memory (MB, Python heap)", f"{model_bytes / 1e6:.0f}", "—"),
        ("process peak RSS (MB)", f"{rss_after / 1024:.0f} (before loading: {rss_before / 1024:.0f})", "—"),
    ]
    publish_result(f"Classifier model {model.version}",
                   f"Pinned to one core. {len(texts):,} complaints from the corpus (mean {mean_len:.0f} characters), "
                   "one at a time.", ["measure", "result", "target"], rows, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
