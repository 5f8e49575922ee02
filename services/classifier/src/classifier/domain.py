"""The classifier's pure rules: model ``lexicon-1``. No I/O here.

A complaint is normalised (NFKC, lower case, punctuation dropped) and read twice: as
words, and as one string with every space removed, so that spacing does not matter
("가로등이 안 들어와요" = "가로등이안들어와요"). Each type collects the weights of its
lexicon terms found in the text; where matches overlap the longest wins, so a place noun
does not count as the stronger term inside it. The type with the highest score wins; its
department comes from the taxonomy table. Urgency starts at the type's default and is
moved by cues in the text. Confidence is honest: it grows with the evidence for the
winner and shrinks when another type has evidence too; with no evidence at all the
complaint is "other" with a confidence of 0.1.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from . import lexicon, urgency_cues
from .taxonomy import TYPES, URGENCY_ORDER

MODEL_VERSION = "lexicon-1"
MAX_TEXT_CHARS = 5000  # the longest description intake accepts
MIN_EVIDENCE = 1.0  # a type needs at least this score to be chosen at all
NO_EVIDENCE_CONFIDENCE = 0.1
MAX_CONFIDENCE = 0.95  # a lexicon is never certain
STRENGTH_HALF = 2.0  # the score at which evidence counts as "half convincing"

_DROP = re.compile(r"[^0-9a-z가-힣]+")
_NEGATION = re.compile(urgency_cues.NEGATION_AFTER)


@dataclass(frozen=True)
class Text:
    """A complaint as the rules read it."""

    compact: str  # no spaces, no punctuation
    words: tuple[str, ...]
    offsets: tuple[int, ...]  # where each word starts in ``compact``


def normalise(text: str) -> Text:
    """NFKC, lower case, punctuation and symbols dropped; only the first MAX_TEXT_CHARS characters are read."""
    cleaned = _DROP.sub(" ", unicodedata.normalize("NFKC", text[:MAX_TEXT_CHARS]).lower())
    words = tuple(cleaned.split())
    offsets, at = [], 0
    for w in words:
        offsets.append(at)
        at += len(w)
    return Text("".join(words), words, tuple(offsets))


# -- compiled lexicon -----------------------------------------------------------------------
def _alternation(pattern: str) -> str:
    """Plain ``a|b|c`` lists are tried longest first (regex alternation takes the first that fits)."""
    if "(" in pattern:
        return pattern
    return "|".join(sorted(pattern.split("|"), key=len, reverse=True))


_PARTICLE = re.compile(lexicon.PARTICLES)


@dataclass(frozen=True)
class _Term:
    type: str
    key: int  # one entry counts once
    weight: float
    regex: re.Pattern[str] | None  # matched inside the compact text
    words: tuple[str, ...] = ()  # or: whole words, each optionally followed by a particle

    def word_match(self, word: str) -> str | None:
        for stem in self.words:
            if word.startswith(stem) and _PARTICLE.fullmatch(word[len(stem):]):
                return stem
        return None


def _compile_terms() -> tuple[_Term, ...]:
    terms, key = [], 0
    for type_, entries in lexicon.TERMS.items():
        for pattern, weight in entries:
            key += 1
            if pattern.startswith("@"):
                terms.append(_Term(type_, key, weight, None, tuple(_alternation(pattern[1:]).split("|"))))
            else:
                terms.append(_Term(type_, key, weight, re.compile(_alternation(pattern))))
    return tuple(terms)


_TERMS = _compile_terms()
_COMBOS = tuple((t, re.compile(p), w) for t, p, w in lexicon.COMBOS)
_URGENT = tuple((re.compile(p), types, re.compile(unless) if unless else None)
                for p, types, unless in urgency_cues.URGENT_CUES)
_PUSH_UP = tuple((re.compile(p), types) for p, types in urgency_cues.PUSH_UP)
_NORMAL = {t: re.compile(p) for t, p in urgency_cues.NORMAL_CUES.items()}
_LOW = tuple((re.compile(p), types) for p, types in urgency_cues.LOW_CUES)
if set(lexicon.TERMS) != set(TYPES):  # pragma: no cover - checked at import, and by the tests
    raise RuntimeError("the lexicon must list every complaint type")


# -- evidence -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    type: str
    key: int
    text: str  # the piece of the (compact) text that matched
    weight: float
    start: int
    end: int


def shown(m: re.Match[str]) -> str:
    """How a match is reported: short ones as they are, long co-occurrences as "first…last"."""
    text = m.group(0)
    parts = [g for g in m.groups() if g]
    if len(text) <= 8 or len(parts) < 2:
        return text
    return f"{parts[0]}…{parts[-1]}"


def _inside_one_word(text: Text, start: int, end: int) -> bool:
    return not any(start < at < end for at in text.offsets)


def _plausible(text: Text, start: int, end: int) -> bool:
    """A match of two characters or fewer must lie inside one word: "넘침 수거" is not 침수.
    Longer matches may span spaces (that is the point: "물이 안 나와요" = 물이안나와요)."""
    return end - start > 2 or _inside_one_word(text, start, end)


def find_hits(text: Text) -> list[Hit]:
    """Every lexicon term found, overlaps resolved longest first (then heavier first)."""
    found: list[Hit] = []
    for term in _TERMS:
        if term.regex is None:
            for word, at in zip(text.words, text.offsets):
                stem = term.word_match(word)
                if stem is not None:
                    found.append(Hit(term.type, term.key, stem, term.weight, at, at + len(stem)))
        else:
            found.extend(Hit(term.type, term.key, m.group(0), term.weight, m.start(), m.end())
                         for m in term.regex.finditer(text.compact) if _plausible(text, m.start(), m.end()))
    found.sort(key=lambda h: (-(h.end - h.start), -h.weight, h.start))
    kept: list[Hit] = []
    owner: list[tuple[int, int] | None] = [None] * len(text.compact)  # the span holding each character
    for h in found:
        span = (h.start, h.end)
        if all(owner[i] in (None, span) for i in range(h.start, h.end)):  # the same span may serve two types
            kept.append(h)
            owner[h.start:h.end] = [span] * (h.end - h.start)
    return sorted(kept, key=lambda h: h.start)


def score(text: Text) -> tuple[dict[str, float], dict[str, list[Hit]]]:
    """Score of each type with evidence, and the hits behind it (each entry counted once)."""
    by_type: dict[str, list[Hit]] = {}
    seen: set[int] = set()
    for h in find_hits(text):
        if h.key not in seen:
            seen.add(h.key)
            by_type.setdefault(h.type, []).append(h)
    for i, (type_, regex, weight) in enumerate(_COMBOS):
        m = regex.search(text.compact)
        if m:
            by_type.setdefault(type_, []).append(Hit(type_, -1 - i, shown(m), weight, m.start(), m.end()))
    scores = {t: round(sum(h.weight for h in hits), 2) for t, hits in by_type.items()}
    return scores, by_type


def confidence(scores: dict[str, float], winner: str) -> float:
    """Grows with the winner's evidence, shrinks with the runner-up's; at most 0.95."""
    best = scores.get(winner, 0.0)
    if best < MIN_EVIDENCE:
        return NO_EVIDENCE_CONFIDENCE
    runner_up = max((s for t, s in scores.items() if t != winner), default=0.0)
    strength = best / (best + STRENGTH_HALF)
    dominance = best / (best + runner_up)
    return round(min(MAX_CONFIDENCE, strength * dominance), 2)


def choose_type(scores: dict[str, float], hits: dict[str, list[Hit]]) -> str:
    """Highest score; a tie goes to the type with the heavier single term, then the taxonomy order."""
    order = list(TYPES)
    candidates = [t for t, s in scores.items() if s >= MIN_EVIDENCE]
    if not candidates:
        return "other"
    return max(candidates, key=lambda t: (scores[t], max(h.weight for h in hits[t]), -order.index(t)))


# -- urgency --------------------------------------------------------------------------------
def _cues(regex: re.Pattern[str], text: Text, *, nouns: bool = False) -> list[str]:
    """Matches of ``regex`` that no negation takes back. Hazard cues are mostly nouns (침수, 화재) and
    follow the two-character rule of the lexicon; the other cues are phrases that span spaces (못 빼요)."""
    out = []
    compact = text.compact
    for m in regex.finditer(compact):
        if nouns and not _plausible(text, m.start(), m.end()):
            continue
        after = compact[m.end():m.end() + 6]
        before = compact[m.start() - 1:m.start()] if m.start() else ""
        if not _NEGATION.match(after) and before != "안":
            out.append(shown(m))
    return out


def decide_urgency(type_: str, text: Text) -> tuple[str, list[str]]:
    """The urgency of a complaint of ``type_`` and the cues that decided it.

    Any hazard cue makes it urgent. Otherwise the type's default holds, lowered to "low" by
    a request for improvement or a question (unless a "normal" cue for the type says it is
    a real fault or an obstruction), raised to at least "normal" by such a cue, and raised
    one level by a plain urgency word (위험, 긴급, 다쳤 ...).
    """
    hazards = [c for regex, types, unless in _URGENT
               if (types is None or type_ in types) and not (unless and unless.search(text.compact))
               for c in _cues(regex, text, nouns=True)]
    if hazards:
        return "urgent", _unique(hazards)
    level = URGENCY_ORDER.index(TYPES[type_].default_urgency)
    decided: list[str] = []
    normal = _cues(_NORMAL[type_], text) if type_ in _NORMAL else []
    low = [c for regex, types in _LOW if types is None or type_ in types for c in _cues(regex, text)]
    if normal:
        level = max(level, URGENCY_ORDER.index("normal"))
        decided += normal
    elif low:
        level = URGENCY_ORDER.index("low")
        decided += low
    up = [c for regex, types in _PUSH_UP if types is None or type_ in types for c in _cues(regex, text)]
    if up:
        level = min(level + 1, len(URGENCY_ORDER) - 1)
        decided += up
    return URGENCY_ORDER[level], _unique(decided)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# -- the model ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Classification:
    type: str
    urgency: str
    department: str
    confidence: float
    type_terms: tuple[str, ...]  # the pieces of text that decided the type, strongest first
    urgency_terms: tuple[str, ...]  # the cues that decided the urgency
    scores: dict[str, float] = field(default_factory=dict)  # every type with evidence (lexicon) or probability
    model_version: str = MODEL_VERSION
    needs_review: bool = False  # the model is unsure: the officer is asked to choose
    candidates: tuple[tuple[str, float], ...] = ()  # a trained model's top types with their probabilities

    @property
    def label(self) -> str:
        return TYPES[self.type].label

    @property
    def matched_terms(self) -> list[str]:
        """What the event carries: the type's terms, then the urgency cues not already listed."""
        return _unique([*self.type_terms, *self.urgency_terms])

    def alternatives(self, n: int = 3) -> list[tuple[str, float]]:
        """The runners-up with their scores, best first."""
        if self.candidates:
            return [(t, p) for t, p in self.candidates if t != self.type][:n]
        rest = sorted(((t, s) for t, s in self.scores.items() if t != self.type and s >= MIN_EVIDENCE),
                      key=lambda ts: -ts[1])
        return rest[:n]


def classify(description: str) -> Classification:
    """Type, urgency, department and confidence of one complaint text."""
    text = normalise(description)
    scores, hits = score(text)
    type_ = choose_type(scores, hits)
    terms = [h.text for h in sorted(hits.get(type_, []), key=lambda h: (-h.weight, h.start)) if h.weight >= 1]
    urgency, urgency_terms = decide_urgency(type_, text)
    return Classification(
        type=type_, urgency=urgency, department=TYPES[type_].department,
        confidence=confidence(scores, type_), type_terms=tuple(_unique(terms)),
        urgency_terms=tuple(urgency_terms), scores=scores,
    )
