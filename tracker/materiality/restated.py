"""Is a removed protection restated, or an added practice only reworded, elsewhere in the diff?

A removed protection is offset only by added text that restates *the same*
protection: a sentence with the same signal (same practice, same polarity)
whose content words cover the removed sentence's (same data, same recipient)
and that carves out no new exception or qualifier (no narrower scope). An added
practice is "reworded, not new" only when a removed sentence stating the same
practice covers its content words (no new data type, recipient or purpose).
A phrase match anywhere in the diff is never enough.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from policywatch.tracker import lexicon
from policywatch.tracker.classify import Signal, find_signals, fold_text, sentence_spans
from policywatch.tracker.model import ClauseChange
from policywatch.tracker.materiality.quotes import _clean
from policywatch.tracker.materiality.signals import _STOPWORDS, _WORD

_COVERAGE = 0.6  # share of the judged sentence's content words the restatement must contain
_QUOTE_CHARS = 120
_MIN_PART_WORDS = 3  # a shorter part ("such as") cannot carry the practice: judge the whole sentence


@dataclass(frozen=True)
class Restatement:
    """Where the same statement was found: the other change and its sentence."""

    change: ClauseChange
    ordinal: int | None
    sentence: str

    def describe(self, verb: str) -> str:
        where = f"clause {self.ordinal}" if self.ordinal is not None else "the other version"
        quote = _clean(self.sentence)
        if len(quote) > _QUOTE_CHARS:
            quote = quote[: _QUOTE_CHARS - 3].rsplit(" ", 1)[0] + "..."
        return f'{verb} {where} "{quote}"'


@lru_cache(maxsize=16384)
def _content(sentence: str) -> frozenset[str]:
    """Content words, crudely singularised ("parties" ~ "party" is not needed; "purposes" ~ "purpose" is)."""
    words = set()
    for w in _WORD.findall(fold_text(sentence)):
        w = w.replace("-", "").replace("'", "")
        if w in _STOPWORDS or w.isdigit() or len(w) < 3:
            continue
        words.add(w[:-1] if w.endswith("s") and len(w) > 4 else w)
    return frozenset(words)


def _sentence(text: str, span: tuple[int, int]) -> str:
    for start, end in sentence_spans(fold_text(text)):
        if start <= span[0] <= end:
            return text[start:end]
    return text


_PART_BREAK = re.compile(r"[,;:()\u2014]|\s-\s")


def _part(text: str, span: tuple[int, int]) -> str:
    """The part of the sentence around a signal, between commas, semicolons or brackets:
    "..., not from selling your personal information to third parties" -> the promise itself."""
    sentence = _sentence(text, span)
    offset = text.find(sentence)
    at = span[0] - offset if offset >= 0 else 0
    start = 0
    for m in _PART_BREAK.finditer(sentence):
        if m.end() <= at:
            start = m.end()
        elif m.start() >= at + (span[1] - span[0]):
            part = sentence[start:m.start()]
            return part if len(_content(part)) >= _MIN_PART_WORDS else sentence
    part = sentence[start:]
    return part if len(_content(part)) >= _MIN_PART_WORDS else sentence


def _limits(sentence: str) -> frozenset[str]:
    low = fold_text(sentence)
    found = {m.group(0) for m in lexicon.QUALIFIERS.finditer(low)}
    found |= {m.group(0) for m in lexicon.EXCEPTIONS.finditer(low)}
    return frozenset(found)


class StatementIndex:
    """Sentences of one side of the diff, indexed by the signals they carry."""

    def __init__(self, entries: Iterable[tuple[ClauseChange, int | None, str]]) -> None:
        self._by_key: dict[tuple, list[tuple[ClauseChange, int | None, str]]] = {}
        for change, ordinal, text in entries:
            for s in find_signals(text):
                self._by_key.setdefault(s.key, []).append((change, ordinal, _sentence(text, s.span)))

    def find(
        self, text: str, signals: Sequence[Signal], exclude: ClauseChange, *, no_new_limits: bool
    ) -> Restatement | None:
        """A sentence stating every one of ``signals`` as ``text`` does, covering its words."""
        if not signals:
            return None
        best: tuple[float, Restatement] | None = None
        for sig in signals:
            own = _sentence(text, sig.span)
            words = _content(_part(text, sig.span))
            if not words:
                return None
            found = None
            for change, ordinal, sentence in self._by_key.get(sig.key, ()):
                if change is exclude:
                    continue
                share = len(words & _content(sentence)) / len(words)
                if share < _COVERAGE:
                    continue
                if no_new_limits and _limits(sentence) - _limits(own):
                    continue  # "we do not share ... except with partners": narrower, not the same promise
                if found is None or share > found[0]:
                    found = (share, Restatement(change, ordinal, sentence))
            if found is None:
                return None  # every weighty signal must be restated
            if best is None or found[0] < best[0]:
                best = found
        return best[1] if best else None


def still_stated(old: str, signal: Signal, new: str) -> bool:
    """Does ``new`` (the other version of the same clause) still state ``signal``'s promise?

    Used when a clause states a protection fewer times than before: "a parent can view"
    -> "parents can view" lost nothing, "does not sell or share" -> "does not sell" did.
    """
    words = _content(_part(old, signal.span))
    if not words:
        return False
    own_limits = _limits(_sentence(old, signal.span))
    for s in find_signals(new):
        if s.key != signal.key:
            continue
        sentence = _sentence(new, s.span)
        if len(words & _content(sentence)) / len(words) >= _COVERAGE and not (_limits(sentence) - own_limits):
            return True
    return False


_WORDS_ONLY = re.compile(r"\w+(?:'\w+)*")
_MOVED_MIN_WORDS = 5  # a shorter sentence ("Data.", a bare heading) recurs by chance


def word_key(text: str) -> str:
    """Words only, folded: list markers, emphasis and quote styles do not hide a moved sentence."""
    return " ".join(_WORDS_ONLY.findall(fold_text(text)))


@lru_cache(maxsize=8)
def sentence_keys(doc: str) -> frozenset[str]:
    """The word keys of every sentence of a whole version (cached: one version, many lookups)."""
    return frozenset(word_key(doc[a:b]) for a, b in sentence_spans(doc))


def moved_sentences(clause: str, other_clause: str, phrase: str, other_doc: str) -> bool:
    """Do the sentences of ``clause`` that carry a finding all stand, word for word, in the other version?

    The carrying sentences are those naming the finding's trigger phrase, else
    those the other clause lacks. A list split into items or a paragraph re-cut
    moves sentences between clauses without changing what the policy says.
    """
    if not clause or not other_doc:
        return False
    sentences = [word_key(clause[a:b]) for a, b in sentence_spans(clause)]
    sentences = [w for w in sentences if len(w.split()) >= _MOVED_MIN_WORDS]
    key = word_key(phrase) if phrase else ""
    carrying = [w for w in sentences if key and f" {key} " in f" {w} "]
    if not carrying:
        others = {word_key(other_clause[a:b]) for a, b in sentence_spans(other_clause)} if other_clause else set()
        carrying = [w for w in sentences if w not in others]
    keys = sentence_keys(other_doc)
    return bool(carrying) and all(w in keys for w in carrying)

