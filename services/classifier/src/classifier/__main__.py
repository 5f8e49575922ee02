"""python -m classifier — type, urgency and department of each complaint."""

from __future__ import annotations

import argparse
import sys
import textwrap

from pydantic import ValidationError

from sunmoon.cli import run_uvicorn, service_main

from . import domain
from .bootstrap import MIGRATIONS, create_app
from .schemas import ClassifyIn, ClassifyOut
from .settings import ClassifierSettings


def _classify_args(p: argparse.ArgumentParser) -> None:
    p.description = textwrap.fill(
        f"Classify a complaint text with the service's model ({domain.MODEL_VERSION}) and print its type, "
        "urgency, department, confidence and the terms that decided. Nothing is stored or published and "
        "no database or NATS is needed. Without TEXT the complaint is read from standard input.", width=78)
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = ("examples:\n"
                '  python -m classifier classify "수도관이 터져서 물이 도로로 넘치고 있어요"\n'
                "  echo '가로등이 꺼졌어요' | python -m classifier classify --json")
    p.add_argument("text", nargs="*", metavar="TEXT", help="the complaint; several words are joined with spaces")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object, as POST /api/v1/classify answers (without the manual)")


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
    out = ClassifyOut.build(domain.classify(body.text), manual=None)
    if args.json:
        print(out.model_dump_json(exclude={"manual"}))
        return 0
    runners_up = ", ".join(f"{a.type} {a.score:g}" for a in out.alternatives) or "-"
    print(f"type        {out.type} ({out.label})\n"
          f"urgency     {out.urgency} ({out.urgency_label})\n"
          f"department  {out.department}\n"
          f"confidence  {out.confidence:.2f}\n"
          f"terms       {', '.join(out.matched_terms) or '-'}\n"
          f"urgency by  {', '.join(out.urgency_terms) or f'the default for {out.type}'}\n"
          f"runners-up  {runners_up}\n"
          f"model       {out.model_version}\n"
          f"manual      GET /api/v1/manuals/{out.type}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return service_main(
        prog="classifier",
        description="Sun to Moon classifier: type, urgency and department of each complaint "
                    "(settings: CLASSIFIER_* variables).",
        settings_factory=ClassifierSettings,
        serve=lambda s: run_uvicorn(create_app(s), s),
        migrations_dir=MIGRATIONS,
        extra={"classify": ("classify a text and print the result (nothing stored; reads stdin without TEXT)",
                            _classify_args, _classify)},
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
