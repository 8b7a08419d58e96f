"""Compare two documents: segment, align, assess, judge; and render the result.

This is the library behind ``policywatch compare`` (and the redlines of
``diff``/``report``): the CLI only reads files and calls ``compare_texts``
and one renderer. Word-level diffs run only inside clauses that alignment
paired as ``modified``, which keeps a 50,000-word policy cheap to compare.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from policywatch.tracker.align import align_clauses
from policywatch.tracker.model import Clause, ClauseChange, DocumentDiff
from policywatch.tracker.redline import change_ops, redline_text

__all__ = [
    "change_ops",
    "classify_clauses",
    "compare_clauses",
    "compare_texts",
    "diff_to_json",
    "render_html",
    "render_text",
    "summary_line",
]


def compare_texts(old_text: str, new_text: str) -> DocumentDiff:
    """Segment both texts and compare their clauses."""
    from policywatch.tracker.segment import segment_text

    return compare_clauses(segment_text(old_text), segment_text(new_text))


def compare_clauses(old: Sequence[Clause], new: Sequence[Clause]) -> DocumentDiff:
    """Align two clause lists, assess every change and judge the whole document.

    Only changed clauses are assessed (and so classified): classifying every
    clause of a 50,000-word policy costs far more than the whole diff. Clauses
    keep the categories they came with; use ``classify_clauses`` to fill them.
    """
    from policywatch.tracker.materiality import judge_changes

    old_clauses, new_clauses = list(old), list(new)
    changes = [_assessed(change) for change in align_clauses(old_clauses, new_clauses)]
    changes, verdict = judge_changes(changes, old_clauses, new_clauses)
    return DocumentDiff(tuple(old_clauses), tuple(new_clauses), tuple(changes), verdict)


def classify_clauses(clauses: Sequence[Clause]) -> list[Clause]:
    """Fill each clause's data-practice categories (kept when already set).

    Used by ``segment``, whose output lists every clause's categories, and by
    ingest. The section a clause sits in (its heading path) decides first
    (``tracker.clause_categories``).
    """
    from policywatch.tracker.clause_categories import classify_clause

    return [c if c.categories else replace(c, categories=classify_clause(c.text, c.heading)) for c in clauses]


def _assessed(change: ClauseChange) -> ClauseChange:
    """Attach the materiality assessment (a cosmetic edit is assessed severity none there)."""
    from policywatch.tracker.materiality import assess_change

    return replace(change, assessment=assess_change(change))


def diff_to_json(diff: DocumentDiff) -> dict:
    """The ``compare --format json`` document: docs/DESIGN.md keys plus a text redline."""
    data = diff.to_json()
    for entry, change in zip(data["changes"], diff.changes):
        entry["redline"] = redline_text(change_ops(change)) if change.kind == "modified" else None
    return data


# --- renderers (kept here as the library's public names; built in tracker.render) ---


def render_text(diff: DocumentDiff) -> str:
    """The plain terminal report (``compare --format text``); rich is loaded only for it."""
    from policywatch.tracker.render.text import render_text as plain_report

    return plain_report(diff)


def summary_line(diff: DocumentDiff) -> str:
    """One line: how many changes of each kind, and the verdict."""
    from policywatch.tracker.render.text import summary_line as line

    return line(diff)


def render_html(diff: DocumentDiff, title: str = "policywatch comparison") -> str:
    """A standalone redline page (``compare --format html``, ``diff --format html``)."""
    from policywatch.tracker.render.changes import diff_page

    return diff_page(diff, title)
