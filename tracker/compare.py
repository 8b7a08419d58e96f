"""Compare two documents: segment, align, assess, judge; and render the result.

This is the library behind ``policywatch compare`` (and the redlines of
``diff``/``report``): the CLI only reads files and calls ``compare_texts``
and one renderer. Word-level diffs run only inside clauses that alignment
paired as ``modified``, which keeps a 50,000-word policy cheap to compare.
"""
from __future__ import annotations

import html
from collections import Counter
from dataclasses import replace
from typing import Sequence

from policywatch.tracker.align import align_clauses
from policywatch.tracker.model import Assessment, Clause, ClauseChange, DocumentDiff
from policywatch.tracker.redline import DELETE, EQUAL, INSERT, Ops, redline_html, redline_text, word_diff

__all__ = [
    "change_ops",
    "classify_clauses",
    "compare_clauses",
    "compare_texts",
    "diff_to_json",
    "render_html",
    "render_text",
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
    """Attach the materiality assessment; a cosmetic edit can never be material."""
    from policywatch.tracker.materiality import assess_change

    assessment = assess_change(change)
    if change.cosmetic and (assessment.material or assessment.severity != "none"):
        # DESIGN.md: cosmetic edits are severity none and never alert, whatever the rules say.
        assessment = Assessment(categories=assessment.categories, direction="cosmetic", reason=assessment.reason)
    return replace(change, assessment=assessment)


def change_ops(change: ClauseChange) -> Ops:
    """The redline operations of one change (word diff for a modified clause)."""
    if change.kind == "modified":
        return word_diff(change.old_text or "", change.new_text or "")
    if change.kind == "added":
        return [(INSERT, change.new_text or "")]
    if change.kind == "removed":
        return [(DELETE, change.old_text or "")]
    return [(EQUAL, change.new_text or change.old_text or "")]


def diff_to_json(diff: DocumentDiff) -> dict:
    """The ``compare --format json`` document: DESIGN.md keys plus a text redline."""
    data = diff.to_json()
    for entry, change in zip(data["changes"], diff.changes):
        entry["redline"] = redline_text(change_ops(change)) if change.kind == "modified" else None
    return data


# --- text report -----------------------------------------------------------


def summary_line(diff: DocumentDiff) -> str:
    """One line: how many changes of each kind, and the verdict."""
    if not diff.changes:
        return "No changes."
    counts = Counter(c.kind for c in diff.changes)
    kinds = ", ".join(f"{counts[k]} {k}" for k in ("modified", "added", "removed", "moved") if counts[k])
    verdict = diff.verdict
    if verdict.material:
        status = f"MATERIAL (severity {verdict.severity})"
    elif verdict.cosmetic_only:
        status = "cosmetic only"
    else:
        status = f"not material (severity {verdict.severity})"
    return f"{len(diff.changes)} changes ({kinds}): {status}."


def render_text(diff: DocumentDiff) -> str:
    """A readable terminal report: summary, then each change with its redline."""
    lines = [summary_line(diff)]
    if diff.verdict.summary:
        lines.append(diff.verdict.summary)
    if diff.verdict.findings:
        lines.append("")
        lines.append("Findings, most important first:")
        for rank, f in enumerate(diff.verdict.findings, 1):
            times = f" (x{f.count})" if f.count > 1 else ""
            lines.append(f"  {rank}. [{f.severity} {f.category}, change {f.change + 1}]{times} {f.reason}")
    for number, change in enumerate(diff.changes, 1):
        lines.append("")
        lines.extend(_change_text(number, change))
    return "\n".join(lines) + "\n"


def _change_text(number: int, change: ClauseChange) -> list[str]:
    a = change.assessment
    flags = [change.kind, f"severity {a.severity}"]
    if a.material:
        flags.append("MATERIAL")
    if change.cosmetic:
        flags.append("cosmetic")
    if a.categories:
        flags.append("categories: " + ", ".join(a.categories))
    lines = [f"[{number}] {' | '.join(flags)}", f"    in: {_heading_path(change)}"]
    if change.kind == "moved":
        lines.append(f"    moved from clause {change.old_ordinal} to clause {change.new_ordinal}")
    if a.reason:
        lines.append(f"    why: {a.reason}")
    body = redline_text(change_ops(change))
    lines.extend("    " + line for line in body.splitlines() or [""])
    return lines


def _heading_path(change: ClauseChange) -> str:
    return " > ".join(change.heading) if change.heading else "(top of document)"


# --- HTML page ---------------------------------------------------------------

_CSS = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 58rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.5rem; }
.summary { padding: .75rem 1rem; border-radius: .4rem; background: #f1f3f5; }
.summary.material { background: #fde8e8; }
.change { border-top: 1px solid #ddd; padding: .75rem 0; }
.meta { font-size: .85rem; color: #555; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: .3rem; background: #e9ecef; margin-right: .3rem; }
.sev-high { background: #c92a2a; color: #fff; } .sev-medium { background: #e8590c; color: #fff; }
.sev-low { background: #fab005; } .sev-none { background: #e9ecef; }
.clause { white-space: pre-wrap; margin-top: .4rem; }
del { background: #ffe3e3; color: #8b1a1a; text-decoration: line-through; }
ins { background: #d3f9d8; color: #1b5e20; text-decoration: none; }
.reason { font-style: italic; }
"""


def render_html(diff: DocumentDiff, title: str = "policywatch comparison") -> str:
    """A standalone redline page: inline CSS, no scripts, all policy text escaped."""
    esc = html.escape
    material = " material" if diff.verdict.material else ""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="summary{material}">{esc(summary_line(diff))}'
        + (f"<br>{esc(diff.verdict.summary)}" if diff.verdict.summary else "")
        + "</p>",
    ]
    parts.extend(_change_html(change) for change in diff.changes)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _change_html(change: ClauseChange) -> str:
    esc = html.escape
    a = change.assessment
    badges = [
        f'<span class="badge">{esc(change.kind)}</span>',
        f'<span class="badge sev-{esc(a.severity)}">severity {esc(a.severity)}</span>',
    ]
    if a.material:
        badges.append('<span class="badge sev-high">material</span>')
    if change.cosmetic:
        badges.append('<span class="badge">cosmetic</span>')
    badges.extend(f'<span class="badge">{esc(c)}</span>' for c in a.categories)
    meta = f'<div class="meta">{"".join(badges)} in {esc(_heading_path(change))}'
    if change.kind == "moved":
        meta += f" (moved from clause {change.old_ordinal} to clause {change.new_ordinal})"
    meta += "</div>"
    reason = f'<div class="reason">{esc(a.reason)}</div>' if a.reason else ""
    body = f'<div class="clause">{redline_html(change_ops(change))}</div>'
    return f'<section class="change">{meta}{reason}{body}</section>'
