"""The whole-document verdict and its one-line summary."""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from policywatch.tracker.classify import order_categories
from policywatch.tracker.model import Assessment, Clause, ClauseChange, Verdict, severity_rank
from policywatch.tracker.materiality.clause import assess_change
from policywatch.tracker.materiality.guards import _counted_changes, _extraction_failure, _in_context, _truncation
from policywatch.tracker.materiality.quotes import _short
from policywatch.tracker.materiality.signals import _DIRECTION_RANK


def judge_document(
    changes: Sequence[ClauseChange], old_clauses: Sequence[Clause], new_clauses: Sequence[Clause]
) -> Verdict:
    """Whole-document verdict from assessed changes, with document-level guards.

    Guards come first because a broken capture produces exactly the changes that
    look most alarming (everything removed, everything added). Then each change's
    assessment is checked against the rest of the diff (``_in_context``): text
    that only moved between clauses, or a protection restated in rewritten text,
    is not a widening or a weakening.
    """
    failure = _extraction_failure(old_clauses, new_clauses)
    if failure:
        return Verdict(False, False, "none", (), failure, failure)
    # A change nobody assessed yet (default Assessment, no reason) is assessed here.
    changes = [c if c.assessment.reason else replace(c, assessment=assess_change(c)) for c in changes]
    counted, ignored = _counted_changes(changes, old_clauses, new_clauses)
    assessed = _in_context(counted, old_clauses)
    substantive = [(c, a) for c, a in assessed if a.severity != "none"]
    truncated = _truncation(counted, [c for c, _ in substantive], old_clauses)
    if truncated:
        return Verdict(False, False, "none", (), truncated, truncated)
    cosmetic_only = all(_is_cosmetic(c) for c in changes)
    material = [a for _, a in substantive if a.material]
    basis = material or [a for _, a in substantive]
    severity = max((a.severity for a in basis), key=severity_rank, default="none")
    categories = {cat for a in basis for cat in a.categories}
    if material and any("contact" in a.categories for _, a in substantive):
        categories.add("contact")  # who to contact or who controls the data changed: worth naming
    categories = order_categories(categories)
    summary = _summary(len(changes), [a for _, a in assessed], material, categories, ignored)
    reason = _top(basis).reason if basis else summary
    return Verdict(cosmetic_only, bool(material), severity, categories, summary, reason)


def assess_in_context(
    changes: Sequence[ClauseChange], old_clauses: Sequence[Clause], new_clauses: Sequence[Clause]
) -> list[ClauseChange]:
    """The changes with the assessments ``judge_document`` actually counted.

    For callers that list per-change severities next to the verdict (compare
    JSON, alerts): a copied clause, a reworded protection or a new controller
    then reads the same in both places.
    """
    changes = [c if c.assessment.reason else replace(c, assessment=assess_change(c)) for c in changes]
    counted, _ = _counted_changes(changes, old_clauses, new_clauses)
    kept = {id(c): a for c, a in _in_context(counted, old_clauses)}
    out = []
    for c in changes:
        a = kept.get(id(c))
        if a is None:
            a = Assessment(c.assessment.categories, "neutral", "none", False,
                           f'Copy of text the other version already has: "{_short(c.new_text or c.old_text or "")}".')
        out.append(replace(c, assessment=a))
    return out

def _is_cosmetic(change: ClauseChange) -> bool:
    a = change.assessment
    return change.cosmetic or a.direction == "cosmetic" or (change.kind == "moved" and a.severity == "none")


def _top(assessments: Sequence[Assessment]) -> Assessment:
    return max(assessments, key=lambda a: (severity_rank(a.severity), _DIRECTION_RANK.get(a.direction, 0)))


def _summary(
    n_changes: int,
    assessments: Sequence[Assessment],
    material: Sequence[Assessment],
    categories: tuple[str, ...],
    ignored: int,
) -> str:
    """One line: '3 material changes (sale, sharing): Added "..."; 12 clauses changed'."""
    substantive = [a for a in assessments if a.severity != "none"]
    if not n_changes:
        return "No changes."
    tail = f"{n_changes} clause{'s' if n_changes != 1 else ''} changed"
    if ignored:
        tail += f", {ignored} copied clause{'s' if ignored != 1 else ''} ignored"
    if not substantive:
        if all(a.direction == "cosmetic" for a in assessments):
            return f"Cosmetic changes only; {tail}."
        return f"No substantive change (page text that is not policy content); {tail}."
    basis = material or substantive
    if material:
        head = f"{len(material)} material change{'s' if len(material) != 1 else ''}"
    else:
        head = f"{len(substantive)} substantive change{'s' if len(substantive) != 1 else ''}, none material"
    cats = f" ({', '.join(categories)})" if categories else ""
    return f"{head}{cats}: {_top(basis).reason.rstrip('.')}; {tail}."
