"""The body of a change page: findings, then the changed clauses in document order with context.

Used by the report's change pages and by ``compare``/``diff --format html``.
Unchanged clauses between two changes fold into ``<details>`` (one clause of
context stays visible on each side); every clause change has an anchor
``#c<n>``; an inline/side-by-side switch needs no JavaScript. A rewrite stays
readable: past a size budget only material clause changes are shown (inline),
past a second budget none; the rest are counted in place, and the findings
at the top cover every material clause change.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from policywatch.tracker.model import ClauseChange, DocumentDiff
from policywatch.tracker.render.findings import change_findings, findings_html
from policywatch.tracker.render.html import clause_section, context_html, esc, page, view_toggle
from policywatch.tracker.render.text import summary_line

__all__ = ["change_body", "diff_page", "PAGE_BUDGET"]

CONTEXT = 1  # unchanged clauses shown on each side of a change
PAGE_BUDGET = 250_000  # characters of clause HTML; past it only material clause changes are shown
MATERIAL_BUDGET = 150_000  # and past this much more, none (the findings list still names them)


def change_body(
    changes: Sequence[ClauseChange], new_texts: Sequence[str], old_count: int, *,
    findings: Sequence[dict[str, Any]] | None = None, base_url: str | None = None, budget: int = PAGE_BUDGET,
) -> list[str]:
    """Findings, the view switch and the clause changes in the new version's order."""
    if not changes:
        return ["<p>No clause-level differences were recorded for this change.</p>"]
    found = change_findings(None, changes) if findings is None else findings
    parts = [findings_html(found)] if found else []
    parts.append(f"<h2>Changed clauses ({len(changes)})</h2>")
    parts.append(
        '<p class="meta">In the clauses below, <del>struck-out red words</del> were removed and '
        "<ins>green words</ins> were added; grey clauses are unchanged context. Each clause change says why it "
        "was judged as it was; click its number for a link to it.</p>"
    )
    parts.append(view_toggle())
    parts.append('<div class="changes">' + "".join(_sections(changes, new_texts, old_count, base_url, budget)) + "</div>")
    return parts


def _order(changes: Sequence[ClauseChange], new_count: int, old_count: int) -> list[tuple[str, int]]:
    """("same", new ordinal) and ("change", index) items in the new version's order; removals where they stood."""
    changed_new = {c.new_ordinal for c in changes if c.new_ordinal is not None}
    changed_old = {c.old_ordinal for c in changes if c.old_ordinal is not None}
    same_new = [n for n in range(new_count) if n not in changed_new]
    same_old = [o for o in range(old_count) if o not in changed_old]
    to_new = dict(zip(same_old, same_new))
    to_new.update({c.old_ordinal: c.new_ordinal for c in changes
                   if c.kind == "modified" and c.old_ordinal is not None and c.new_ordinal is not None})
    following = [new_count] * (old_count + 1)  # new position of the next old clause that survives
    for o in range(old_count - 1, -1, -1):
        following[o] = to_new.get(o + 1, following[o + 1]) if o + 1 < old_count else new_count
    keyed: list[tuple[tuple[int, int, int], str, int]] = [((n, 1, 0), "same", n) for n in same_new]
    for index, c in enumerate(changes):
        if c.new_ordinal is not None:
            keyed.append(((c.new_ordinal, 1, 0), "change", index))
        else:
            old = c.old_ordinal if c.old_ordinal is not None else old_count - 1
            keyed.append(((following[min(max(old, 0), old_count)], 0, old), "change", index))
    return [(kind, value) for _, kind, value in sorted(keyed)]


def _sections(
    changes: Sequence[ClauseChange], new_texts: Sequence[str], old_count: int, base_url: str | None, budget: int,
) -> list[str]:
    items = _order(changes, len(new_texts), old_count)
    out: list[str] = []
    used = 0
    run: list[int] = []
    seen_change = False

    def flush(before_change: bool) -> None:
        nonlocal used
        if not run:
            return
        head = run[:CONTEXT] if seen_change else []
        tail = run[-CONTEXT:] if before_change and len(run) > len(head) else []
        middle = run[len(head) : len(run) - len(tail)]
        if len(middle) == 1:  # folding one clause hides more than it saves
            head, middle = head + middle, []
        out.append(context_html([new_texts[n] for n in head], base_url))
        if middle:
            label = f"{len(middle)} unchanged clause{'s' if len(middle) > 1 else ''}"
            folded = context_html([new_texts[n] for n in middle], base_url) if used < budget else ""
            if folded and used + len(folded) <= budget:
                used += len(folded)
                out.append(f'<details class="unchanged"><summary>{label}</summary>{folded}</details>')
            else:  # a long unchanged stretch: its words are in the version itself, not repeated here
                out.append(f'<p class="meta">… {label} …</p>')
        out.append(context_html([new_texts[n] for n in tail], base_url))
        run.clear()

    skipped = total_skipped = 0

    def flush_skipped() -> None:
        nonlocal skipped
        if skipped:
            out.append(f'<p class="meta">… {skipped} more clause change{"s" if skipped > 1 else ""} '
                       "(not shown: this page is long) …</p>")
            skipped = 0

    for kind, value in items:
        if kind == "same":
            run.append(value)
            continue
        change = changes[value]
        if used >= budget and (not change.assessment.material or used >= budget + MATERIAL_BUDGET):
            skipped += 1  # past the budget only material changes are shown; past twice it, none
            total_skipped += 1
            run.clear()
            continue
        flush_skipped()
        flush(before_change=True)
        seen_change = True
        html = clause_section(change, value + 1, base_url=base_url, side_by_side=used < budget, folded=True)
        used += len(html)
        out.append(html)
    flush_skipped()
    flush(before_change=False)
    out = _group_minor(out)
    if total_skipped:
        out.insert(0, f'<p class="meta">This change is large ({len(changes)} clause changes): past the first part of '
                      "the page only material clause changes are shown, inline, up to a size limit; the findings above "
                      "cover all of them. The terminal view has every change: <code>policywatch diff</code>.</p>")
    return out


_MINOR = '<details class="minor change"'
_QUIET = ('<div class="context">', '<details class="unchanged">')  # "… N more not shown" stays in sight


def _group_minor(parts: list[str], at_least: int = 3) -> list[str]:
    """Runs of cosmetic / severity-none changes (and the context between them) fold into one ``<details>``."""
    out: list[str] = []
    run: list[str] = []

    def close() -> None:
        minor = [p for p in run if p.startswith(_MINOR)]
        if len(minor) >= at_least:
            trailing: list[str] = []
            while run and not run[-1].startswith(_MINOR):
                trailing.insert(0, run.pop())
            out.append(f'<details class="minor-run"><summary>{len(minor)} cosmetic or neutral edits '
                       f"(wording, punctuation, dates, moves)</summary>{''.join(run)}</details>")
            out.extend(trailing)
        else:
            out.extend(run)
        run.clear()

    for part in parts:
        if part.startswith(_MINOR) or (run and (not part or part.startswith(_QUIET))):
            run.append(part)
        else:
            close()
            out.append(part)
    close()
    return out


def diff_page(diff: DocumentDiff, title: str, *, base_url: str | None = None, intro: Sequence[str] = ()) -> str:
    """A standalone page for two documents (``compare --format html``, ``diff --format html``)."""
    material = " material" if diff.verdict.material else ""
    body = [
        f"<h1>{esc(title)}</h1>",
        *intro,
        f'<div class="summary{material}"><p>{esc(summary_line(diff))}</p>'
        + (f"<p>{esc(diff.verdict.summary)}</p>" if diff.verdict.summary else "")
        + "</div>",
    ]
    body += change_body(diff.changes, [c.text for c in diff.new_clauses], len(diff.old_clauses), base_url=base_url)
    return page(title, body)
