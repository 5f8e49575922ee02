"""Building model versions: the packaged base model, and retraining with the officers' corrections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from . import models, repository, training
from .textmodel import TextModel, data_hash

CORRECTION_WEIGHT = 3.0  # an officer's correction counts as much as three corpus rows
MAX_F1_DROP = 0.02  # a retrained model worse than the active one by more than this is kept, not activated

Say = Callable[[str], None]


def build_base(say: Say) -> tuple[TextModel, training.Evaluation]:
    """The packaged model: trained on the whole corpus; its scores come from the held-out split
    (a second model trained on the other four fifths, scored on the fifth it never saw)."""
    rows = training.load_corpus()
    train_rows, held = training.split(rows)
    say(f"corpus: {len(rows)} complaints ({len(train_rows)} for training, {len(held)} held out)")
    say("held-out evaluation: training on four fifths of the corpus")
    probe = training.train(train_rows, version="holdout", progress=lambda m: say("  " + m))
    ev = training.evaluate(probe, held, has_urgency=True)
    say(f"held-out: accuracy {ev.accuracy:.3f}, macro-F1 {ev.macro_f1:.3f}, urgent recall {ev.urgent_recall:.3f}")
    say("final model: training on the whole corpus")
    model = training.train(rows, version=f"base-{data_hash(rows)[:8]}", progress=lambda m: say("  " + m))
    model.meta["scores"] = ev.scores()
    return model, ev


@dataclass
class RetrainResult:
    version: str
    created: bool
    activated: bool
    scores: dict[str, Any]
    n_corrections: int
    reason: str


async def retrain(conn: asyncpg.Connection, say: Say, *, activate: bool = True, force: bool = False) -> RetrainResult:
    """A new version from the corpus plus every correction; activated unless it scores worse than the active one."""
    corpus = training.load_corpus()
    corrections = [(r["text"], r["type"], r["urgency"] or "") for r in await repository.corrections(conn)]
    rows = corpus + corrections
    weights = [1.0] * len(corpus) + [CORRECTION_WEIGHT] * len(corrections)
    digest = data_hash(rows)
    existing = await conn.fetchrow("SELECT version, scores, active FROM model_versions WHERE data_hash = $1"
                                   " ORDER BY created_at DESC LIMIT 1", digest)
    if existing and not force:
        say(f"nothing new to learn: version {existing['version']} was trained on exactly these "
            f"{len(rows)} examples ({len(corrections)} corrections)")
        return RetrainResult(existing["version"], False, existing["active"], existing["scores"], len(corrections),
                             "unchanged data")
    count = await conn.fetchval("SELECT count(*) FROM model_versions")
    version = f"r{count + 1}-{digest[:8]}"
    say(f"training data: {len(corpus)} corpus complaints + {len(corrections)} officers' corrections")

    train_rows, held = training.split(corpus)
    say("held-out evaluation: training without the held-out fifth of the corpus")
    probe = training.train(train_rows + corrections, weights=[1.0] * len(train_rows) + [CORRECTION_WEIGHT] * len(corrections),
                           version="holdout", progress=lambda m: say("  " + m))
    ev = training.evaluate(probe, held, has_urgency=True)
    say(f"held-out: accuracy {ev.accuracy:.3f}, macro-F1 {ev.macro_f1:.3f}, urgent recall {ev.urgent_recall:.3f}")
    say(f"model {version}: training on everything")
    model = training.train(rows, weights=weights, version=version, progress=lambda m: say("  " + m))
    scores: dict[str, Any] = ev.scores()
    if corrections:
        learned = sum(model.predict(text).type == type_ for text, type_, _u in corrections)
        scores["corrections_learned"] = round(learned / len(corrections), 4)
        say(f"corrections classified as the officers said: {learned}/{len(corrections)}")

    active = await conn.fetchrow("SELECT version, scores FROM model_versions WHERE active")
    reason = "activated"
    do_activate = activate
    if activate and active and not force:
        previous = (active["scores"] or {}).get("macro_f1")
        if previous is not None and ev.macro_f1 < previous - MAX_F1_DROP:
            do_activate = False
            reason = (f"kept but not activated: held-out macro-F1 {ev.macro_f1:.3f} is below the active "
                      f"{active['version']}'s {previous:.3f}; check the corrections, or `activate {version}`")
    if not activate:
        reason = "stored; not activated (--no-activate)"
    await models.store_version(conn, model, scores=scores, n_corrections=len(corrections), activate=do_activate,
                               note=f"retrained with {len(corrections)} corrections")
    say(f"{version}: {reason}")
    return RetrainResult(version, True, do_activate, scores, len(corrections), reason)
