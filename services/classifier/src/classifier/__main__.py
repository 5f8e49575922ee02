"""python -m classifier — type, urgency and department of each complaint."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from pathlib import Path

from pydantic import ValidationError

from sunmoon.cli import run_uvicorn, service_main
from sunmoon.db import connect, migrate

from . import domain, models, retraining, training
from .bootstrap import MIGRATIONS, create_app
from .schemas import ClassifyIn, ClassifyOut
from .settings import ClassifierSettings


def _say(started: float):
    def say(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {message}", file=sys.stderr, flush=True)
    return say


def _classify_args(p: argparse.ArgumentParser) -> None:
    p.description = textwrap.fill(
        "Classify a complaint text with the packaged model (or the lexicon with --lexicon) and print its "
        "type, urgency, department, confidence and the terms that decided. Nothing is stored or published "
        "and no database or NATS is needed. Without TEXT the complaint is read from standard input.", width=78)
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = ("examples:\n"
                '  python -m classifier classify "수도관이 터져서 물이 도로로 넘치고 있어요"\n'
                "  echo '가로등이 꺼졌어요' | python -m classifier classify --json")
    p.add_argument("text", nargs="*", metavar="TEXT", help="the complaint; several words are joined with spaces")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object, as POST /api/v1/classify answers (without the manual)")
    p.add_argument("--lexicon", action="store_true", help=f"use the hand-written lexicon ({domain.MODEL_VERSION})")


def _classify(_settings: ClassifierSettings, args: argparse.Namespace) -> int:
    if args.text:
        text = " ".join(args.text)
    else:
        if sys.stdin.isatty():
            print("reading the complaint from standard input (end with Ctrl-D) ...", file=sys.stderr)
        text = sys.stdin.read()
    try:
        body = ClassifyIn(text=text)
    except ValidationError as exc:
        for err in exc.errors():
            print(f"classifier classify: {err['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    try:
        result = domain.classify(body.text) if args.lexicon else models.classify(models.packaged(), body.text)
    except models.ModelMissing as exc:
        print(f"classifier classify: {exc}", file=sys.stderr)
        return 1
    out = ClassifyOut.build(result, manual=None)
    if args.json:
        print(out.model_dump_json(exclude={"manual"}))
        return 0
    runners_up = ", ".join(f"{a.type} {a.score:.2f}" for a in out.alternatives) or "-"
    print(f"type        {out.type} ({out.label})\n"
          f"urgency     {out.urgency} ({out.urgency_label})\n"
          f"department  {out.department}\n"
          f"confidence  {out.confidence:.2f}{'  (needs review: the officer should choose)' if out.needs_review else ''}\n"
          f"terms       {', '.join(out.matched_terms) or '-'}\n"
          f"urgency by  {', '.join(out.urgency_terms) or f'the default for {out.type}'}\n"
          f"runners-up  {runners_up}\n"
          f"model       {out.model_version}\n"
          f"manual      GET /api/v1/manuals/{out.type}")
    return 0


# -- models ---------------------------------------------------------------------------------
def _evaluate_args(p: argparse.ArgumentParser) -> None:
    p.description = textwrap.fill(
        "Classify every row of a UTF-8 CSV (columns text,category and optionally urgency) with the packaged "
        "model, one at a time as the service does, and print per-type precision and recall, the confusion "
        "matrix and, as the last line, one JSON object: accuracy, macro_f1, urgent_recall (null without an "
        "urgency column), n, per_second (one core). With --holdout, a model is trained on four fifths of the "
        "project's corpus and scored on the fifth it never saw (the README's figures). No database needed.",
        width=78)
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = ("examples:\n  make evaluate FILE=complaints.csv\n"
                "  python -m classifier evaluate --holdout")
    p.add_argument("file", nargs="?", type=Path, help="the CSV to score")
    p.add_argument("--holdout", action="store_true", help="score the corpus's held-out fifth instead of a file")
    p.add_argument("--model", type=Path, help="a model file (.npz) instead of the packaged one")


def _evaluate(_settings: ClassifierSettings, args: argparse.Namespace) -> int:
    say = _say(time.monotonic())
    if bool(args.file) == bool(args.holdout):
        print("classifier evaluate: give a CSV file or --holdout (not both); see --help", file=sys.stderr)
        return 2
    try:
        if args.holdout:
            train_rows, rows = training.split(training.load_corpus())
            has_urgency = True
            say(f"training on {len(train_rows)} corpus complaints; {len(rows)} held out")
            model = training.train(train_rows, version="holdout", progress=lambda m: say("  " + m))
        else:
            rows, has_urgency = training.read_rows(args.file)
            model = models.TextModel.from_bytes(args.model.read_bytes()) if args.model else models.packaged()
        say(f"classifying {len(rows)} complaints with {model.version}")
        ev = training.evaluate(model, rows, has_urgency=has_urgency,
                               progress=lambda done, total: say(f"  {done}/{total}") if done == total else None)
    except (training.CorpusError, models.ModelMissing, OSError) as exc:
        print(f"classifier evaluate: {exc}", file=sys.stderr)
        return 2
    print(training.render_report(ev))
    print(json.dumps(ev.summary()))
    return 0


def _build_args(p: argparse.ArgumentParser) -> None:
    p.description = textwrap.fill(
        f"Train the packaged base model on the project's corpus ({training.CORPUS_DIR}) and write it to "
        f"{models.PACKAGED_PATH}, with its held-out scores. Run it after editing the corpus and commit the "
        "file. Takes about a minute; no database needed.", width=78)
    p.add_argument("--output", type=Path, default=models.PACKAGED_PATH, help="where to write the model")


def _build(_settings: ClassifierSettings, args: argparse.Namespace) -> int:
    say = _say(time.monotonic())
    model, ev = retraining.build_base(say)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(model.to_bytes())
    say(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.1f} MB), version {model.version}")
    print(json.dumps(ev.summary()))
    return 0


def _retrain_args(p: argparse.ArgumentParser) -> None:
    p.description = textwrap.fill(
        "Train a new model version on the corpus plus every correction officers made in intake, score it "
        "on the held-out fifth of the corpus, store it in the classifier's database and make it active "
        "(the running service switches within seconds). A version that scores clearly worse than the active "
        "one is stored but not activated.", width=78)
    p.add_argument("--no-activate", action="store_true", help="store the new version without activating it")
    p.add_argument("--force", action="store_true",
                   help="train even if nothing changed, and activate even if it scores worse")


async def _retrain(settings: ClassifierSettings, args: argparse.Namespace) -> int:
    say = _say(time.monotonic())
    await migrate(settings.database_url, MIGRATIONS, label=settings.service_name)
    conn = await connect(settings.database_url)
    try:
        await models.ensure_active(conn)
        result = await retraining.retrain(conn, say, activate=not args.no_activate, force=args.force)
    finally:
        await conn.close()
    print(json.dumps({"version": result.version, "created": result.created, "activated": result.activated,
                      "corrections": result.n_corrections, **result.scores}))
    return 0


def _models_args(p: argparse.ArgumentParser) -> None:
    p.description = "List the stored model versions, newest first, with their held-out scores."


async def _models(settings: ClassifierSettings, _args: argparse.Namespace) -> int:
    conn = await connect(settings.database_url)
    try:
        rows = await conn.fetch("SELECT version, active, created_at, n_examples, n_corrections, scores, note"
                                " FROM model_versions ORDER BY created_at DESC")
    finally:
        await conn.close()
    if not rows:
        print("no model versions yet: the service stores the packaged one at its first start")
    for r in rows:
        sc = r["scores"] or {}
        print(f"{'*' if r['active'] else ' '} {r['version']:<20} {r['created_at']:%Y-%m-%d %H:%M}  "
              f"{r['n_examples']} examples ({r['n_corrections']} corrections)  "
              f"accuracy {sc.get('accuracy', float('nan')):.3f}  macro-F1 {sc.get('macro_f1', float('nan')):.3f}  "
              f"urgent recall {sc.get('urgent_recall') or float('nan'):.3f}")
    return 0


def _activate_args(p: argparse.ArgumentParser) -> None:
    p.description = "Make a stored model version the active one (e.g. to roll back); see `models`."
    p.add_argument("version")


async def _activate(settings: ClassifierSettings, args: argparse.Namespace) -> int:
    conn = await connect(settings.database_url)
    try:
        await models.activate_version(conn, args.version)
    except KeyError:
        print(f"classifier activate: no model version {args.version!r}; list them with `models`", file=sys.stderr)
        return 1
    finally:
        await conn.close()
    print(f"{args.version} is active; running services switch to it within seconds")
    return 0


def main(argv: list[str] | None = None) -> int:
    return service_main(
        prog="classifier",
        description="Sun to Moon classifier: type, urgency and department of each complaint "
                    "(settings: CLASSIFIER_* variables).",
        settings_factory=ClassifierSettings,
        serve=lambda s: run_uvicorn(create_app(s), s),
        migrations_dir=MIGRATIONS,
        extra={
            "classify": ("classify a text and print the result (nothing stored; reads stdin without TEXT)",
                         _classify_args, _classify),
            "evaluate": ("score the model on a labelled CSV (or the corpus's held-out fifth)",
                         _evaluate_args, _evaluate),
            "retrain": ("train a new model version from the corpus plus the officers' corrections",
                        _retrain_args, _retrain),
            "models": ("list the stored model versions", _models_args, _models),
            "activate": ("make a stored model version the active one", _activate_args, _activate),
            "build-model": ("rebuild the packaged base model from the corpus", _build_args, _build),
        },
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
