"""Frozen samples of every event version: a breaking change to a payload model fails here.

Additive optional fields keep the version; anything else (a field removed, renamed,
retyped, or a new required field) needs a new ``.v2`` subject published beside v1.
To freeze a new subject's sample and schema: ``SUNMOON_FREEZE_CONTRACTS=1 make test PYTEST_ARGS=tests/contract``.
"""

import json
import os
from pathlib import Path

import pytest

from sunmoon.events import REGISTRY, decode

SAMPLES = Path(__file__).parent / "samples"


def _frozen(subject: str) -> dict:
    path = SAMPLES / f"{subject}.json"
    if not path.exists():
        if os.environ.get("SUNMOON_FREEZE_CONTRACTS"):
            pytest.fail(f"write a sample envelope for {subject} in {path} first")
        pytest.fail(f"{subject} has no frozen sample: add {path} (see this module's docstring)")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("subject", sorted(REGISTRY))
def test_frozen_sample_still_decodes(subject):
    sample = _frozen(subject)
    envelope, payload = decode(subject, json.dumps(sample["envelope"]).encode())
    assert envelope.subject == subject
    # every field the sample carried is still understood with the same value
    dumped = payload.model_dump(mode="json")
    for key, value in sample["envelope"]["payload"].items():
        assert key in dumped, f"{subject}: field {key!r} was removed — publish a .v2 subject instead"
        assert dumped[key] == value, f"{subject}: field {key!r} now reads {dumped[key]!r}"


@pytest.mark.parametrize("subject", sorted(REGISTRY))
def test_schema_changes_are_additive(subject):
    sample = _frozen(subject)
    schema = REGISTRY[subject].model.model_json_schema()
    if os.environ.get("SUNMOON_FREEZE_CONTRACTS") and "schema" not in sample:
        sample["schema"] = schema
        (SAMPLES / f"{subject}.json").write_text(json.dumps(sample, ensure_ascii=False, indent=2) + "\n",
                                                encoding="utf-8")
    frozen = sample["schema"]
    new_required = set(schema.get("required", [])) - set(frozen.get("required", []))
    assert not new_required, f"{subject}: new required field(s) {new_required} break old producers"
    for name, spec in frozen["properties"].items():
        assert name in schema["properties"], f"{subject}: field {name!r} removed"
        now = schema["properties"][name]
        for key in ("type", "format", "anyOf", "enum"):
            assert now.get(key) == spec.get(key), f"{subject}: field {name!r} changed its {key}"


def test_every_subject_follows_the_naming_rule():
    for subject, spec in REGISTRY.items():
        producer, entity, event, version = subject.split(".")
        assert version.startswith("v") and version[1:].isdigit(), subject
        assert spec.producer == producer and "-" not in entity + event
