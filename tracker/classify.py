"""Clause -> data-practice categories, with the evidence that triggered them.

A transparent engine on purpose: every category comes from a phrase in
``tracker.lexicon`` that matched, so a reason can quote it and a reviewer can
see why. Each match (a ``Signal``) also records whether the phrase is negated
("we do not sell"), framed as a user choice ("opt out of the sale"), and its
modality ("may share" vs "will share"): materiality compares these between
versions. Results are cached by text because the same clause is classified for
segmenting, aligning and judging, and policies repeat clauses across versions.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from policywatch.tracker import lexicon
from policywatch.tracker.model import CATEGORIES

__all__ = ["Signal", "classify_text", "find_signals", "sentence_spans", "fold_text"]

EXPOSING = "exposing"  # the text says data is collected/shared/kept/used (or a right is denied)
PROTECTIVE = "protective"  # the text grants a right, limits or negates a practice
NEUTRAL = "info"  # contact details, notices of change

_ABBREVIATION = re.compile(r"(?i)\b(?:e\.g|i\.e|etc|inc|ltd|co|corp|no|nos|vs|approx|incl|u\.s|u\.k|mr|ms|dr|st|art|sec|para)\.$")
_EXCEPTION = re.compile(r"\b(?:unless|except)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
_FOR_OBJECT = re.compile(r"\s+(?:[\w'-]+\s+){0,5}?for\b")  # "share [personal data] for": the act's own purpose
_NEGATION_WINDOW = 250  # characters looked back for "not"/"never" inside one sentence
_CATEGORY_ORDER = {c: i for i, c in enumerate(CATEGORIES)}
# Protections whose negation means the protection is denied ("you cannot delete").
_FLIPPABLE_PROTECTIONS = frozenset({"user_rights", "security"})


@dataclass(frozen=True)
class Signal:
    """One phrase of a clause that signals a category.

    ``polarity`` is EXPOSING, PROTECTIVE or NEUTRAL after negation and choice
    framing were applied; ``modality`` is "may", "will" or "does".
    """

    category: str
    label: str
    phrase: str
    span: tuple[int, int]
    negated: bool
    modality: str
    polarity: str
    risk: str
    kind: str

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity used to compare two versions: what, and which way."""
        return (self.category, self.label, self.polarity)


def fold_text(text: str) -> str:
    """Lowercase and unify apostrophes without changing offsets (spans stay valid)."""
    low = text.lower()
    if len(low) != len(text):  # a few characters (e.g. "İ") grow when lowercased
        low = "".join(ch.lower()[0] for ch in text)
    return low.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")


@lru_cache(maxsize=8192)
def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence boundaries as (start, end) offsets: negation never crosses them."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if "\n" not in m.group(0) and _ABBREVIATION.search(text, max(0, m.start() - 8), m.start()):
            continue  # "e.g. invoices", "Inc. and": not a sentence end
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return tuple(spans) or ((0, len(text)),)


def _sentence_of(spans: tuple[tuple[int, int], ...], pos: int) -> tuple[int, int]:
    starts = [s for s, _ in spans]
    i = max(0, bisect.bisect_right(starts, pos) - 1)
    return spans[i]


def _lead_in(low: str, sent_start: int, pos: int) -> str:
    """The words before a match in the same sentence part (after the last break)."""
    window = low[max(sent_start, pos - _NEGATION_WINDOW):pos]
    last = None
    for last in lexicon.CLAUSE_BREAK.finditer(window):
        pass
    return window[last.end():] if last else window


def _negated(lead: str, kind: str, category: str) -> bool:
    """A bare "not" right before the phrase, or a negated verb before it that governs its category.

    A protection is only denied by a negation right before it ("you cannot delete",
    "will not be able to opt out"); "we will not discriminate against you for
    exercising your rights" does not deny the rights.
    """
    words = lead.split()
    if kind == lexicon.PROTECTION:
        return bool(lexicon.NEGATION.search(" ".join(words[-lexicon.PROTECTION_NEGATION_WORDS:])))
    if lexicon.NEGATION.search(" ".join(words[-lexicon.NEGATION_WORDS:])):
        return True
    for m in lexicon.NEGATED_VERB.finditer(lead):
        if category in lexicon.NEGATED_VERB_REACH.get(m.group(1), ()):
            return True
        if category == "purpose" and _FOR_OBJECT.match(lead, m.end()):
            return True  # "we do not share data for advertising": the purpose of the denied act is denied
    return any(category in lexicon.NEGATED_VERB_REACH.get(lexicon.FROM_VERBS[m.group(1)], ())
               for m in lexicon.NEGATED_FROM.finditer(lead))


def _polarity(entry: lexicon.Entry, negated: bool, choice: bool) -> str:
    if entry.kind == lexicon.INFO:
        return NEUTRAL
    if entry.kind == lexicon.PRACTICE:
        return PROTECTIVE if (negated or choice) else EXPOSING
    if negated and entry.category in _FLIPPABLE_PROTECTIONS:
        return EXPOSING
    return PROTECTIVE


def _modality(lead: str) -> str:
    if lexicon.MAY.search(lead):
        return "may"
    if lexicon.WILL.search(lead):
        return "will"
    return "does"


@lru_cache(maxsize=16384)
def _signals_cached(text: str, anchored: bool = True) -> tuple[Signal, ...]:
    """All signals of one text; ``anchored=False`` skips the substring pre-check (for tests)."""
    low = fold_text(text)
    spans = sentence_spans(low)
    found: list[Signal] = []
    present = frozenset(filter(low.__contains__, lexicon.ALL_ANCHORS)) if anchored else frozenset()
    for entry in lexicon.ENTRIES:
        if anchored and entry.anchors and present.isdisjoint(entry.anchors):
            continue
        for m in entry.pattern.finditer(low):
            s_start, s_end = _sentence_of(spans, m.start())
            if entry.context is not None:
                lo, hi = (max(s_start, m.start() - lexicon.CONTEXT_BEFORE), min(s_end, m.end() + lexicon.CONTEXT_AFTER)) \
                    if entry.near else (s_start, s_end)
                if not entry.context.search(low, lo, hi):
                    continue
            lead = _lead_in(low, s_start, m.start())
            negated = _negated(lead, entry.kind, entry.category)
            choice = bool(lexicon.CHOICE.search(lead))
            found.append(
                Signal(
                    category=entry.category,
                    label=entry.label,
                    phrase=text[m.start():m.end()],
                    span=(m.start(), m.end()),
                    negated=negated,
                    modality=_modality(lead),
                    polarity=_polarity(entry, negated, choice),
                    risk=entry.risk,
                    kind=entry.kind,
                )
            )
    found.sort(key=lambda s: s.span)
    return tuple(_exceptions_inherit(low, spans, _shared_negation(found)))


def _shared_negation(found: list[Signal]) -> list[Signal]:
    """One phrase, one negation: practice readings of the same words share it.

    "We do not sell or share data for Targeted Advertising": the words
    "Targeted Advertising" read as a sale (reached by the negated "sell") and as
    an advertising purpose (which "sell" does not reach on its own). The words
    are negated once, so every practice reading of them is.
    """
    negated = [s.span for s in found if s.kind == lexicon.PRACTICE and s.negated]
    if not negated:
        return found
    return [
        replace(s, negated=True, polarity=PROTECTIVE)
        if s.kind == lexicon.PRACTICE and not s.negated and any(a < s.span[1] and s.span[0] < b for a, b in negated)
        else s
        for s in found
    ]


def _exceptions_inherit(low: str, spans: tuple[tuple[int, int], ...], found: list[Signal]) -> list[Signal]:
    """'We do not access X unless ... X was generated': the second X scopes the exception.

    After "unless"/"except", a phrase that repeats a practice the same sentence
    negated keeps the protective polarity; a new phrase there (a new exception,
    "except with advertisers") stays exposing.
    """
    out = list(found)
    for i, sig in enumerate(found):
        if sig.polarity != EXPOSING or sig.kind != lexicon.PRACTICE:
            continue
        s_start, _ = _sentence_of(spans, sig.span[0])
        m = None
        for m in _EXCEPTION.finditer(low, s_start, sig.span[0]):
            break
        if m is None:
            continue
        if any(o.polarity == PROTECTIVE and (o.category, o.label) == (sig.category, sig.label)
               and s_start <= o.span[0] < m.start() for o in found):
            out[i] = replace(sig, polarity=PROTECTIVE)
    return out


def find_signals(text: str) -> list[Signal]:
    """Every lexicon phrase found in ``text``, in text order, with its polarity."""
    return list(_signals_cached(text or ""))


def order_categories(categories: set[str] | frozenset[str] | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Categories in the fixed CATEGORIES order (the contract's ordering)."""
    return tuple(sorted(set(categories), key=lambda c: _CATEGORY_ORDER.get(c, len(CATEGORIES))))


@lru_cache(maxsize=16384)
def classify_text(text: str) -> tuple[str, ...]:
    """The clause's data-practice categories, in CATEGORIES order (empty if none)."""
    return order_categories({s.category for s in _signals_cached(text or "")})
