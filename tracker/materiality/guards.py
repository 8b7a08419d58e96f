"""Document-level guards a clause-level view cannot see.

Extraction failures, truncated captures, bulk copies of the policy, text that only
moved between clauses, and new controllers named in added clauses.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from policywatch.tracker import lexicon
from policywatch.tracker.classify import PROTECTIVE, find_signals, order_categories
from policywatch.tracker.model import Assessment, Clause, ClauseChange, Severity, severity_rank
from policywatch.tracker.materiality.quotes import _clean, _reason, _sentence_around, _short, trigger_phrase
from policywatch.tracker.materiality.restated import StatementIndex, moved_sentences
from policywatch.tracker.materiality.signals import _effective_exposing, _orgs, _riskiest


# --- document-level guards -------------------------------------------------------------

_BULK_COPY_CLAUSES = 10  # at least this many copied clauses (and a quarter of the document) make a "copy"
_BULK_COPY_SHARE = 0.25
_QUALITY_CHECK_CHARS = 9000  # longer documents (about 1,500 words) are not stubs or error pages ...
_SHRINK_SHARE = 0.5  # ... unless they lost half their text


def _document_text(clauses: Sequence[Clause]) -> str:
    return "\n\n".join(c.text for c in clauses)


def _extraction_failure(old_clauses: Sequence[Clause], new_clauses: Sequence[Clause]) -> str:
    """Why either side does not look like a policy text at all ('' when both do).

    Extraction failures (redirect pages, header stubs, error pages) are short, so
    ``tracker.quality`` is only consulted for a short document or one that shrank
    a lot; a long policy that kept its length is never re-scanned (speed).
    """
    old_size = sum(len(c.text) for c in old_clauses)  # characters: a cheap stand-in for words
    new_size = sum(len(c.text) for c in new_clauses)
    sides = (("new", new_clauses, new_size, old_clauses), ("old", old_clauses, old_size, None))
    for side, clauses, size, previous in sides:
        shrank = previous is not None and size < _SHRINK_SHARE * old_size
        if size >= _QUALITY_CHECK_CHARS and not shrank:
            continue
        problem = _quality_problem(_document_text(clauses), _document_text(previous) if previous is not None else None)
        if problem:
            which = "the new version" if side == "new" else "the previous version"
            return f"Not material: {which} looks like an extraction failure ({problem}), not a policy change."
    return ""


def _quality_problem(text: str, previous: str | None) -> str:
    """The quality gate's word on a whole document ("" when it reads like a policy)."""
    from policywatch.tracker.quality import assess_text, word_count

    if not text.strip():
        return "empty text" if previous is not None and previous.strip() else ""
    quality = assess_text(text, previous_words=word_count(previous) if previous else None)
    if quality.outcome == "ok":
        return ""
    return f"{quality.outcome}: {quality.detail}" if quality.detail else str(quality.outcome)


def _counted_changes(
    changes: Sequence[ClauseChange], old_clauses: Sequence[Clause], new_clauses: Sequence[Clause]
) -> tuple[list[ClauseChange], int]:
    """Drop a bulk copy of the policy added or removed (the page holds the policy twice).

    Only a run of many clauses whose text the other version already has counts as
    a copy; a single clause removed while a duplicate survives elsewhere can still
    matter (its context differed), so it is kept.
    """
    drop: set[int] = set()
    added = [c for c in changes if c.kind == "added"]
    removed = [c for c in changes if c.kind == "removed"]
    if len(added) >= max(_BULK_COPY_CLAUSES, _BULK_COPY_SHARE * len(old_clauses)):
        old_keys = {_copy_key(c.text) for c in old_clauses}
        copies = {id(c) for c in added if _copy_key(c.new_text or "") in old_keys}
        if len(copies) >= max(_BULK_COPY_CLAUSES, _BULK_COPY_SHARE * len(old_clauses)):
            drop |= copies
    if len(removed) >= max(_BULK_COPY_CLAUSES, _BULK_COPY_SHARE * len(new_clauses)):
        new_keys = {_copy_key(c.text) for c in new_clauses}
        copies = {id(c) for c in removed if _copy_key(c.old_text or "") in new_keys}
        if len(copies) >= max(_BULK_COPY_CLAUSES, _BULK_COPY_SHARE * len(new_clauses)):
            drop |= copies
    return [c for c in changes if id(c) not in drop], len(drop)


def _copy_key(text: str) -> str:
    """Cheap identity for copied clauses: a copy is the same text, give or take spacing and case."""
    return " ".join(text.split()).casefold()


def _in_context(
    changes: Sequence[ClauseChange], old_clauses: Sequence[Clause] = ()
) -> list[tuple[ClauseChange, Assessment]]:
    """Re-weigh each change's assessment against the rest of the diff and the old version.

    * a material addition whose weighty practices a removed or rewritten sentence
      already stated, with the same data and recipients: reworded, not new;
    * a removed protection restated by an added or rewritten sentence (same
      practice, same data or recipient, no new exception): reworded, not lost;
    * an added clause naming a controller the old version never named: material.

    A discounted change keeps its direction, loses its ``material`` flag and says
    where the same statement is ("discounted: restated in clause 14 ...").
    """
    removed_side = StatementIndex(
        (c, c.old_ordinal, c.old_text or "") for c in changes if c.kind in ("removed", "modified")
    )
    added_side = StatementIndex(
        (c, c.new_ordinal, c.new_text or "") for c in changes if c.kind in ("added", "modified")
    )
    out = []
    reworded_as: dict[int, int | None] = {}
    controllers = _ControllerCheck(old_clauses)
    for c in changes:
        a = c.assessment
        if c.kind == "added":
            a = controllers.upgrade(c, a)  # who holds the data outranks what else the clause says
        if a.material and c.kind == "added" and a.direction == "expands":
            text = c.new_text or ""
            gained = [s for s in _effective_exposing(find_signals(text)) if s.risk != "low"]
            # a generic verb ("share", "collect") is weak evidence when a specific practice is named
            gained = [s for s in gained if s.label not in lexicon.GENERIC_LABELS] or gained
            match = removed_side.find(text, gained, c, no_new_limits=False)
            if match:
                a = discounted(a, match.describe("reworded from"))
                if match.change.kind == "removed":
                    reworded_as[id(match.change)] = c.new_ordinal
        elif a.material and c.kind == "removed" and a.direction == "weakens":
            a = _restated_or_named(a, c, added_side)
        out.append((c, a))
    # the removal half of a reworded pair says where its text went: one change, not two
    return [(c, _reworded(a, reworded_as[id(c)]) if id(c) in reworded_as and not a.material else a) for c, a in out]


def _restated_or_named(a: Assessment, removed: ClauseChange, added_side: StatementIndex) -> Assessment:
    """A removed clause's protections: discounted when every one is restated, else the reason
    names one that is not (a clause with an opt-out and a deletion right loses the right even
    when the opt-out is restated)."""
    text = removed.old_text or ""
    protective = [s for s in find_signals(text) if s.polarity == PROTECTIVE]
    one_per_promise = list({s.key: s for s in reversed(protective)}.values())
    match = added_side.find(text, one_per_promise, removed, no_new_limits=True)
    if match:
        return discounted(a, match.describe("restated in"))
    lost = [s for s in one_per_promise if not added_side.find(text, [s], removed, no_new_limits=True)]
    worst = _riskiest(protective) if protective else None
    if lost and worst is not None and worst not in lost and worst.key not in {s.key for s in lost}:
        return replace(a, reason=_reason("Removed", text, _riskiest(lost), "protection removed"), quote="")
    return a


def _reworded(a: Assessment, ordinal: int | None) -> Assessment:
    where = f"clause {ordinal}" if ordinal is not None else "the new version"
    return replace(a, reason=a.reason.rstrip(".") + f"; reworded as {where}.")


class _ControllerCheck:
    """An added clause naming who controls the data: material when the company is new.

    "The data controller is Superhuman Platform Inc." is only news if the previous
    version never named Superhuman Platform Inc.; the old text is searched lazily.
    """

    def __init__(self, old_clauses: Sequence[Clause]) -> None:
        self._old_clauses = old_clauses
        self._old_text: str | None = None

    def upgrade(self, change: ClauseChange, a: Assessment) -> Assessment:
        text = change.new_text or ""
        if not self._old_clauses or not lexicon.CONTROLLER_CONTEXT.search(text):
            return a
        if self._old_text is None:
            self._old_text = "\n".join(c.text for c in self._old_clauses).casefold()
        newcomers = [o for o in _orgs(text) if _org_core(o) not in self._old_text]
        if not newcomers:
            return a
        reason = f'Added: "{newcomers[0]}" named in "{_short(text)}" (contact: new controller or operator, not named before).'
        severity: Severity = "high" if a.severity == "high" else "medium"
        at = text.find(newcomers[0])
        quote = _clean(_sentence_around(text, (at, at + len(newcomers[0])))) if at >= 0 else ""
        return Assessment(order_categories(set(a.categories) | {"contact"}), "expands", severity, True, reason, quote)


def _org_core(org: str) -> str:
    """'Superhuman Platform Inc.' -> 'superhuman platform' (the legal suffix varies in spelling)."""
    words = org.replace(",", " ").split()
    return " ".join(words[:-1] if len(words) > 1 else words).casefold()


def moved_edit(change: ClauseChange, old_text: str, new_text: str) -> Assessment:
    """An edit inside a clause whose sentence only moved is not a change of substance.

    A list cut into items, or a paragraph re-cut, makes a clause "lose" a right
    that the new version states word for word in another clause (or "gain" a
    practice the old version stated word for word). Flips ("not" dropped) and
    changed numbers are never discounted here: their sentence did change.
    """
    a = change.assessment
    if change.kind != "modified" or not a.material:
        return a
    phrase = trigger_phrase(a.reason)
    old, new = change.old_text or "", change.new_text or ""
    if a.direction == "weakens" and "protection removed" in a.reason and "negation" not in a.reason:
        if moved_sentences(old, new, phrase, new_text):
            return discounted(a, "moved: the sentence stands word for word in the new version")
    elif a.direction == "expands" and ("new practice" in a.reason or "practice reworded" in a.reason):
        if moved_sentences(new, old, phrase, old_text):
            return discounted(a, "moved: the old version already had this sentence word for word")
    return a


def discounted(a: Assessment, why: str, severity: Severity = "low") -> Assessment:
    """A guard discounted this change: not material, and the reason says why."""
    if not a.material and severity_rank(a.severity) <= severity_rank(severity):
        return a
    why = why.removeprefix("Not material: ").rstrip(".")
    reason = a.reason.rstrip(".") + f"; discounted: {why}."
    return Assessment(a.categories, a.direction, severity, False, reason, a.quote)


def _truncation(
    changes: Sequence[ClauseChange], substantive: Sequence[ClauseChange], old_clauses: Sequence[Clause]
) -> str:
    """A capture cut short: every substantive change is a removal, and the removals are
    one contiguous run of clauses that ends the old text (the new text is a prefix)."""
    if not substantive or any(c.kind != "removed" for c in substantive):
        return ""
    ordinals = sorted(c.old_ordinal for c in changes if c.kind == "removed" and c.old_ordinal is not None)
    if not ordinals:
        return ""
    last = max((c.ordinal for c in old_clauses), default=-1)
    contiguous = ordinals == list(range(ordinals[0], ordinals[0] + len(ordinals)))
    if contiguous and ordinals[-1] == last:
        return f"Not material: possible truncated capture: the last {len(ordinals)} clauses are missing."
    return ""
