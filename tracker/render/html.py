"""HTML pieces shared by every page that shows a change: CSS, badges, a clause change, a page.

The report, ``compare --format html``, ``diff --format html`` and the alert email
all build their clause changes here, so a fix to how a change looks lands once.
Every piece of policy text goes through ``esc`` or the Markdown renderer; a
Content-Security-Policy forbidding scripts backs that up.
"""
from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from policywatch.tracker.model import ClauseChange
from policywatch.tracker.redline import DELETE, INSERT, change_ops
from policywatch.tracker.render.markdown import (
    markdown_html, markdown_plain, readable_ops, redline_markdown, side_markdown,
)

__all__ = [
    "CSS", "CSP", "esc", "prose", "page", "severity_badge", "category_badges", "change_badges", "clause_badges",
    "clause_section", "context_html", "view_toggle", "heading_path",
]

CSS = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 1.6rem; }
a { color: #1c5fb0; }
.summary { padding: .75rem 1rem; border-radius: .4rem; background: #f1f3f5; }
.summary.material { background: #fde8e8; }
.summary p { margin: .4rem 0; }
.change { border-top: 1px solid #ddd; padding: .75rem 0; scroll-margin-top: 1rem; }
.change.material { border-left: .35rem solid #c92a2a; padding-left: .6rem; background: #fff5f5; }
.meta { font-size: .85rem; color: #555; }
.anchor { color: #555; text-decoration: none; margin-right: .3rem; font-weight: 600; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: .3rem; background: #e9ecef; margin-right: .3rem; font-size: .85rem; }
.sev-high { background: #c92a2a; color: #fff; } .sev-medium { background: #d9480f; color: #fff; }
.sev-low { background: #fab005; color: #1b1b1b; } .sev-none { background: #e9ecef; }
.clause { margin-top: .4rem; overflow-wrap: anywhere; }
.clause p, .side p { margin: .3rem 0; }
.clause h4, .side h4, .context h4 { font-size: 1rem; margin: .3rem 0; }
.clause ul, .clause ol, .side ul, .side ol { margin: .3rem 0; padding-left: 1.4rem; }
del { background: #ffe3e3; color: #8b1a1a; text-decoration: line-through; }
ins { background: #d3f9d8; color: #1b5e20; text-decoration: none; }
.reason { font-style: italic; }
.side { display: none; grid-template-columns: 1fr 1fr; gap: .8rem; margin-top: .4rem; overflow-wrap: anywhere; }
.side > div { background: #fafafa; border: 1px solid #e5e5e5; border-radius: .3rem; padding: .2rem .6rem; }
.side .label { display: block; font-size: .8rem; color: #555; font-style: normal; }
.view { position: absolute; opacity: 0; }
.view + label { display: inline-block; padding: .2rem .7rem; border: 1px solid #adb5bd; cursor: pointer; font-size: .9rem; }
.view:checked + label { background: #1c5fb0; color: #fff; border-color: #1c5fb0; }
.view:focus-visible + label { outline: 2px solid #1c5fb0; outline-offset: 2px; }
#view-side:checked ~ .changes .side { display: grid; }
#view-side:checked ~ .changes .inline.has-side { display: none; }
.context { color: #444; font-size: .92rem; border-left: 3px solid #dee2e6; padding-left: .7rem; margin: .4rem 0; overflow-wrap: anywhere; }
.context p { margin: .2rem 0; }
details.minor-run { border-top: 1px solid #ddd; padding: .3rem 0; }
details.unchanged > summary, details.minor > summary, details.minor-run > summary { color: #555; font-size: .9rem; cursor: pointer; margin: .4rem 0; }
.findings li { margin: .4rem 0; }
.findings q { background: #fff3bf; }
"""

# No scripts, frames, images or remote anything: hostile text that slipped past escaping could not run.
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def esc(value: object) -> str:
    """Escape text for element content and quoted attributes alike."""
    return html.escape(str(value), quote=True)


def prose(text: str | None) -> str:
    """A summary, reason or quote that carries policy Markdown: its words, escaped (no ``**`` or ``](``)."""
    return esc(markdown_plain(text or ""))


def page(title: str, body: Iterable[str], *, extra_css: str = "", footer: str = "") -> str:
    """A complete standalone page: inline CSS, a CSP that forbids scripts, no remote assets."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="referrer" content="no-referrer">',
            f"<title>{esc(title)}</title><style>{CSS}{extra_css}</style></head><body>",
            *body,
            footer,
            "</body></html>",
        ]
    ) + "\n"


def severity_badge(severity: str | None) -> str:
    if not severity:
        return ""
    return f'<span class="badge sev-{esc(severity)}">severity {esc(severity)}</span>'


def category_badges(categories: Iterable[str]) -> str:
    return "".join(f'<span class="badge">{esc(c.replace("_", " "))}</span>' for c in categories)


_MATERIAL_BADGE = '<span class="badge sev-high">MATERIAL</span>'


def change_badges(change: dict[str, Any]) -> str:
    """Badges of a recorded change (a ``changes --format json`` entry)."""
    parts = [severity_badge(change["severity"])]
    if change["material"]:
        parts.append(_MATERIAL_BADGE)
    elif change["cosmetic_only"]:
        parts.append('<span class="badge">cosmetic only</span>')
    if change.get("flip"):
        parts.append('<span class="badge">flip</span>')
    if change.get("technical_upgrade"):
        parts.append('<span class="badge">technical upgrade</span>')
    parts.append(category_badges(change["categories"]))
    return "".join(parts)


def clause_badges(change: ClauseChange) -> str:
    """Kind, severity, material, cosmetic and category badges of one clause change."""
    a = change.assessment
    parts = [f'<span class="badge">{esc(change.kind)}</span>', severity_badge(a.severity)]
    if a.material:
        parts.append(_MATERIAL_BADGE)
    if change.cosmetic:
        parts.append('<span class="badge">cosmetic</span>')
    parts.append(category_badges(a.categories))
    return "".join(parts)


def heading_path(change: ClauseChange, sep: str = " › ") -> str:
    return sep.join(change.heading) if change.heading else "(top of document)"


def clause_section(
    change: ClauseChange, number: int, *, base_url: str | None = None, side_by_side: bool = True, folded: bool = False,
) -> str:
    """One clause change: anchor, badges, where, why, the redline (and a side-by-side view).

    ``folded``: a cosmetic or severity-none change sits in a closed ``<details>``, so substance stands out.
    """
    a = change.assessment
    moved = f" (moved from clause {change.old_ordinal} to clause {change.new_ordinal})" if change.kind == "moved" else ""
    reason = f'<div class="reason"><span class="label">Why:</span> {prose(a.reason)}</div>' if a.reason else ""
    ops = readable_ops(change_ops(change))
    side = side_by_side and change.kind == "modified"
    body = f'<div class="clause inline{" has-side" if side else ""}">{redline_markdown(ops, base_url)}</div>'
    if side:
        body += (
            f'<div class="side"><div><span class="label">Before</span>{side_markdown(ops, DELETE, base_url)}</div>'
            f'<div><span class="label">After</span>{side_markdown(ops, INSERT, base_url)}</div></div>'
        )
    meta = (f'<div class="meta"><a class="anchor" href="#c{number}" title="Link to this clause change">#{number}</a>'
            f"{clause_badges(change)} in {esc(heading_path(change))}{moved}</div>")
    if folded and not a.material and (change.cosmetic or a.severity == "none"):
        what = "cosmetic edit" if change.cosmetic else f"{change.kind}, severity none"
        return (f'<details class="minor change" id="c{number}"><summary>#{number} {esc(what)} in '
                f"{esc(heading_path(change))}</summary>{meta}{reason}{body}</details>")
    return f'<section class="change{" material" if a.material else ""}" id="c{number}">{meta}{reason}{body}</section>'



def context_html(texts: Sequence[str], base_url: str | None = None) -> str:
    """Unchanged clauses shown around a change, greyed."""
    return "".join(f'<div class="context">{markdown_html(t, base_url)}</div>' for t in texts)


def view_toggle() -> str:
    """Inline / side-by-side switch without JavaScript: radio inputs that CSS reads (``:checked ~``).

    Must be followed, as a sibling, by the ``<div class="changes">`` holding the clause sections.
    """
    return (
        '<div class="meta" id="view">View: '
        '</div><input type="radio" name="view" id="view-inline" class="view" checked>'
        '<label for="view-inline">Inline redline</label>'
        '<input type="radio" name="view" id="view-side" class="view"><label for="view-side">Side by side</label>'
    )
