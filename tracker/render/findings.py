"""The ranked findings a change page opens with, and their HTML/text.

docs/DESIGN.md: ``findings`` rank the material findings of a change, most important
first, near-duplicates merged: ``{change, category, direction, severity, quote,
reason, count}`` where ``change`` indexes the clause changes. When a recorded
change carries them (the materiality work stores them) they are shown as they
are; otherwise they are ranked from the clause changes by materiality's own
``rank_findings``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from policywatch.tracker.model import ClauseChange, Finding

__all__ = ["change_findings", "findings_html"]


def change_findings(change: dict[str, Any] | None, clauses: Sequence[ClauseChange]) -> list[dict[str, Any]]:
    """The change's own ranked ``findings`` when recorded, else ranked from its clause changes.

    The ranking is materiality's (``tracker.materiality.rank_findings``): removed or weakened
    protections and new recipients first, near-duplicates merged with a count.
    """
    if change is not None and change.get("findings"):
        return list(change["findings"])
    from policywatch.tracker.materiality import rank_findings

    return [finding.to_json() for finding in rank_findings(clauses)]


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
        where = Finding.from_json(f).where
        where = f' <span class="meta">in {esc(where)}</span>' if where else ""
        items.append(
            f"<li>{severity_badge(f['severity'])}<span class=\"badge\">{esc(str(f['category']).replace('_', ' '))}</span>"
            f"<b>{esc(f['direction'])}</b>:{quote} {prose(f.get('reason'))}{esc(more)}{where} "
            f'<a href="#c{target}">clause change #{target}</a></li>'
        )
    rest = (f'<p class="meta">… and {len(findings) - limit} more; every material clause change is marked '
            "MATERIAL below.</p>" if len(findings) > limit else "")
    return f'<h2>Findings, most important first</h2><ol class="findings">{"".join(items)}</ol>{rest}'
