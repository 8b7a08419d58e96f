"""Match the clauses of two versions of a document.

The alignment has four passes, cheapest and most certain first:

1. *anchors*: clauses with identical text that keep their relative order, found
   with a longest-common-subsequence style match over the sequences of clause
   hashes (``difflib.SequenceMatcher`` on hashes, so it costs O(clauses), not
   O(words));
2. *moves*: clauses whose exact text is on both sides but not in order;
3. *modifications*: the remaining old/new clauses paired by word-set (Jaccard)
   similarity, first inside the same gap between two anchors, then anywhere.
   Candidates come from an inverted index over each clause's rarest words
   (prefix filtering), so a rewrite with ~800 x ~600 unmatched clauses never
   compares all pairs;
4. leftovers are *added* or *removed*.

Ordinals in the returned changes are positions in the sequences passed in
(equal to ``Clause.ordinal`` for the output of ``segment_text``). Clauses not
named by any change are unchanged, and because anchors keep their order the
new document can be rebuilt from the old one plus the changes alone
(``apply_changes``): ``apply_changes(old, align_clauses(old, new)) ==
[c.text for c in new]``.
"""
from __future__ import annotations

import difflib
import math
import re
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from policywatch.tracker.model import Clause, ClauseChange
from policywatch.tracker.normalize import cosmetic_key

__all__ = ["Alignment", "align", "align_clauses", "apply_changes", "similarity"]

# Word-set Jaccard needed to call two clauses "the same clause, edited".
# Inside one gap between anchors the position already suggests a pairing, so a
# weaker textual resemblance is enough; across the document it must be strong.
GAP_THRESHOLD = 0.4
GLOBAL_THRESHOLD = 0.6

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Alignment:
    """Changes plus the (old_position, new_position) pairs of unchanged clauses."""

    changes: list[ClauseChange]
    unchanged_pairs: list[tuple[int, int]]


def align_clauses(old: Sequence[Clause], new: Sequence[Clause]) -> list[ClauseChange]:
    """Return the changes that turn ``old`` into ``new`` (assessments left default)."""
    return align(old, new).changes


def align(old: Sequence[Clause], new: Sequence[Clause]) -> Alignment:
    """Align two clause lists; also report which clauses are unchanged."""
    old_texts = [c.text for c in old]
    new_texts = [c.text for c in new]
    anchors = _anchor_pairs(old_texts, new_texts)
    old_free = _unmatched(len(old_texts), (i for i, _ in anchors))
    new_free = _unmatched(len(new_texts), (j for _, j in anchors))
    moved = _pair_identical(old_free, new_free, old_texts, new_texts)
    taken_old = {i for i, _ in moved}
    taken_new = {j for _, j in moved}
    old_free = [i for i in old_free if i not in taken_old]
    new_free = [j for j in new_free if j not in taken_new]
    key_of = _memoized(cosmetic_key)
    modified = _pair_similar(old_free, new_free, old_texts, new_texts, anchors, key_of)
    paired_old = {i for i, _ in modified}
    paired_new = {j for _, j in modified}
    changes = [_moved(old, new, i, j) for i, j in moved]
    changes += [_modified(old, new, i, j, key_of) for i, j in modified]
    changes += [_removed(old, i, key_of) for i in old_free if i not in paired_old]
    changes += [_added(new, j, key_of) for j in new_free if j not in paired_new]
    changes.sort(key=_order_key(anchors))
    return Alignment(changes=changes, unchanged_pairs=anchors)


def apply_changes(old: Sequence[Clause], changes: Sequence[ClauseChange]) -> list[str]:
    """Rebuild the new document's clause texts from ``old`` and ``changes``.

    Every new position named by a change takes that change's ``new_text``; the
    other new positions are, in order, the old clauses that no change names
    (the unchanged anchors, which keep their order by construction).
    """
    by_new = {c.new_ordinal: c.new_text for c in changes if c.new_ordinal is not None}
    named_old = {c.old_ordinal for c in changes if c.old_ordinal is not None}
    unchanged = iter([c.text for k, c in enumerate(old) if k not in named_old])
    new_len = len(by_new) + len(old) - len(named_old)
    texts: list[str] = []
    for position in range(new_len):
        text = by_new[position] if position in by_new else next(unchanged, None)
        if text is None:
            raise ValueError(f"changes do not describe a new clause at position {position}")
        texts.append(text)
    if next(unchanged, None) is not None:
        raise ValueError("changes leave old clauses unplaced: they describe another old document")
    return texts


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' case-folded word sets (0..1)."""
    return _jaccard(_tokens(a), _tokens(b))


# --- pass 1: anchors -------------------------------------------------------


def _anchor_pairs(old_texts: list[str], new_texts: list[str]) -> list[tuple[int, int]]:
    """Unchanged clauses in order: matching blocks over the clause-hash sequences."""
    old_ids, new_ids = _hash_ids(old_texts, new_texts)
    matcher = difflib.SequenceMatcher(None, old_ids, new_ids, autojunk=False)
    pairs: list[tuple[int, int]] = []
    for a, b, size in matcher.get_matching_blocks():
        pairs.extend((a + k, b + k) for k in range(size))
    return pairs


def _hash_ids(old_texts: list[str], new_texts: list[str]) -> tuple[list[int], list[int]]:
    """Map each distinct clause text to a small int, so matching compares ints.

    The dict hashes the exact text (Python caches a string's hash), which is
    cheaper than a cryptographic digest and just as exact.
    """
    ids: dict[str, int] = {}
    old_ids = [ids.setdefault(t, len(ids)) for t in old_texts]
    new_ids = [ids.setdefault(t, len(ids)) for t in new_texts]
    return old_ids, new_ids


def _unmatched(length: int, matched: Iterable[int]) -> list[int]:
    taken = set(matched)
    return [k for k in range(length) if k not in taken]


# --- pass 2: moves ---------------------------------------------------------


def _pair_identical(
    old_free: list[int], new_free: list[int], old_texts: list[str], new_texts: list[str]
) -> list[tuple[int, int]]:
    """Pair unmatched clauses with identical text, in document order per text."""
    waiting: dict[str, list[int]] = defaultdict(list)
    for j in new_free:
        waiting[new_texts[j]].append(j)
    for queue in waiting.values():
        queue.reverse()  # pop() then yields the earliest new position first
    pairs = []
    for i in old_free:
        pending = waiting.get(old_texts[i])
        if pending:
            pairs.append((i, pending.pop()))
    return pairs


# --- pass 3: modifications -------------------------------------------------


def _pair_similar(
    old_free: list[int],
    new_free: list[int],
    old_texts: list[str],
    new_texts: list[str],
    anchors: list[tuple[int, int]],
    key_of: Callable[[str], str],
) -> list[tuple[int, int]]:
    """Pair edited clauses: same gap first (weaker threshold), then globally.

    Clauses still unpaired after that are paired when their cosmetic keys are
    equal (a changed link target or date can make word sets differ a lot).
    Keys are computed only for those leftovers: they are needed anyway to tell
    whether an added or removed clause carries any words.
    """
    if not old_free or not new_free:
        return []
    old_tokens = {i: _tokens(old_texts[i]) for i in old_free}
    new_tokens = {j: _tokens(new_texts[j]) for j in new_free}
    rank = _rarity_rank(list(old_tokens.values()) + list(new_tokens.values()))
    old_gap = _gap_of(old_free, [i for i, _ in anchors])
    new_gap = _gap_of(new_free, [j for _, j in anchors])
    used_old: set[int] = set()
    used_new: set[int] = set()
    # the same words re-spaced or re-wrapped are the same clause: pair them before similar ones
    spacing = _cosmetic_pairs({i: " ".join(old_texts[i].split()) for i in old_free},
                              {j: " ".join(new_texts[j].split()) for j in new_free})
    pairs = _greedy(spacing, used_old, used_new)
    same_gap = _candidate_pairs(old_tokens, new_tokens, rank, GAP_THRESHOLD, old_gap, new_gap)
    pairs += _greedy(same_gap, used_old, used_new)
    old_left = {i: t for i, t in old_tokens.items() if i not in used_old}
    new_left = {j: t for j, t in new_tokens.items() if j not in used_new}
    pairs += _greedy(_candidate_pairs(old_left, new_left, rank, GLOBAL_THRESHOLD), used_old, used_new)
    old_keys = {i: key_of(old_texts[i]) for i in old_free if i not in used_old}
    new_keys = {j: key_of(new_texts[j]) for j in new_free if j not in used_new}
    pairs += _greedy(_cosmetic_pairs(old_keys, new_keys), used_old, used_new)
    return pairs


def _cosmetic_pairs(
    old_keys: dict[int, str], new_keys: dict[int, str]
) -> list[tuple[float, int, int]]:
    """Clauses whose cosmetic keys are equal are the same clause, whatever their words.

    Clauses sharing one key are paired in document order (linear, even when a
    page repeats the same "Learn more" link hundreds of times).
    """
    waiting: dict[str, list[int]] = defaultdict(list)
    for j in sorted(new_keys, reverse=True):
        if new_keys[j]:
            waiting[new_keys[j]].append(j)
    pairs = []
    for i in sorted(old_keys):
        queue = waiting.get(old_keys[i])
        if queue:
            pairs.append((1.0, i, queue.pop()))
    return pairs


def _candidate_pairs(
    old_tokens: dict[int, frozenset[str]],
    new_tokens: dict[int, frozenset[str]],
    rank: dict[str, tuple[int, str]],
    threshold: float,
    old_group: dict[int, int] | None = None,
    new_group: dict[int, int] | None = None,
) -> list[tuple[float, int, int]]:
    """All (jaccard, old, new) with jaccard >= threshold, via prefix filtering.

    Tokens are ordered globally by rarity; two sets with Jaccard >= t must share
    a token within the first ``|A| - ceil(t*|A|) + 1`` tokens of each (AllPairs,
    Bayardo et al. 2007), so only short posting lists of rare words are read.
    With groups (gap numbers), only pairs in the same group are considered.
    """
    index: dict[tuple[int, str], list[int]] = defaultdict(list)
    for j, tokens in new_tokens.items():
        group = new_group[j] if new_group else 0
        for token in _prefix(tokens, rank, threshold):
            index[group, token].append(j)
    scored = []
    for i, tokens in old_tokens.items():
        group = old_group[i] if old_group else 0
        seen: set[int] = set()
        for token in _prefix(tokens, rank, threshold):
            seen.update(index.get((group, token), ()))
        low, high = threshold * len(tokens), len(tokens) / threshold if threshold else math.inf
        for j in seen:
            other = new_tokens[j]
            if low <= len(other) <= high:  # size filter: Jaccard <= min/max of the sizes
                score = _jaccard(tokens, other)
                if score >= threshold:
                    scored.append((score, i, j))
    return scored


def _rarity_rank(token_sets: list[frozenset[str]]) -> dict[str, tuple[int, str]]:
    frequency: dict[str, int] = defaultdict(int)
    for tokens in token_sets:
        for token in tokens:
            frequency[token] += 1
    return {token: (count, token) for token, count in frequency.items()}


def _prefix(tokens: frozenset[str], rank: dict[str, tuple[int, str]], threshold: float) -> list[str]:
    ordered = sorted(tokens, key=rank.__getitem__)
    return ordered[: len(ordered) - math.ceil(threshold * len(ordered)) + 1]


def _gap_of(positions: list[int], anchor_positions: list[int]) -> dict[int, int]:
    """Gap number of each position: how many anchors come before it."""
    return {p: bisect_left(anchor_positions, p) for p in positions}


def _greedy(
    scored: list[tuple[float, int, int]], used_old: set[int], used_new: set[int]
) -> list[tuple[int, int]]:
    """Best-first one-to-one pairing; ties go to the pair closest in position."""
    pairs = []
    for _, i, j in sorted(scored, key=lambda p: (-p[0], abs(p[1] - p[2]), p[1], p[2])):
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            pairs.append((i, j))
    return pairs


def _tokens(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.casefold()))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


# --- building the changes --------------------------------------------------


def _heading(*clauses: Clause | None) -> tuple[str, ...]:
    for clause in clauses:
        if clause is not None:
            return clause.heading
    return ()


def _moved(old: Sequence[Clause], new: Sequence[Clause], i: int, j: int) -> ClauseChange:
    """A clause whose exact text changed place: its wording is untouched, so cosmetic."""
    return ClauseChange("moved", i, j, old[i].text, new[j].text, heading=_heading(new[j], old[i]), cosmetic=True)


def _modified(
    old: Sequence[Clause], new: Sequence[Clause], i: int, j: int, key_of: Callable[[str], str]
) -> ClauseChange:
    cosmetic = key_of(old[i].text) == key_of(new[j].text)
    return ClauseChange(
        "modified", i, j, old[i].text, new[j].text, heading=_heading(new[j], old[i]), cosmetic=cosmetic
    )


def _removed(old: Sequence[Clause], i: int, key_of: Callable[[str], str]) -> ClauseChange:
    """A removed clause; cosmetic when it carries no words (a rule, a stray mark)."""
    text = old[i].text
    return ClauseChange("removed", i, None, text, None, heading=old[i].heading, cosmetic=not key_of(text))


def _added(new: Sequence[Clause], j: int, key_of: Callable[[str], str]) -> ClauseChange:
    text = new[j].text
    return ClauseChange("added", None, j, None, text, heading=new[j].heading, cosmetic=not key_of(text))


def _memoized(function: Callable[[str], str]) -> Callable[[str], str]:
    """Cache a text -> key function for one alignment (cosmetic_key is not cheap)."""
    cache: dict[str, str] = {}

    def cached(text: str) -> str:
        if text not in cache:
            cache[text] = function(text)
        return cache[text]

    return cached


def _order_key(anchors: list[tuple[int, int]]):
    """Sort by new position; a removed clause sits right after its preceding anchor."""
    anchor_old = [i for i, _ in anchors]
    anchor_new = [j for _, j in anchors]

    def key(change: ClauseChange) -> tuple[int, int, int]:
        if change.new_ordinal is not None:
            return (change.new_ordinal, 1, change.old_ordinal or 0)
        old = change.old_ordinal or 0  # a change with no new position is a removal: it has an old one
        before = bisect_left(anchor_old, old) - 1
        slot = anchor_new[before] + 1 if before >= 0 else 0
        return (slot, 0, old)

    return key
