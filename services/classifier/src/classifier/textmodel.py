"""The trained text model: Korean character n-grams and lexicon evidence into a linear model.

Features (all from :func:`features`, the same at training and at run time):

* ``w:`` character 1-3-grams inside each word, the word padded with ``<`` ``>``;
* ``c:`` character 2-4-grams of the text with every space removed, so spacing errors
  ("가로등이안켜져요") read like the well-spaced text;
* ``n:`` character 2-3-grams of the spaceless text with each syllable's final consonant
  dropped, so the commonest Korean typos (막혓/막혔, 잇어요/있어요) still match;
* ``L:`` the hand-written lexicon's score for each type (``lexicon-1``), squashed to 0..1,
  so the words an experienced officer would look for count even in phrasing the corpus lacks.

The n-grams are weighted TF-IDF (sublinear tf, l2-normalised) and fed, with the lexicon
features, to a multinomial logistic regression for the type and another for the urgency
(scikit-learn trains them; prediction is a few numpy lines here, so the saved model is plain
arrays, never a pickle). The type's probabilities are calibrated by temperature scaling,
fitted on cross-validated scores. Urgency is the learned model's answer, raised to urgent
when a plain hazard cue is in the text (``urgency_cues``), so an urgent complaint that says
so plainly is never missed.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import domain
from .taxonomy import TYPES, URGENCY_ORDER

TYPE_CODES: tuple[str, ...] = tuple(TYPES)
MODEL_CHARS = 1500  # a rant's first 1,500 characters say what it is about
REVIEW_THRESHOLD = 0.45  # below this probability the officer is asked to choose
URGENT_THRESHOLD = 0.25  # P(urgent) at which the learned model calls a complaint urgent (recall first)
_TAGS = re.compile(r"<[^>]{0,200}>")
_KEEP = re.compile(r"[^0-9a-z가-힣ㄱ-ㅎㅏ-ㅣ ]+")
_HANGUL_BASE, _HANGUL_LAST = 0xAC00, 0xD7A3


def clean(text: str) -> str:
    """NFKC, HTML tags and control characters out, lower case, symbols to spaces, at most MODEL_CHARS."""
    text = unicodedata.normalize("NFKC", text[: MODEL_CHARS * 2])
    text = _TAGS.sub(" ", text)
    return " ".join(_KEEP.sub(" ", text.lower()).split())[:MODEL_CHARS]


_NO_FINAL = {chr(c): chr(c - (c - _HANGUL_BASE) % 28) for c in range(_HANGUL_BASE, _HANGUL_LAST + 1)}


def _drop_final(s: str) -> str:
    """Each Hangul syllable without its final consonant (받침): 막혔 -> 마혀."""
    return "".join([_NO_FINAL.get(ch, ch) for ch in s])


def grams(text: str) -> list[str]:
    """The n-gram features of one complaint (see the module docstring)."""
    cleaned = clean(text)
    out: list[str] = []
    for word in cleaned.split():
        w = f"<{word}>"
        n = len(w)
        out += ["w:" + w[i:i + 3] for i in range(n - 2)]
        out += ["w:" + w[i:i + 2] for i in range(n - 1)]
    compact = cleaned.replace(" ", "")
    n = len(compact)
    for k in (2, 3, 4):
        out += ["c:" + compact[i:i + k] for i in range(n - k + 1)]
    loose = _drop_final(compact)
    out += ["n:" + loose[i:i + 3] for i in range(n - 2)]
    return out


def lexicon_features(text: str, scores: dict[str, float] | None = None) -> np.ndarray:
    """The lexicon's evidence for each type, squashed to 0..1 (score / (score + 2))."""
    if scores is None:
        scores, _hits = domain.score(domain.normalise(text))
    vec = np.zeros(len(TYPE_CODES), dtype=np.float64)
    for i, t in enumerate(TYPE_CODES):
        s = scores.get(t, 0.0)
        if s > 0:
            vec[i] = s / (s + 2.0)
    return vec


def data_hash(rows: Sequence[tuple[str, str, str]]) -> str:
    """SHA-256 of the training rows (text, type, urgency), order-independent."""
    h = hashlib.sha256()
    for line in sorted("\x1f".join(r) for r in rows):
        h.update(line.encode())
        h.update(b"\x1e")
    return h.hexdigest()


@dataclass(frozen=True)
class Prediction:
    type: str
    confidence: float  # calibrated probability of ``type``
    probabilities: dict[str, float]  # every type
    urgency: str
    urgency_probabilities: dict[str, float]
    urgency_cues: tuple[str, ...]
    type_terms: tuple[str, ...]
    needs_review: bool

    def top(self, n: int = 3) -> list[tuple[str, float]]:
        return sorted(self.probabilities.items(), key=lambda kv: -kv[1])[:n]


@dataclass
class TextModel:
    version: str
    vocabulary: dict[str, int]
    idf: np.ndarray  # (V,)
    coef: np.ndarray  # (15, V + 15): n-grams, then lexicon features
    intercept: np.ndarray  # (15,)
    ucoef: np.ndarray  # (3, V + 15)
    uintercept: np.ndarray  # (3,)
    temperature: float = 1.0
    meta: dict[str, Any] = field(default_factory=dict)

    # -- prediction -----------------------------------------------------------------------
    def _vector(self, text: str, scores: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        vocab = self.vocabulary
        found = [(vocab[g], c) for g, c in Counter(grams(text)).items() if g in vocab]
        idx = np.array([i for i, _ in found], dtype=np.int64)
        vals = np.log(np.array([c for _, c in found], dtype=np.float64)) + 1.0
        if found:
            vals *= self.idf[idx]
            vals /= np.sqrt(vals @ vals)
        return idx, vals, lexicon_features(text, scores)

    def __post_init__(self) -> None:
        # One (V + 15, 18) matrix, rows gathered per complaint: type scores, then urgency scores.
        v = len(self.idf)
        both = np.vstack([self.coef, self.ucoef])
        self._ngram_w = np.ascontiguousarray(both[:, :v].T)
        self._lex_w = np.ascontiguousarray(both[:, v:].T)
        self._bias = np.concatenate([self.intercept, self.uintercept])

    def raw_scores(self, text: str, scores: dict[str, float]) -> np.ndarray:
        idx, vals, lex = self._vector(text, scores)
        return vals @ self._ngram_w[idx] + lex @ self._lex_w + self._bias

    def predict(self, text: str) -> Prediction:
        norm = domain.normalise(text)
        scores, hits = domain.score(norm)
        z = self.raw_scores(text, scores)
        k = len(TYPE_CODES)
        p = _softmax(z[:k] / self.temperature)
        best = int(np.argmax(p))
        evidence = bool(clean(text)) and (z is not None) and self._has_evidence(text, scores)
        if not evidence:  # blank, symbols only, or nothing the model has ever seen: other, for review
            best = TYPE_CODES.index("other")
        type_ = TYPE_CODES[best]
        pu = _softmax(z[k:])
        urgency = URGENCY_ORDER[int(np.argmax(pu))]
        if pu[URGENCY_ORDER.index("urgent")] >= URGENT_THRESHOLD:
            urgency = "urgent"
        ruled, cues = domain.decide_urgency(type_, norm)
        if ruled == "urgent":
            urgency = "urgent"
        terms = tuple(dict.fromkeys(h.text for h in sorted(hits.get(type_, []), key=lambda h: -h.weight)))
        confidence = float(p[best])
        return Prediction(
            type=type_, confidence=round(confidence, 4),
            probabilities={t: round(float(x), 4) for t, x in zip(TYPE_CODES, p)},
            urgency=urgency,
            urgency_probabilities={u: round(float(x), 4) for u, x in zip(URGENCY_ORDER, pu)},
            urgency_cues=tuple(cues) if ruled == urgency else (),
            type_terms=terms, needs_review=confidence < REVIEW_THRESHOLD or not evidence,
        )

    def _has_evidence(self, text: str, scores: dict[str, float]) -> bool:
        """At least a few known n-grams, or a lexicon term: otherwise the text is foreign to the model."""
        if any(v > 0 for v in scores.values()):
            return True
        known = sum(1 for g in set(grams(text)) if g in self.vocabulary and g.startswith("c:"))
        return known >= 3

    # -- storage: plain arrays, no pickle ----------------------------------------------------
    def to_bytes(self) -> bytes:
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        buf = io.BytesIO()
        # float16 weights: half the size, and no decision on the corpus changes (checked when introduced)
        np.savez_compressed(
            buf, vocabulary=np.array(words, dtype=str), idf=self.idf.astype(np.float16),
            coef=self.coef.astype(np.float16), intercept=self.intercept, ucoef=self.ucoef.astype(np.float16),
            uintercept=self.uintercept, temperature=np.array(self.temperature),
            meta=np.array(json.dumps({**self.meta, "version": self.version}, ensure_ascii=False)),
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TextModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            words = z["vocabulary"].tolist()
            return cls(version=meta["version"], vocabulary={w: i for i, w in enumerate(words)},
                       idf=z["idf"].astype(np.float64), coef=z["coef"].astype(np.float64),
                       intercept=z["intercept"].astype(np.float64), ucoef=z["ucoef"].astype(np.float64),
                       uintercept=z["uintercept"].astype(np.float64), temperature=float(z["temperature"]),
                       meta=meta)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()
