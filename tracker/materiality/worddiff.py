"""Word-level diff of a modified clause: changed ranges and the inserted and deleted words.

List renumbering and date-only edits are not counted as changes.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Sequence

from policywatch.tracker import lexicon
from policywatch.tracker.classify import Signal, fold_text, sentence_spans
from policywatch.tracker.materiality.signals import _DATE_EDIT_WORDS, _NUMBERING_WORDS, _STOPWORDS, _WORD, _cosmetic_equal


@dataclass(frozen=True)
class _WordDiff:
    """Where two versions of a clause differ, as character ranges and words."""

    old_ranges: tuple[tuple[int, int], ...]
    new_ranges: tuple[tuple[int, int], ...]
    inserted: tuple[str, ...]
    deleted: tuple[str, ...]

def _word_tokens(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Normalised words and their character spans (punctuation and case ignored)."""
    masked = lexicon.MARKUP.sub(lambda m: " " * len(m.group(0)), fold_text(text))
    words, spans = [], []
    for m in _WORD.finditer(masked):
        words.append(m.group(0).replace("'", "").replace("-", ""))
        spans.append(m.span())
    return words, spans


def _word_diff(old: str, new: str) -> _WordDiff:
    """Word-level diff (difflib on word lists is enough at clause scale)."""
    a, a_spans = _word_tokens(old)
    b, b_spans = _word_tokens(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    old_ranges, new_ranges, inserted, deleted = [], [], [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (
            _renumbering(a[i1:i2], b[j1:j2], i2, j2)
            and _marker_like(old, a_spans[i1:i2]) and _marker_like(new, b_spans[j1:j2])
        ) or _spelling_variant(a[i1:i2], b[j1:j2]):
            continue
        old_ranges.append(_span_of(a_spans, i1, i2, len(old)))
        new_ranges.append(_span_of(b_spans, j1, j2, len(new)))
        deleted += a[i1:i2]
        inserted += b[j1:j2]
    if len(deleted) + len(inserted) <= _DATE_EDIT_WORDS and _only_dates(deleted, inserted, old, new):
        return _WordDiff((), (), (), ())
    return _WordDiff(tuple(old_ranges), tuple(new_ranges), tuple(inserted), tuple(deleted))


_COMPANY_SUFFIXES = frozenset({"inc", "llc", "ltd", "limited", "corp", "corporation", "gmbh", "plc", "sa", "sarl", "bv", "co", "ag"})


def _spelling_variant(deleted: list[str], inserted: list[str]) -> bool:
    """Hyphenation or spacing variants ("third-party" / "third party", "e-mail" / "email",
    "sign-in" / "sign in") and a company suffix alone (", Inc.") are not changes of wording."""
    if not deleted and not inserted:
        return False
    if deleted and inserted and "".join(deleted) == "".join(inserted):
        return True
    only = deleted or inserted
    return not (deleted and inserted) and all(w in _COMPANY_SUFFIXES for w in only) and len(only) <= 2


def _renumbering(deleted: list[str], inserted: list[str], old_end: int, new_end: int) -> bool:
    """A list or section number at the start of a clause ("3. [3. Updates]" -> "5. [3. Updates]")."""
    words = deleted + inserted
    return bool(words) and old_end <= _NUMBERING_WORDS and new_end <= _NUMBERING_WORDS and all(
        w.isdigit() and len(w) <= 3 for w in words
    )


def _marker_like(text: str, spans: Sequence[tuple[int, int]]) -> bool:
    """Numbers written as list markers: followed by '.', ')' or an escaped '\\.'."""
    return all(text[end:end + 1] in (".", ")", "\\") for _, end in spans)


def _only_dates(deleted: list[str], inserted: list[str], old: str, new: str) -> bool:
    from policywatch.tracker.normalize import neutralize_dates

    return bool(deleted or inserted) and _cosmetic_equal(neutralize_dates(old), neutralize_dates(new))


def _span_of(spans: list[tuple[int, int]], i1: int, i2: int, length: int) -> tuple[int, int]:
    """Character range of words i1..i2; an empty range sits where the insertion happened."""
    if i1 < i2:
        return (spans[i1][0], spans[i2 - 1][1])
    pos = spans[i1][0] if i1 < len(spans) else length
    return (pos, pos)


def _changed_sentences(text: str, ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences touched by the changed ranges (a pure insertion touches its sentence)."""
    out = []
    for start, end in sentence_spans(fold_text(text)):
        if any(r0 <= end and r1 >= start for r0, r1 in ranges):
            out.append((start, end))
    return out


def _content_words(text: str) -> int:
    """Words that carry meaning (not stopwords, not numbers) in a stretch of text."""
    return sum(1 for w in _WORD.findall(fold_text(text)) if w not in _STOPWORDS and not w.isdigit())


def _overlaps(span: tuple[int, int], ranges: Sequence[tuple[int, int]]) -> bool:
    return any(r0 < span[1] and span[0] < r1 for r0, r1 in ranges)


def _in_ranges(signals: Sequence[Signal], ranges: Sequence[tuple[int, int]]) -> list[Signal]:
    return [s for s in signals if any(r0 <= s.span[0] < r1 or (r0 == r1 == s.span[0]) for r0, r1 in ranges)]
