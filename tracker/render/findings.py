"""The ranked findings a change page opens with, and their HTML/text.

DESIGN.md: ``findings`` rank the material findings of a change, most important
first, near-duplicates merged: ``{change, category, direction, severity, quote,
reason, count}`` where ``change`` indexes the clause changes. When a recorded
change carries them (the materiality work stores them) they are shown as they
are; otherwise ``fallback_findings`` derives a simple list from the material
clause changes. That one function is the place to swap in the real ranking.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from policywatch.tracker.model import ClauseChange, severity_rank
from policywatch.tracker.redline import DELETE, INSERT, change_ops

__all__ = ["change_findings", "fallback_findings", "findings_html"]

_QUOTE_CHARS = 160


def change_findings(change: dict[str, Any] | None, clauses: Sequence[ClauseChange]) -> list[dict[str, Any]]:
    """The change's own ``findings`` when recorded, else the fallback derived from its clauses."""
    if change is not None and change.get("findings") is not None:
        return list(change["findings"])
    return fallback_findings(clauses)


def fallback_findings(clauses: Sequence[ClauseChange]) -> list[dict[str, Any]]:
    """Material clause changes, highest severity first, merged when category, direction and reason agree."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for index, clause in enumerate(clauses):
        a = clause.assessment
        if not a.material:
            continue
        category = a.categories[0] if a.categories else "other"
        key = (category, a.direction, a.reason)
        if key in merged:
            merged[key]["count"] += 1
            continue
        merged[key] = {"change": index, "category": category, "direction": a.direction, "severity": a.severity,
                       "quote": _quote(clause), "reason": a.reason, "count": 1}
    return sorted(merged.values(), key=lambda f: (-severity_rank(f["severity"]), f["change"]))


def _quote(clause: ClauseChange) -> str:
    """The inserted words (or, failing those, the deleted ones), cut to a readable length."""
    ops = change_ops(clause)
    inserted = " … ".join(p.strip() for op, p in ops if op == INSERT and p.strip())
    deleted = " … ".join(p.strip() for op, p in ops if op == DELETE and p.strip())
    quote = " ".join((inserted or deleted).split())
    return quote if len(quote) <= _QUOTE_CHARS else quote[: _QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def findings_html(findings: Sequence[dict[str, Any]], *, limit: int = 10) -> str:
    """An ordered list, each finding linking to its clause change's anchor (``#c<n>``)."""
    from policywatch.tracker.render.html import esc, prose, severity_badge

    if not findings:
        return ""
    items = []
    for f in findings[:limit]:
        target = int(f["change"]) + 1
        more = f" (and {int(f['count']) - 1} similar)" if int(f.get("count") or 1) > 1 else ""
        quote = f' <q>{prose(f["quote"])}</q>' if f.get("quote") else ""
        items.append(
            f"<li>{severity_badge(f['severity'])}<span class=\"badge\">{esc(str(f['category']).replace('_', ' '))}</span>"
            f"<b>{esc(f['direction'])}</b>:{quote} {prose(f.get('reason'))}{esc(more)} "
            f'<a href="#c{target}">clause change #{target}</a></li>'
        )
    rest = (f'<p class="meta">… and {len(findings) - limit} more; every material clause change is marked '
            "MATERIAL below.</p>" if len(findings) > limit else "")
    return f'<h2>Findings, most important first</h2><ol class="findings">{"".join(items)}</ol>{rest}'
