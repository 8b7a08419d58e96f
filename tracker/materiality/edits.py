"""Exact reasons for a modified clause: the words inserted or deleted, quoted in their sentence.

"'or share' removed from: We do not 'sell' or 'share' ...", never a bag of
normalised words. The word diff gives character ranges in both versions; the
range that touches the trigger's sentence is quoted from the original text.
"""
from __future__ import annotations

import re

from policywatch.tracker.classify import Signal
from policywatch.tracker.materiality.quotes import _clean, _sentence_around, _sentence_span, _short
from policywatch.tracker.materiality.worddiff import _WordDiff

_EDIT_CHARS = 90  # longer insertions are cut: the sentence quoted after them shows the rest
_SENTENCE_CHARS = 240
_REWRITTEN_CHARS = 160
_REWRITTEN_SHARE = 0.5  # past this share of a sentence's words changed on both sides, quote both sentences
_WORD = re.compile(r"\w+")


def _cut(text: str) -> str:
    text = _clean(text)
    return text if len(text) <= _EDIT_CHARS else text[: _EDIT_CHARS - 3].rsplit(" ", 1)[0] + "..."


def _close_quote(text: str, start: int, end: int) -> int:
    """Take in a closing quote mark the word range stopped before ("or 'share" -> "or 'share'")."""
    piece = text[start:end]
    for mark in ("'", '"', "\u2019", "\u201d"):
        opening = {"\u2019": "\u2018", "\u201d": "\u201c"}.get(mark, mark)
        unbalanced = piece.count(mark) % 2 == 1 if opening == mark else piece.count(opening) > piece.count(mark)
        if text[end:end + 1] == mark and unbalanced:
            return end + 1
    return end


def edit_in_sentence(old: str, new: str, diff: _WordDiff, side: str, span: tuple[int, int] | None) -> tuple[str, str]:
    """('"X" removed from: "sentence"', sentence): the edit nearest ``span`` on ``side`` ("old"/"new")."""
    pairs = list(zip(diff.old_ranges, diff.new_ranges))
    if not pairs:
        return f'"{_short(new)}"', _clean(new)
    at = span[0] if span else 0

    def distance(pair: tuple[tuple[int, int], tuple[int, int]]) -> int:
        r0, r1 = pair[0] if side == "old" else pair[1]
        return 0 if r0 <= at <= r1 else min(abs(at - r0), abs(at - r1))

    (o0, o1), (n0, n1) = min(pairs, key=distance) if span else pairs[0]
    o1, n1 = _close_quote(old, o0, o1), _close_quote(new, n0, n1)
    deleted, inserted = old[o0:o1].strip(), new[n0:n1].strip()
    if deleted and inserted:
        rewritten = _rewritten_sentences(old, new, diff, (o0, o1), (n0, n1))
        if rewritten:
            before, after = rewritten
            return f'"{_short(before, _REWRITTEN_CHARS)}" rewritten as: "{_short(after, _SENTENCE_CHARS)}"', _clean(after)
    if deleted and not inserted:
        sentence = _sentence_around(old, (o0, o1))
        edit = f'"{_cut(deleted)}" removed from'
    else:
        sentence = _sentence_around(new, (n0, n1))
        edit = f'"{_cut(deleted)}" -> "{_cut(inserted)}" in' if deleted else f'"{_cut(inserted)}" added to'
    return f'{edit}: "{_short(sentence, _SENTENCE_CHARS)}"', _clean(sentence)


def _rewritten_sentences(
    old: str, new: str, diff: _WordDiff, old_range: tuple[int, int], new_range: tuple[int, int]
) -> tuple[str, str] | None:
    """(old sentence, new sentence) when most words of both changed: the sentence was rewritten,
    and quoting the few words the diff happened to pair ("Zoom" -> "to the") would misdescribe it."""
    before = _sentence_span(old, old_range[0])
    after = _sentence_span(new, new_range[0])
    if _changed_share(old, before, diff.old_ranges) <= _REWRITTEN_SHARE or _changed_share(new, after, diff.new_ranges) <= _REWRITTEN_SHARE:
        return None
    return old[before[0]:before[1]], new[after[0]:after[1]]


def _changed_share(text: str, span: tuple[int, int], ranges: tuple[tuple[int, int], ...]) -> float:
    words = list(_WORD.finditer(text, span[0], span[1]))
    if not words:
        return 0.0
    changed = sum(1 for w in words if any(r0 <= w.start() < r1 for r0, r1 in ranges))
    return changed / len(words)


def edit_reason(
    old: str, new: str, diff: _WordDiff, side: str, signal: Signal | None, what: str
) -> tuple[str, str]:
    """A full reason and its quote: 'Changed: "X" removed from: "..." (sharing: protection removed; "share").'"""
    edit, quote = edit_in_sentence(old, new, diff, side, signal.span if signal else None)
    trigger = f'; "{signal.phrase}"' if signal else ""
    if signal:
        label = signal.category.replace("_", " ")
        what = what if what.startswith(label) else f"{label}: {what}"
    return f"Changed: {edit} ({what}{trigger}).", quote
