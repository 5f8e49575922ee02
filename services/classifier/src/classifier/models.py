"""Which trained model classifies: the packaged base model, model versions in the database, hot swap.

The repository ships ``model/base.npz``, trained on the project's corpus by
``python -m classifier build-model`` (a test checks it matches the corpus). At its first
start the service stores it as the first version in ``model_versions`` and activates it.
``retrain`` adds versions trained on the corpus plus the officers' corrections; the service
checks every few seconds which version is active and loads it when it changed.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import Any

import asyncpg

from sunmoon.logging import get_logger

from . import domain
from .taxonomy import TYPES
from .textmodel import Prediction, TextModel

log = get_logger(__name__)
PACKAGED_PATH = Path(__file__).resolve().parent / "model" / "base.npz"


class ModelMissing(RuntimeError):
    pass


@functools.lru_cache(maxsize=1)
def packaged() -> TextModel:
    if not PACKAGED_PATH.exists():
        raise ModelMissing(f"{PACKAGED_PATH} is missing: build it with `python -m classifier build-model`")
    return TextModel.from_bytes(PACKAGED_PATH.read_bytes())


def to_classification(p: Prediction, version: str) -> domain.Classification:
    """The model's answer in the shape the API, the handler and the CLI share."""
    return domain.Classification(
        type=p.type, urgency=p.urgency, department=TYPES[p.type].department, confidence=round(p.confidence, 3),
        type_terms=p.type_terms, urgency_terms=p.urgency_cues, scores=p.probabilities, model_version=version,
        needs_review=p.needs_review, candidates=tuple((t, round(x, 3)) for t, x in p.top(3)),
    )


def classify(model: TextModel, text: str) -> domain.Classification:
    return to_classification(model.predict(text), model.version)


# -- versions in the database ---------------------------------------------------------------
async def store_version(conn: asyncpg.Connection, model: TextModel, *, scores: dict[str, Any],
                        n_corrections: int = 0, activate: bool, note: str | None = None) -> bool:
    """Insert a model version (False if that version exists); make it the active one if asked."""
    inserted = await conn.fetchval(
        "INSERT INTO model_versions (version, data_hash, n_examples, n_corrections, scores, artifact, note)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (version) DO NOTHING RETURNING true",
        model.version, model.meta.get("data_hash", ""), int(model.meta.get("n_examples", 0)), n_corrections,
        scores, model.to_bytes(), note)
    if activate:
        await activate_version(conn, model.version)
    return bool(inserted)


async def activate_version(conn: asyncpg.Connection, version: str) -> None:
    async with conn.transaction():
        exists = await conn.fetchval("SELECT true FROM model_versions WHERE version = $1", version)
        if not exists:
            raise KeyError(version)
        await conn.execute("UPDATE model_versions SET active = false WHERE active AND version <> $1", version)
        await conn.execute("UPDATE model_versions SET active = true, activated_at = now()"
                           " WHERE version = $1 AND NOT active", version)


async def ensure_active(conn: asyncpg.Connection) -> str:
    """The active version; the packaged base model becomes the first one when there is none."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('classifier.model_versions'))")
        version = await conn.fetchval("SELECT version FROM model_versions WHERE active")
        if version:
            return version
        base = packaged()
        await store_version(conn, base, scores=base.meta.get("scores", {}), activate=True,
                            note="packaged base model (corpus only)")
        log.info("packaged base model stored and activated", version=base.version)
        return base.version


async def load_version(conn: asyncpg.Connection | asyncpg.Pool, version: str) -> TextModel:
    if version == packaged().version:
        return packaged()
    artifact = await conn.fetchval("SELECT artifact FROM model_versions WHERE version = $1", version)
    if artifact is None:
        raise KeyError(version)
    return TextModel.from_bytes(bytes(artifact))


class ActiveModel:
    """The model this process classifies with; follows the active version in the database."""

    def __init__(self, refresh_seconds: float = 5.0) -> None:
        self.model: TextModel = packaged()
        self.refresh_seconds = refresh_seconds
        self._checked = False

    async def current(self, conn: asyncpg.Connection) -> TextModel:
        """The model to use now; the first call looks up the active version itself, so no
        complaint is classified by the packaged model while a retrained one is active."""
        if not self._checked:
            version = await conn.fetchval("SELECT version FROM model_versions WHERE active")
            if version and version != self.model.version:
                self.model = await load_version(conn, version)
            self._checked = True
        return self.model

    @property
    def version(self) -> str:
        return self.model.version

    async def refresh(self, pool: asyncpg.Pool) -> bool:
        """Load the active version if it is not the one in use; True when it changed."""
        async with pool.acquire() as conn:
            version = await ensure_active(conn)
            if version == self.model.version:
                return False
            model = await load_version(conn, version)
        previous, self.model = self.model.version, model
        self._checked = True
        log.info("model version loaded", version=version, previous=previous)
        return True

    async def run(self, runtime: Any, stop: asyncio.Event) -> None:
        """Background job of the service: follow the active version until stopped."""
        while not stop.is_set():
            try:
                await self.refresh(runtime.pool)
            except Exception as exc:  # noqa: BLE001 - keep classifying with the model in hand
                log.warning("could not check the active model version; keeping the current one",
                            version=self.model.version, error=repr(exc))
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.refresh_seconds)
            except TimeoutError:
                pass
