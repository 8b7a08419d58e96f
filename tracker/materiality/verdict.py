"""The whole-document verdict and its one-line summary."""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from policywatch.tracker.classify import order_categories
from policywatch.tracker.model import Assessment, Clause, ClauseChange, Finding, Verdict, severity_rank
from policywatch.tracker.materiality.clause import assess_change
from policywatch.tracker.materiality.findings import rank_findings
from policywatch.tracker.materiality.recut import recut_changes
from policywatch.tracker.materiality.guards import (
    _counted_changes, _extraction_failure, _in_context, _truncation, discounted, moved_edit,
)
from policywatch.tracker.materiality.signals import _DIRECTION_RANK


_RECUT = "paragraphs re-cut: the same words with other clause boundaries"
_REWRITE_SHARE = 0.5  # past this share of the old clauses changed, the change is framed as a rewrite
_REWRITE_MIN_CHANGES = 20


def judge_changes(
    changes: Sequence[ClauseChange], old_clauses: Sequence[Clause], new_clauses: Sequence[Clause]
) -> tuple[list[ClauseChange], Verdict]:
    """The changes as finally assessed, and the verdict they add up to.

    One verdict: the document is material exactly when at least one returned
    change is. Guards come first because a broken capture produces exactly the
    changes that look most alarming (everything removed, everything added); a
    guard that discounts a change clears its ``material`` flag and says why in
    its reason. Then each change is re-weighed against the rest of the diff
    (``guards._in_context``): text that only moved or was reworded is not a
    widening or a weakening.
    """
    changes = [c if c.assessment.reason else replace(c, assessment=assess_change(c)) for c in changes]
    failure = _extraction_failure(old_clauses, new_clauses)
    if failure:
        out = [_with(c, discounted(c.assessment, failure, "none")) for c in changes]
        return out, Verdict(False, False, "none", (), failure, failure)
    counted, ignored = _counted_changes(changes, old_clauses, new_clauses)
    kept = {id(c): a for c, a in _in_context(counted, old_clauses)}
    copy = "copy of text the other version already has"
    out = [_with(c, kept[id(c)] if id(c) in kept else discounted(c.assessment, copy, "none")) for c in changes]
    old_text, new_text = "\n".join(c.text for c in old_clauses), "\n".join(c.text for c in new_clauses)
    out = [_with(c, moved_edit(c, old_text, new_text)) for c in out]
    recut = recut_changes(out, old_clauses, new_clauses)
    out = [_with(c, discounted(c.assessment, _RECUT, "none")) if id(c) in recut else c for c in out]
    substantive = [c for c, o in zip(changes, out) if id(c) in kept and o.assessment.severity != "none"]
    truncated = _truncation(counted, substantive, old_clauses)
    if truncated:
        out = [_with(c, discounted(c.assessment, truncated, "none")) for c in out]
        return out, Verdict(False, False, "none", (), truncated, truncated)
    return out, _verdict(out, len(old_clauses), old_text, new_text, ignored)


def _with(change: ClauseChange, a: Assessment) -> ClauseChange:
    return change if a is change.assessment else replace(change, assessment=a)


def _verdict(changes: Sequence[ClauseChange], old_count: int, old_text: str, new_text: str, ignored: int) -> Verdict:
    """The verdict of guarded changes; ``old_text``/``new_text`` are the whole versions (for ranking)."""
    assessments = [c.assessment for c in changes]
    substantive = [a for a in assessments if a.severity != "none"]
    material = [a for a in substantive if a.material]
    basis = material or substantive
    severity = max((a.severity for a in basis), key=severity_rank, default="none")
    categories = {cat for a in basis for cat in a.categories}
    if material and any("contact" in a.categories for a in substantive):
        categories.add("contact")  # who to contact or who controls the data changed: worth naming
    findings: tuple[Finding, ...] = ()
    # re-spaced, re-dated or re-cut clauses are not rewritten ones: count changes of substance
    rewrite = len(substantive) >= _REWRITE_MIN_CHANGES and len(substantive) > _REWRITE_SHARE * max(old_count, 1)
    if material:
        findings = tuple(rank_findings(changes, old_text, new_text, rewrite=rewrite))
        # each finding names the one category it is filed under: the verdict lists those, not
        # every category any sentence of a changed clause touches
        categories = {f.category for f in findings} | ({"contact"} & categories)
    summary = _summary(len(changes), assessments, material, order_categories(categories), ignored, findings, rewrite)
    reason = findings[0].reason if findings else (_top(basis).reason if basis else summary)
    cosmetic_only = all(_is_cosmetic(c) for c in changes)
    return Verdict(cosmetic_only, bool(material), severity, order_categories(categories), summary, reason, findings)


def judge_document(
    changes: Sequence[ClauseChange], old_clauses: Sequence[Clause], new_clauses: Sequence[Clause]
) -> Verdict:
    """Whole-document verdict from assessed changes (see ``judge_changes``)."""
    return judge_changes(changes, old_clauses, new_clauses)[1]


def assess_in_context(
    changes: Sequence[ClauseChange], old_clauses: Sequence[Clause], new_clauses: Sequence[Clause]
) -> list[ClauseChange]:
    """The changes with the assessments ``judge_document`` actually counted."""
    return judge_changes(changes, old_clauses, new_clauses)[0]


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
    findings: Sequence[Finding],
    rewrite: bool,
) -> str:
    """One line: '3 material changes (sale, sharing): Added "..."; 12 clauses changed'.

    It quotes the top-ranked finding; a rewrite says so first.
    """
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
    prefix = f"Rewritten policy ({tail}): " if rewrite else ""
    if material:
        head = f"{len(material)} material change{'s' if len(material) != 1 else ''}"
        if findings and len(findings) != len(material):
            head += f" ({len(findings)} distinct)"
        top = findings[0].reason if findings else _top(material).reason
        if findings and findings[0].where:
            top = f'{top.rstrip(".")} in section "{findings[0].where}"'  # where to read it
    else:
        head = f"{len(substantive)} substantive change{'s' if len(substantive) != 1 else ''}, none material"
        top = _top(substantive).reason
    cats = f" ({', '.join(categories)})" if categories else ""
    if rewrite:
        return f"{prefix}{head}{cats}; top: {top.rstrip('.')}."
    return f"{head}{cats}: {top.rstrip('.')}; {tail}."
