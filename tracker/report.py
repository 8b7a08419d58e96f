"""The static HTML report: an index of policies, a timeline per policy, a page per change.

Written for someone who never read the docs and may be offline: every page is
one self-contained file (inline CSS, no scripts, no fonts or images from a CDN)
and says in plain words what "material" and "severity" mean. Policy text comes
from websites we do not control, so every piece of it (and every policy name
and URL) goes through ``html.escape``; a Content-Security-Policy forbidding
scripts backs that up. Redlines reuse ``tracker.compare``'s renderer pieces.
"""
from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from sqlite_utils import Database

from policywatch.db import changes as change_db
from policywatch.db.policies import utc_now
from policywatch.db import report_queries as report_db
from policywatch.db import versions as version_db
from policywatch.tracker.compare import _CSS, change_ops
from policywatch.tracker.model import Assessment, ClauseChange
from policywatch.tracker.redline import redline_html

__all__ = ["write_report"]

MARKER = ".policywatch-report"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_MATERIAL_BADGE = ' <span class="badge sev-high">MATERIAL</span>'

_REPORT_CSS = """
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #ddd; vertical-align: top; }
th { background: #f1f3f5; }
tr.material td:first-child, .entry.material { border-left: .35rem solid #c92a2a; }
.entry { border: 1px solid #ddd; border-radius: .4rem; padding: .6rem .9rem; margin: .8rem 0; }
.entry.material { background: #fff5f5; }
.entry h3 { margin: 0 0 .3rem; font-size: 1.05rem; }
.version { color: #333; }
.url { word-break: break-all; }
nav { font-size: .9rem; margin-bottom: 1rem; }
.legend { font-size: .9rem; background: #f8f9fa; border-radius: .4rem; padding: .5rem 1rem; }
.legend dt { font-weight: 600; margin-top: .4rem; }
.legend dd { margin-left: 1rem; }
.change.material { border-left: .35rem solid #c92a2a; padding-left: .6rem; background: #fff5f5; }
.label { font-weight: 600; }
code { background: #f1f3f5; padding: 0 .25rem; border-radius: .2rem; }
.status-ok { color: #2b8a3e; } .status-bad { color: #c92a2a; font-weight: 600; }
"""

# No scripts, frames, images or remote anything: hostile text that slipped past escaping could not run.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

_LEGEND = """
<details class="legend"{open}><summary>How to read this report: severity, material, flips</summary><dl>
<dt>Material change</dt>
<dd>A change that probably matters to the people whose data the policy covers: it adds or widens
sharing, sale, collection of new kinds of data, new purposes or tracking; removes or weakens a
protection (a right, an opt-out, a retention limit, a children's age limit, a security promise);
adds an international transfer; or changes who controls the data. Material changes send alerts.</dd>
<dt>Severity</dt>
<dd><span class="badge sev-high">high</span> and <span class="badge sev-medium">medium</span>: material.
<span class="badge sev-low">low</span>: a real change of substance that is not material (it narrows a
practice, adds a protection, or only changes contact details).
<span class="badge sev-none">none</span>: cosmetic only (wording, punctuation, a new "last updated" date).</dd>
<dt>Categories</dt>
<dd>What the changed text is about: collection, sharing, sale, purpose, tracking, retention,
user rights, children, international transfer, security, policy change, contact.</dd>
<dt>Flip</dt>
<dd>The page went back to a text seen before (often an A/B test or a regional variant). It alerts at most once.</dd>
<dt>Technical upgrade</dt>
<dd>The text differs only because policywatch's text extraction improved, not because the site changed
it. Never alerts.</dd>
<dt>Sources</dt>
<dd><b>live</b>: fetched from the website; <b>wayback</b>: an Internet Archive (Wayback Machine) capture;
<b>import</b>: loaded from files.</dd>
</dl></details>
"""


def write_report(db: Database, out_dir: str | Path) -> Path:
    """Write the whole report under ``out_dir`` and return the path of its ``index.html``.

    Re-running overwrites the pages; stale pages of a previous report in the same
    folder (a policy or change that no longer exists) are removed so no link lies.
    """
    out = Path(out_dir)
    site = _Site(out)
    policies = report_db.policy_overview(db)
    files = _policy_files(policies)
    all_changes: list[dict[str, Any]] = []
    for policy in policies:
        changes = change_db.list_changes(db, policy_id=policy["id"])
        all_changes.extend(changes)
        site.write(f"policies/{files[policy['id']]}", _timeline_page(db, policy, changes))
        for number, change in enumerate(changes):
            neighbours = (changes[number - 1] if number else None, changes[number + 1] if number + 1 < len(changes) else None)
            page = _change_page(db, policy, files[policy["id"]], change, neighbours)
            site.write(f"changes/{change['change_id']}.html", page)
    index = site.write("index.html", _index_page(policies, files, all_changes))
    site.remove_stale()
    return index


# --- files ---------------------------------------------------------------------


class _Site:
    """The output folder: remembers what it wrote so stale pages can be removed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: set[Path] = set()
        self.ours = (root / MARKER).exists()  # a folder holding an earlier report: its old pages are ours
        (root / "policies").mkdir(parents=True, exist_ok=True)
        (root / "changes").mkdir(parents=True, exist_ok=True)
        (root / MARKER).write_text("Written by `policywatch report`; pages here are regenerated.\n", encoding="utf-8")

    def write(self, relative: str, content: str) -> Path:
        path = self.root / relative
        path.write_text(content, encoding="utf-8")
        self.written.add(path)
        return path

    def remove_stale(self) -> None:
        """Only in a folder an earlier report made, only .html files in our subfolders."""
        if not self.ours:
            return
        for sub in ("policies", "changes"):
            for path in (self.root / sub).glob("*.html"):
                if path not in self.written:
                    path.unlink()


def _policy_files(policies: Sequence[dict[str, Any]]) -> dict[int, str]:
    """A timeline file name per policy: its name made path-safe, with the id added when two collide."""
    slugs = {p["id"]: _SAFE_NAME.sub("-", p["name"]).strip(".-")[:80] or f"policy-{p['id']}" for p in policies}
    taken = Counter(slugs.values())
    return {pid: f"{slug}-{pid}.html" if taken[slug] > 1 else f"{slug}.html" for pid, slug in slugs.items()}


# --- small HTML pieces -----------------------------------------------------------


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _legend(*, open_: bool = False) -> str:
    """Open on the index (first thing a newcomer sees), folded on the detail pages."""
    return _LEGEND.replace("{open}", " open" if open_ else "")


def esc(value: object) -> str:
    """Escape text for element content and quoted attributes alike."""
    return html.escape(str(value), quote=True)


def _href(path: str) -> str:
    return esc(quote(path))


def _page(title: str, body: Iterable[str], *, up: str = "") -> str:
    """A complete standalone page; ``up`` is the relative path back to the report root."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            '<meta name="referrer" content="no-referrer">',
            f"<title>{esc(title)}</title><style>{_CSS}{_REPORT_CSS}</style></head><body>",
            *body,
            f'<footer class="meta"><p>Generated by policywatch. <a href="{up}index.html">All policies</a>.</p></footer>',
            "</body></html>",
        ]
    ) + "\n"


def _when(iso: str | None) -> str:
    """``2025-11-27T18:20:45Z`` as a readable UTC time inside a <time> element."""
    if not iso:
        return "unknown"
    shown = iso.replace("T", " ")[:16] + " UTC" if "T" in iso else iso
    return f'<time datetime="{esc(iso)}">{esc(shown)}</time>'


def _day(iso: str | None) -> str:
    return f'<time datetime="{esc(iso)}">{esc(iso[:10])}</time>' if iso else "never"


def _severity_badge(severity: str | None) -> str:
    if not severity:
        return ""
    return f'<span class="badge sev-{esc(severity)}">severity {esc(severity)}</span>'


def _category_badges(categories: Iterable[str]) -> str:
    return "".join(f'<span class="badge">{esc(c.replace("_", " "))}</span>' for c in categories)


def _change_badges(change: dict[str, Any]) -> str:
    """Severity, material, flip/technical upgrade and category badges of one change."""
    parts = [_severity_badge(change["severity"])]
    if change["material"]:
        parts.append(_MATERIAL_BADGE)
    elif change["cosmetic_only"]:
        parts.append('<span class="badge">cosmetic only</span>')
    if change.get("flip"):
        parts.append('<span class="badge">flip</span>')
    if change.get("technical_upgrade"):
        parts.append('<span class="badge">technical upgrade</span>')
    parts.append(_category_badges(change["categories"]))
    return "".join(parts)


def _url_link(url: str) -> str:
    """The policy URL as a link, but only for http(s): a ``javascript:`` URL stays plain text."""
    if urlparse(url).scheme.lower() in ("http", "https"):
        return f'<a class="url" href="{esc(url)}" rel="noopener noreferrer nofollow">{esc(url)}</a>'
    return f'<span class="url">{esc(url)}</span>'


def _status(policy: dict[str, Any]) -> str:
    """Tracking status in words: is the page still being fetched successfully, and since when."""
    status = policy.get("tracking_status") or "ok"
    css = "status-ok" if status == "ok" else "status-bad"
    text = esc(status)
    if policy.get("last_outcome") and policy["last_outcome"] not in ("ok", "not_modified"):
        failures = policy.get("consecutive_failures") or 0
        text += f" (last check: {esc(policy['last_outcome'])}, {int(failures)} failed in a row)"
    checked = f", live page checked {_day(policy['last_checked_at'])}" if policy.get("last_checked_at") else \
        ", live page not checked yet"
    return f'<span class="{css}">{text}</span>{checked}'


# --- index -------------------------------------------------------------------------


def _index_page(policies: Sequence[dict[str, Any]], files: dict[int, str], changes: Sequence[dict[str, Any]]) -> str:
    body = [
        "<h1>Privacy policy changes</h1>",
        f'<p class="meta">Report generated {_when(utc_now())} from the policywatch database; '
        "run <code>policywatch report</code> again to refresh it.</p>",
        f"<p>{_plural(len(policies), 'tracked policy', 'tracked policies')}, "
        f"{_plural(sum(1 for c in changes if c['material'] and not c['technical_upgrade']), 'material change')} recorded. "
        "Open a policy to see its versions over time; open a change to see exactly which words changed and why.</p>",
        _legend(open_=True),
    ]
    if not policies:
        body.append(
            "<p>No policy is tracked yet. Start with <code>policywatch add URL --name NAME</code>, then "
            "<code>policywatch crawl --archive --live</code> (or <code>policywatch import DIR --name NAME</code>), "
            "then <code>policywatch report</code> again.</p>"
        )
        return _page("policywatch report", body)
    body.append("<h2>Policies</h2>")
    body.append(_policy_table(policies, files))
    material = [c for c in changes if c["material"] and not c["technical_upgrade"]]
    body.append("<h2>Material changes, newest first</h2>")
    if material:
        items = sorted(material, key=lambda c: (c["to_time"], c["change_id"]), reverse=True)
        body.append("<ul>" + "".join(_material_item(c) for c in items) + "</ul>")
    else:
        body.append("<p>None recorded: no change so far widened a data practice or weakened a protection.</p>")
    return _page("policywatch report", body)


def _policy_table(policies: Sequence[dict[str, Any]], files: dict[int, str]) -> str:
    head = (
        "<table><thead><tr><th>Policy</th><th>URL</th><th>Versions</th><th>Last change</th>"
        "<th>Its severity</th><th>Material changes</th><th>Tracking</th></tr></thead><tbody>"
    )
    rows = []
    for p in policies:
        css = ' class="material"' if p["last_material"] else ""
        if p["last_change_id"] is not None:
            last = f'<a href="{_href("changes/%d.html" % p["last_change_id"])}">{_day(p["last_change_time"])}</a>'
        else:
            last = "no change yet"
        rows.append(
            f"<tr{css}><td><a href=\"{_href('policies/' + files[p['id']])}\">{esc(p['name'])}</a></td>"
            f"<td>{_url_link(p['url'])}</td><td>{int(p['versions'])}</td><td>{last}</td>"
            f"<td>{_severity_badge(p['last_severity']) or '-'}{_MATERIAL_BADGE if p['last_material'] else ''}</td>"
            f"<td>{int(p['material_changes'])}</td><td>{_status(p)}</td></tr>"
        )
    return head + "".join(rows) + "</tbody></table>"


def _material_item(change: dict[str, Any]) -> str:
    return (
        f'<li class="material"><a href="{_href("changes/%d.html" % change["change_id"])}">{_day(change["to_time"])} '
        f"{esc(change['policy'])}</a> {_change_badges(change)}<br>{esc(change['summary'])}</li>"
    )


# --- timeline -----------------------------------------------------------------------


def _timeline_page(db: Database, policy: dict[str, Any], changes: Sequence[dict[str, Any]]) -> str:
    """Versions newest first, each with the change that produced it."""
    versions = version_db.policy_versions(db, policy["id"])
    sources = report_db.version_sources(db, policy["id"])
    outcomes = report_db.capture_outcomes(db, policy["id"])
    by_target: dict[int, list[dict[str, Any]]] = {}
    for change in changes:  # a re-extracted latest version has its own change and a technical upgrade
        by_target.setdefault(change["to_version"], []).append(change)
    alerts = report_db.alert_status_by_change(db, policy["id"])
    numbers = {v["id"]: n for n, v in enumerate(versions, 1)}
    body = [
        '<nav><a href="../index.html">All policies</a></nav>',
        f"<h1>{esc(policy['name'])}: privacy policy timeline</h1>",
        f"<p>{_url_link(policy['url'])}<br>{_plural(len(versions), 'version')}, "
        f"{_plural(int(policy['material_changes']), 'material change')}. Tracking: {_status(policy)}.",
    ]
    if outcomes:
        attempts = ", ".join(f"{n} {esc(o)}" for o, n in outcomes.items())
        body.append(f"<br>Fetch attempts: {attempts}.")
    body.append("</p>")
    body.append(_legend())
    body.append("<h2>Versions, newest first</h2>")
    if not versions:
        body.append("<p>No version yet: the policy has not been fetched successfully. Run <code>policywatch crawl</code>.</p>")
    for version in reversed(versions):
        body.append(_version_entry(version, numbers, sources.get(version["id"], {}), by_target.get(version["id"], []), alerts))
    return _page(f"{policy['name']}: timeline", body, up="../")


def _version_entry(
    version: dict[str, Any], numbers: dict[int, int], sources: dict[str, int],
    changes: Sequence[dict[str, Any]], alerts: dict[int, dict[str, int]],
) -> str:
    """One version: when and how it was seen, and the change(s) that led to it."""
    material = any(c["material"] and not c["technical_upgrade"] for c in changes)
    seen = ", ".join(f"{esc(s)}" + (f" ({n} captures)" if n > 1 else "") for s, n in sources.items()) or "unknown"
    effective = f"effective date stated: {esc(version['effective_date'])}" if version["effective_date"] else "no effective date stated"
    lines = [
        f'<section class="entry{" material" if material else ""}" id="v{int(version["id"])}">',
        f"<h3>Version {numbers[version['id']]}{' (latest)' if numbers[version['id']] == len(numbers) else ''}: "
        f"captured {_when(version['capture_time'])}</h3>",
        f'<div class="meta version">Source: {seen} · {effective} · {int(version["word_count"]):,} words, '
        f"{int(version['clause_count'])} clauses · id {int(version['id'])}</div>",
    ]
    if version["flip_of"]:
        earlier = numbers.get(version["flip_of"])
        ref = f'<a href="#v{int(version["flip_of"])}">version {earlier}</a>' if earlier else "an earlier version"
        lines.append(f'<p><span class="badge">flip</span> Same text as {ref}: the page went back to a text seen before.</p>')
    if version["technical_upgrade"]:
        lines.append('<p><span class="badge">technical upgrade</span> Re-extracted with an improved extractor; '
                     "differences from the old text are not the site's doing.</p>")
    for change in changes:
        lines.append(_change_summary(change, numbers, alerts.get(change["change_id"], {})))
    if not changes and numbers[version["id"]] == 1:
        lines.append("<p>First version on record.</p>")
    lines.append("</section>")
    return "".join(lines)


def _change_summary(change: dict[str, Any], numbers: dict[int, int], alerted: dict[str, int]) -> str:
    origin = numbers.get(change["from_version"])
    since = f"version {origin}" if origin else "the previous extraction"
    return (
        f'<div><span class="label">Change since {since}:</span> {_change_badges(change)}</div>'
        f"<p>{esc(change['summary'])} {_alert_note(change, alerted)}"
        f'<a href="{_href("../changes/%d.html" % change["change_id"])}">See what changed, word by word</a></p>'
    )


def _alert_note(change: dict[str, Any], alerted: dict[str, int]) -> str:
    """Whether anyone was told: material changes that raised no alert say why not, briefly."""
    if alerted:
        parts = ", ".join(f"{n} {esc(status)}" for status, n in sorted(alerted.items()))
        return f'<span class="label">Alerts:</span> {parts}. '
    if change["material"] and not change["technical_upgrade"]:
        return ("<span class=\"meta\">No alert: history filled in from the archive or an import, "
                "or no channel matched.</span> ")
    return ""


# --- change page ---------------------------------------------------------------------


@dataclass(frozen=True)
class _StoredClause:
    """A recorded clause change, rebuilt as the tracker's record so compare's redline applies."""

    change: ClauseChange
    number: int


def _clause_records(entries: Sequence[dict[str, Any]]) -> list[_StoredClause]:
    records = []
    for number, e in enumerate(entries, 1):
        assessment = Assessment(
            categories=tuple(e["categories"]), direction=e["direction"], severity=e["severity"],
            material=e["material"], reason=e["reason"],
        )
        change = ClauseChange(
            kind=e["kind"], old_ordinal=e["old_ordinal"], new_ordinal=e["new_ordinal"],
            old_text=e["old_text"], new_text=e["new_text"], heading=tuple(e["heading"]),
            cosmetic=e["cosmetic"], assessment=assessment,
        )
        records.append(_StoredClause(change, number))
    return records


def _change_page(
    db: Database, policy: dict[str, Any], policy_file: str, change: dict[str, Any],
    neighbours: tuple[dict[str, Any] | None, dict[str, Any] | None],
) -> str:
    records = _clause_records(change_db.clause_changes_json(db, change["change_id"]))
    name = policy["name"]
    material = change["material"] and not change["technical_upgrade"]
    timeline = _href("../policies/" + policy_file)
    title = f"{name}: change of {change['to_time'][:10]}"
    body = [
        f'<nav><a href="../index.html">All policies</a> › <a href="{timeline}">{esc(name)} timeline</a>'
        f"{_neighbour_links(neighbours)}</nav>",
        f"<h1>{esc(title)}</h1>",
        f'<div class="summary{" material" if material else ""}"><div>{_change_badges(change)}</div>'
        f"<p>{esc(change['summary'])}</p>"
        f"<p>From the version captured {_when(change['from_time'])} to the version captured {_when(change['to_time'])}; "
        f"{_plural(len(records), 'clause change')}.</p></div>",
        "<p class=\"meta\">In the clauses below, <del>struck-out red words</del> were removed and "
        "<ins>green words</ins> were added. Each clause says why it was judged as it was. "
        f"Same view in a terminal: <code>policywatch diff {esc(_shell_word(name))} --from {int(change['from_version'])} "
        f"--to {int(change['to_version'])}</code></p>",
        _legend(),
    ]
    body.extend(_clause_sections(records))
    return _page(title, body, up="../")


def _shell_word(word: str) -> str:
    """Quote a policy name for the copy-paste command when it is not a plain word."""
    return word if re.fullmatch(r"[A-Za-z0-9._-]+", word) else "'" + word.replace("'", "'\\''") + "'"


def _neighbour_links(neighbours: tuple[dict[str, Any] | None, dict[str, Any] | None]) -> str:
    older, newer = neighbours
    links = []
    if older is not None:
        links.append(f'<a href="{_href("%d.html" % older["change_id"])}">‹ older change</a>')
    if newer is not None:
        links.append(f'<a href="{_href("%d.html" % newer["change_id"])}">newer change ›</a>')
    return (" · " + " · ".join(links)) if links else ""


def _clause_sections(records: Sequence[_StoredClause]) -> list[str]:
    """Material clauses listed first as a jump list; cosmetic edits folded away."""
    if not records:
        return ["<p>No clause-level differences were recorded for this change.</p>"]
    material = [r for r in records if r.change.assessment.material]
    substantive = [r for r in records if not r.change.cosmetic and r.change.assessment.severity != "none"]
    minor = [r for r in records if r.change.cosmetic or r.change.assessment.severity == "none"]
    parts = []
    if material and len(records) > 3:  # a jump list only helps when there is something to skip
        jump = "".join(
            f'<li><a href="#c{r.number}">Clause change {r.number}</a>: {esc(r.change.assessment.reason)}</li>' for r in material
        )
        parts.append(f"<h2>Material clauses</h2><ul>{jump}</ul>")
    parts.append("<h2>Clause changes</h2>")
    parts.extend(_clause_html(r) for r in substantive)
    if minor:
        folded = "".join(_clause_html(r) for r in minor)
        parts.append(
            f"<details><summary>{len(minor)} cosmetic or neutral edits (wording, punctuation, dates, moves)</summary>"
            f"{folded}</details>"
        )
    return parts


def _clause_html(record: _StoredClause) -> str:
    """One clause change: badges, where it is, why it was judged so, and its redline."""
    change, a = record.change, record.change.assessment
    badges = [f'<span class="badge">{esc(change.kind)}</span>', _severity_badge(a.severity)]
    if a.material:
        badges.append('<span class="badge sev-high">MATERIAL</span>')
    if change.cosmetic:
        badges.append('<span class="badge">cosmetic</span>')
    badges.append(_category_badges(a.categories))
    where = " › ".join(change.heading) if change.heading else "(top of document)"
    moved = ""
    if change.kind == "moved":
        moved = f" (moved from clause {change.old_ordinal} to clause {change.new_ordinal})"
    reason = f'<div class="reason"><span class="label">Why:</span> {esc(a.reason)}</div>' if a.reason else ""
    return (
        f'<section class="change{" material" if a.material else ""}" id="c{record.number}">'
        f'<div class="meta">#{record.number} {"".join(badges)} in {esc(where)}{moved}</div>{reason}'
        f'<div class="clause">{redline_html(change_ops(change))}</div></section>'
    )
