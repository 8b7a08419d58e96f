"""Paragraphs re-cut: the same words with other clause boundaries are not a change of substance.

A page re-render, an extractor update or an editor's reflow merges a heading
into the paragraph under it, joins a list item to its lead-in, splits a
paragraph in two, or moves a clause boundary a few words (a sentence splitter
that reads "Platforms, Inc." and "Platforms Inc." differently). The aligner then
sees clauses that "gained" words other clauses "lost". When every word run a
modified clause gained is exactly text that other changes lost (whole removed
clauses, or runs other modified clauses lost), and every run it lost is exactly
text other changes gained, nothing was said or unsaid.
"""
from __future__ import annotations

import difflib
import re
from collections import defaultdict
from typing import Sequence

from policywatch.tracker.model import Clause, ClauseChange
from policywatch.tracker.materiality.worddiff import _word_tokens


def recut_changes(
    changes: Sequence[ClauseChange], old_clauses: Sequence[Clause] = (), new_clauses: Sequence[Clause] = ()
) -> set[int]:
    """``id()`` of every change that is part of a re-cut: all changes between two unchanged
    clauses whose words are the same on both sides, and elsewhere the modified clauses whose
    edits are all explained by words other changes took or gave (with those whole clauses)."""
    return _same_words_between_anchors(changes, old_clauses, new_clauses) | _explained_edits(changes)


def _same_words_between_anchors(
    changes: Sequence[ClauseChange], old_clauses: Sequence[Clause], new_clauses: Sequence[Clause]
) -> set[int]:
    """Between two clauses that did not change, the old and the new clauses say the same words.

    However the aligner paired them, such a stretch was only cut differently.
    Unchanged clauses pair up in order (they are the aligner's anchors).
    """
    touched_old = {c.old_ordinal for c in changes if c.old_ordinal is not None}
    touched_new = {c.new_ordinal for c in changes if c.new_ordinal is not None}
    old_gaps = _gaps([c.ordinal for c in old_clauses], touched_old)
    new_gaps = _gaps([c.ordinal for c in new_clauses], touched_new)
    if len(old_gaps) != len(new_gaps):
        return set()  # the anchors do not pair up: say nothing
    old_text = {c.ordinal: c.text for c in old_clauses}
    new_text = {c.ordinal: c.text for c in new_clauses}
    out: set[int] = set()
    for old_gap, new_gap in zip(old_gaps, new_gaps):
        if not old_gap or not new_gap:
            continue
        if _key(" ".join(old_text[o] for o in old_gap)) == _key(" ".join(new_text[n] for n in new_gap)):
            olds, news = set(old_gap), set(new_gap)
            out |= {id(c) for c in changes if c.old_ordinal in olds or c.new_ordinal in news}
    return out


def _gaps(ordinals: list[int], touched: set[int]) -> list[list[int]]:
    """Touched ordinals grouped by the untouched clauses around them (one group per gap)."""
    gaps: list[list[int]] = [[]]
    for o in sorted(ordinals):
        if o in touched:
            gaps[-1].append(o)
        else:
            gaps.append([])
    return gaps


def _explained_edits(changes: Sequence[ClauseChange]) -> set[int]:
    """Modified clauses whose gained and lost words other changes lost and gained."""
    runs = {id(c): r for c in changes if c.kind == "modified" and (r := _runs(c.old_text or "", c.new_text or ""))}
    lost: dict[str, set[int]] = defaultdict(set)  # text -> changes that lost it
    gained: dict[str, set[int]] = defaultdict(set)
    whole: dict[int, ClauseChange] = {}
    for c in changes:
        if c.kind == "removed" and _key(c.old_text):
            lost[_key(c.old_text)].add(id(c))
            whole[id(c)] = c
        elif c.kind == "added" and _key(c.new_text):
            gained[_key(c.new_text)].add(id(c))
            whole[id(c)] = c
    for cid, (gains, losses) in runs.items():
        for run in gains:
            gained[run].add(cid)
        for run in losses:
            lost[run].add(cid)
    if not whole and len(runs) < 2:
        return set()
    lost_texts = sorted(lost, key=len, reverse=True)
    gained_texts = sorted(gained, key=len, reverse=True)
    out: set[int] = set()
    for c in changes:
        if id(c) not in runs or runs[id(c)] == ([], []):
            continue
        gains, losses = runs[id(c)]
        took = [_pieces(run, lost_texts, lost, id(c), whole) for run in gains]
        gave = [_pieces(run, gained_texts, gained, id(c), whole) for run in losses]
        if all(p is not None for p in took + gave):
            out.add(id(c))
            out |= {owner for p in took + gave if p for owner in p if owner in whole}
    return out


_LINK_TARGET = re.compile(r"\]\([^)\s]*\)|<?https?://\S+")  # a link's target alone is cosmetic


def _words(text: str) -> list[str]:
    return _word_tokens(_LINK_TARGET.sub("]", text))[0]


def _key(text: str | None) -> str:
    return " ".join(_words(text or ""))


def _runs(old: str, new: str) -> tuple[list[str], list[str]] | None:
    """The word runs the new clause gained and the old clause lost, or None when an edit sits
    inside the clause: a re-cut only moves words across a clause's first or last word."""
    a, b = _words(old), _words(new)
    gained, lost = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if j2 > j1:
            if j1 and j2 < len(b):
                return None
            gained.append(" ".join(b[j1:j2]))
        if i2 > i1:
            if i1 and i2 < len(a):
                return None
            lost.append(" ".join(a[i1:i2]))
    return gained, lost


_MIN_MOVED_WORDS = 3  # a shorter run ("not", "and only") moving between edited clauses is a coincidence


def _held(text: str, others: set[int], whole: dict[int, ClauseChange]) -> bool:
    """Text another change holds: any whole removed or added clause, or a run of a few words."""
    return bool(others) and (len(text.split()) >= _MIN_MOVED_WORDS or any(o in whole for o in others))


def _pieces(
    run: str, texts: list[str], owners: dict[str, set[int]], own: int, whole: dict[int, ClauseChange]
) -> set[int] | None:
    """Split ``run`` into texts other changes hold (longest first; several paragraphs may
    merge) and return their owners, or None when some words are nobody else's."""
    found: set[int] = set()
    rest = run
    while rest:
        match = next((k for k in texts if (rest == k or rest.startswith(k + " ")) and _held(k, owners[k] - {own}, whole)), None)
        if match is None:
            return None
        found |= owners[match] - {own}
        rest = rest[len(match):].lstrip()
    return found
