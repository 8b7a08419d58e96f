"""A change for the terminal: summary, then each clause change with its word redline.

Built as one rich ``Text`` with styles, so the same lines print plain (a pipe,
``NO_COLOR``, ``--no-color``) or coloured on a terminal: ``text.plain`` is the
``compare``/``diff`` text output, markers ``[-removed-]{+added+}`` included.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.text import Text

from policywatch.tracker.model import ClauseChange, DocumentDiff
from policywatch.tracker.redline import DELETE, INSERT, change_ops

__all__ = ["summary_line", "diff_text", "render_text"]

_SEVERITY_STYLE = {"high": "bold white on red", "medium": "bold white on dark_orange3", "low": "bold yellow", "none": "dim"}


def summary_line(diff: DocumentDiff) -> str:
    """One line: how many changes of each kind, and the verdict."""
    if not diff.changes:
        return "No changes."
    counts: Counter[str] = Counter(c.kind for c in diff.changes)
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
    """The plain terminal report (``compare --format text``)."""
    return diff_text(diff).plain


def diff_text(diff: DocumentDiff, *, header: Sequence[str] = (), material_only: bool = False) -> Text:
    """Summary, verdict and every (or every material) clause change, styled."""
    out = Text()
    for line in header:
        out.append(line + "\n", style="bold" if line is header[0] else "")
    if header:
        out.append("\n")
    out.append(summary_line(diff) + "\n", style="bold red" if diff.verdict.material else "bold")
    if diff.verdict.summary:
        out.append(diff.verdict.summary + "\n")
    if diff.verdict.findings:
        out.append("\nFindings, most important first:\n", style="bold")
        for rank, f in enumerate(diff.verdict.findings, 1):
            times = f" (x{f.count})" if f.count > 1 else ""
            reason = f'{f.reason.rstrip(".")}; section "{f.where}".' if f.where else f.reason
            out.append(f"  {rank}. [{f.severity} {f.category}, change {f.change + 1}]{times} {reason}\n")
    shown = [(n, c) for n, c in enumerate(diff.changes, 1) if c.assessment.material or not material_only]
    if material_only:
        out.append(f"Showing the {len(shown)} material clause change(s) of {len(diff.changes)}.\n", style="dim")
    for number, change in shown:
        out.append("\n")
        _change(out, number, change)
    return out


def _change(out: Text, number: int, change: ClauseChange) -> None:
    a = change.assessment
    out.append(f"[{number}] ", style="bold")
    out.append(change.kind)
    out.append(" | ")
    out.append(f"severity {a.severity}", style=_SEVERITY_STYLE.get(a.severity, ""))
    if a.material:
        out.append(" | ")
        out.append("MATERIAL", style="bold red")
    if change.cosmetic:
        out.append(" | cosmetic")
    if a.categories:
        out.append(" | categories: " + ", ".join(a.categories), style="cyan")
    out.append("\n    in: " + (" > ".join(change.heading) if change.heading else "(top of document)") + "\n", style="dim")
    if change.kind == "moved":
        out.append(f"    moved from clause {change.old_ordinal} to clause {change.new_ordinal}\n")
    if a.reason:
        out.append(f"    why: {a.reason}\n", style="italic")
    out.append("    ")
    for op, piece in change_ops(change):
        piece = piece.replace("\n", "\n    ")
        if op == DELETE:
            out.append(f"[-{piece}-]", style="red strike")
        elif op == INSERT:
            out.append(f"{{+{piece}+}}", style="green bold")
        else:
            out.append(piece)
    out.append("\n")
