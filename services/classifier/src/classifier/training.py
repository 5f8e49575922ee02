"""Training and evaluating the text model (scikit-learn fits it; :mod:`textmodel` predicts).

The corpus is the project's own labelled complaints (``corpus/<type>.csv``: text, category,
urgency), plus the officers' corrections stored in the classifier's database. A fixed fifth
of the corpus (chosen by a hash of the text, so it never moves) is held out: the evaluation
the README reports trains on the rest and scores on that fifth.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .taxonomy import TYPES, URGENCY_ORDER
from .textmodel import TYPE_CODES, TextModel, data_hash, grams, lexicon_features

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
HOLDOUT_BUCKETS = 5  # one bucket in five is held out
DEFAULT_C = 20.0

Row = tuple[str, str, str]  # text, type, urgency ('' when unknown)
Progress = Callable[[str], None]


class CorpusError(ValueError):
    """A training or evaluation file that cannot be used; the message says where and why."""


def read_rows(source: Path | str | io.TextIOBase, *, require_urgency: bool = False) -> tuple[list[Row], bool]:
    """Rows of a UTF-8 CSV with columns text,category[,urgency]. Returns (rows, has_urgency)."""
    name = str(source) if not isinstance(source, io.TextIOBase) else "<input>"
    if isinstance(source, io.TextIOBase):
        text = source.read()
    else:
        try:
            text = Path(source).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CorpusError(f"{name}: no such file") from None
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{name}: not UTF-8 ({exc.reason} at byte {exc.start}); save it as UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    if "text" not in fields or "category" not in fields:
        raise CorpusError(f"{name}: the header must name the columns text,category (and optionally urgency); "
                          f"found {','.join(fields) or 'nothing'}")
    reader.fieldnames = fields
    has_urgency = "urgency" in fields
    if require_urgency and not has_urgency:
        raise CorpusError(f"{name}: training rows need an urgency column")
    rows: list[Row] = []
    for line_no, rec in enumerate(reader, start=2):
        text_, cat = (rec.get("text") or "").strip(), (rec.get("category") or "").strip()
        urg = (rec.get("urgency") or "").strip() if has_urgency else ""
        if not text_:
            raise CorpusError(f"{name}, line {line_no}: empty text")
        if cat not in TYPES:
            raise CorpusError(f"{name}, line {line_no}: unknown category {cat!r}; one of: {', '.join(TYPES)}")
        if has_urgency and urg not in URGENCY_ORDER:
            raise CorpusError(f"{name}, line {line_no}: urgency must be one of urgent, normal, low; got {urg!r}")
        rows.append((text_, cat, urg))
    if not rows:
        raise CorpusError(f"{name}: no rows")
    return rows, has_urgency


def load_corpus(directory: Path = CORPUS_DIR) -> list[Row]:
    files = sorted(directory.glob("*.csv"))
    if not files:
        raise CorpusError(f"no corpus files in {directory}")
    rows: list[Row] = []
    for f in files:
        rows.extend(read_rows(f, require_urgency=True)[0])
    return rows


def is_held_out(text: str) -> bool:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % HOLDOUT_BUCKETS == 0


def split(rows: Sequence[Row]) -> tuple[list[Row], list[Row]]:
    """(training rows, held-out rows)."""
    train = [r for r in rows if not is_held_out(r[0])]
    held = [r for r in rows if is_held_out(r[0])]
    return train, held


# -- training -------------------------------------------------------------------------------
def _design(texts: Sequence[str], vectorizer, *, fit: bool):
    from scipy import sparse

    x = vectorizer.fit_transform(texts) if fit else vectorizer.transform(texts)
    lex = np.vstack([lexicon_features(t) for t in texts])
    return sparse.hstack([x, sparse.csr_matrix(lex)]).tocsr()


def _ordered(clf, classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients in our class order (scikit-learn sorts classes; a class absent from training gets -inf)."""
    coef = np.zeros((len(classes), clf.coef_.shape[1]))
    intercept = np.full(len(classes), -30.0)
    known = list(clf.classes_)
    for i, c in enumerate(classes):
        if c in known:
            j = known.index(c)
            if clf.coef_.shape[0] == 1:  # two classes: scikit-learn keeps one row
                coef[i] = clf.coef_[0] * (1 if j == 1 else -1) / 2
                intercept[i] = clf.intercept_[0] * (1 if j == 1 else -1) / 2
            else:
                coef[i], intercept[i] = clf.coef_[j], clf.intercept_[j]
    return coef, intercept


def _fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of cross-validated scores."""
    best_t, best_nll = 1.0, math.inf
    for t in np.exp(np.linspace(math.log(0.2), math.log(5.0), 61)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nll = -logp[np.arange(len(y)), y].mean()
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def train(rows: Sequence[Row], *, version: str, weights: Sequence[float] | None = None, c: float = DEFAULT_C,
          calibrate: bool = True, progress: Progress | None = None) -> TextModel:
    """Fit the type and urgency models on ``rows``; calibrate by 5-fold cross-validation.

    ``weights`` (one per row, default 1) lets an officer's correction count more than a corpus row.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    say = progress or (lambda _m: None)
    texts = [r[0] for r in rows]
    y = np.array([TYPE_CODES.index(r[1]) for r in rows])
    w = np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=float)
    vectorizer = TfidfVectorizer(analyzer=grams, min_df=2, sublinear_tf=True, dtype=np.float64)
    say(f"features: {len(rows)} complaints")
    x = _design(texts, vectorizer, fit=True)
    say(f"features: {x.shape[1]:,} columns")

    def model() -> LogisticRegression:
        return LogisticRegression(C=c, max_iter=3000)

    temperature = 1.0
    if calibrate and min(np.bincount(y, minlength=len(TYPE_CODES))[np.unique(y)]) >= 5:
        logits = np.zeros((len(rows), len(TYPE_CODES)))
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=7)
        for k, (a, b) in enumerate(folds.split(x, y), start=1):
            say(f"calibration: fold {k}/5")
            clf = model().fit(x[a], y[a], sample_weight=w[a])
            full = np.full((len(b), len(TYPE_CODES)), -30.0)
            full[:, clf.classes_] = clf.decision_function(x[b])
            logits[b] = full
        temperature = _fit_temperature(logits, y)
    say("type model: fitting")
    clf = model().fit(x, np.array([TYPE_CODES[i] for i in y]), sample_weight=w)
    coef, intercept = _ordered(clf, TYPE_CODES)
    labelled = [i for i, r in enumerate(rows) if r[2]]
    say("urgency model: fitting")
    urgencies = np.array([rows[i][2] for i in labelled])
    if len(set(urgencies)) >= 2:
        uclf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(
            x[labelled], urgencies, sample_weight=w[labelled])
        ucoef, uintercept = _ordered(uclf, URGENCY_ORDER)
    else:  # one urgency (or none) in the data: nothing to learn, always that one (or normal)
        only = urgencies[0] if len(urgencies) else "normal"
        ucoef = np.zeros((len(URGENCY_ORDER), x.shape[1]))
        uintercept = np.array([0.0 if u == only else -30.0 for u in URGENCY_ORDER])
    idf = vectorizer.idf_
    return TextModel(
        version=version, vocabulary={g: int(i) for g, i in vectorizer.vocabulary_.items()}, idf=idf,
        coef=coef, intercept=intercept, ucoef=ucoef, uintercept=uintercept, temperature=temperature,
        meta={"data_hash": data_hash(rows), "n_examples": len(rows), "c": c, "features": int(x.shape[1])},
    )


# -- evaluation -----------------------------------------------------------------------------
@dataclass
class Evaluation:
    n: int
    accuracy: float
    macro_f1: float
    urgent_recall: float | None
    urgency_accuracy: float | None
    per_second: float
    p99_ms: float
    ece: float  # expected calibration error of the type probability (10 bins)
    per_type: dict[str, dict[str, float]]
    confusion: list[list[int]]
    labels: list[str]

    def summary(self) -> dict[str, float | int | None]:
        return {"accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4),
                "urgent_recall": None if self.urgent_recall is None else round(self.urgent_recall, 4),
                "n": self.n, "per_second": round(self.per_second, 1)}

    def scores(self) -> dict[str, float | int | None]:
        return {**self.summary(), "urgency_accuracy": self.urgency_accuracy, "p99_ms": round(self.p99_ms, 3),
                "ece": round(self.ece, 4)}


def evaluate(model: TextModel, rows: Sequence[Row], *, has_urgency: bool,
             progress: Callable[[int, int], None] | None = None) -> Evaluation:
    """Classify every row one at a time (as the service does) and score the answers."""
    n = len(rows)
    predicted, conf, urg, times = [], [], [], []
    for i, (text, _cat, _u) in enumerate(rows):
        t0 = time.perf_counter()
        p = model.predict(text)
        times.append(time.perf_counter() - t0)
        predicted.append(p.type)
        conf.append(p.confidence)
        urg.append(p.urgency)
        if progress and (i % 200 == 0 or i == n - 1):
            progress(i + 1, n)
    labels = list(TYPE_CODES)
    index = {t: i for i, t in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    for (_, cat, _u), pred in zip(rows, predicted):
        confusion[index[cat]][index[pred]] += 1
    per_type: dict[str, dict[str, float]] = {}
    f1s = []
    for t, i in index.items():
        tp = confusion[i][i]
        support = sum(confusion[i])
        predicted_n = sum(confusion[r][i] for r in range(len(labels)))
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_type[t] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
        if support:
            f1s.append(f1)
    correct = [cat == pred for (_, cat, _u), pred in zip(rows, predicted)]
    urgent_recall = urgency_accuracy = None
    if has_urgency:
        urgent = [i for i, r in enumerate(rows) if r[2] == "urgent"]
        urgent_recall = sum(urg[i] == "urgent" for i in urgent) / len(urgent) if urgent else None
        urgency_accuracy = sum(u == r[2] for u, r in zip(urg, rows)) / n
    total = sum(times)
    return Evaluation(
        n=n, accuracy=sum(correct) / n, macro_f1=sum(f1s) / len(f1s), urgent_recall=urgent_recall,
        urgency_accuracy=urgency_accuracy, per_second=n / total if total else 0.0,
        p99_ms=float(np.percentile(np.array(times) * 1000, 99)), ece=_ece(conf, correct),
        per_type=per_type, confusion=confusion, labels=labels,
    )


def _ece(confidence: Iterable[float], correct: Iterable[bool], bins: int = 10) -> float:
    conf, ok = np.array(list(confidence)), np.array(list(correct), dtype=float)
    total = 0.0
    for lo in np.linspace(0, 1, bins, endpoint=False):
        sel = (conf > lo) & (conf <= lo + 1 / bins)
        if sel.any():
            total += sel.sum() / len(conf) * abs(conf[sel].mean() - ok[sel].mean())
    return float(total)


def render_report(ev: Evaluation) -> str:
    """Per-type precision/recall and the confusion matrix, as text for a terminal."""
    lines = [f"{'type':<17}{'precision':>10}{'recall':>8}{'f1':>7}{'n':>6}"]
    for t, s in ev.per_type.items():
        if s["support"] or s["precision"]:
            lines.append(f"{t:<17}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['f1']:>7.3f}{int(s['support']):>6}")
    short = [t[:5] for t in ev.labels]
    lines += ["", "confusion matrix (rows: true type, columns: predicted)",
              " " * 17 + "".join(f"{s:>6}" for s in short)]
    for t, row in zip(ev.labels, ev.confusion):
        if sum(row):
            lines.append(f"{t:<17}" + "".join(f"{v if v else '.':>6}" for v in row))
    lines.append("")
    lines.append(f"accuracy {ev.accuracy:.3f}  macro-F1 {ev.macro_f1:.3f}  "
                 + (f"urgent recall {ev.urgent_recall:.3f}  " if ev.urgent_recall is not None else "")
                 + f"{ev.per_second:,.0f} classifications/s (one core)  p99 {ev.p99_ms:.2f} ms  ECE {ev.ece:.3f}")
    return "\n".join(lines)
