"""Paragraphs re-cut: the same words with other clause boundaries are not a change of substance.

A page re-render, an extractor update or an editor's reflow merges a heading
into the paragraph under it, joins a list item to its lead-in, or splits a
paragraph in two. The aligner then sees a modified clause that "gained" the
words of a removed clause (or "lost" the words of an added one). When every
word run a modified clause gained is exactly the text of removed clauses, and
every run it lost is exactly the text of added clauses, nothing was said or
unsaid: all of those changes are one re-cut.
"""
from __future__ import annotations

import difflib
from typing import Sequence

from policywatch.tracker.model import ClauseChange
from policywatch.tracker.materiality.worddiff import _word_tokens


def recut_changes(changes: Sequence[ClauseChange]) -> set[int]:
    """``id()`` of every change that is part of a re-cut (the modified clauses and the
    removed or added clauses whose words they took in or gave out)."""
    removed = {_key(c.old_text): c for c in changes if c.kind == "removed" and _key(c.old_text)}
    added = {_key(c.new_text): c for c in changes if c.kind == "added" and _key(c.new_text)}
    if not removed and not added:
        return set()
    by_length = {"removed": sorted(removed, key=len, reverse=True), "added": sorted(added, key=len, reverse=True)}
    out: set[int] = set()
    for c in changes:
        if c.kind != "modified":
            continue
        gained, lost = _runs(c.old_text or "", c.new_text or "")
        if not gained and not lost:
            continue
        took = [_pieces(run, by_length["removed"]) for run in gained]
        gave = [_pieces(run, by_length["added"]) for run in lost]
        if all(p is not None for p in took) and all(p is not None for p in gave):
            out.add(id(c))
            out |= {id(removed[k]) for p in took if p for k in p}
            out |= {id(added[k]) for p in gave if p for k in p}
    return out


def _key(text: str | None) -> str:
    return " ".join(_word_tokens(text or "")[0])


def _runs(old: str, new: str) -> tuple[list[str], list[str]]:
    """The word runs the new clause gained and the old clause lost."""
    a, b = _word_tokens(old)[0], _word_tokens(new)[0]
    gained, lost = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if j2 > j1:
            gained.append(" ".join(b[j1:j2]))
        if i2 > i1:
            lost.append(" ".join(a[i1:i2]))
    return gained, lost


def _pieces(run: str, texts: list[str]) -> list[str] | None:
    """Split ``run`` into whole clause texts (longest first; several paragraphs may merge), or None."""
    out: list[str] = []
    rest = run
    while rest:
        match = next((k for k in texts if rest == k or rest.startswith(k + " ")), None)
        if match is None:
            return None
        out.append(match)
        rest = rest[len(match):].lstrip()
    return out
