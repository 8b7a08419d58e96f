"""A policy's page: its history as a picture, then every version newest first with the change that made it."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from policywatch.db import report_queries as report_db
from policywatch.db import versions as version_db
from policywatch.tracker.render.html import change_badges, esc, prose
from policywatch.tracker.render.markdown import markdown_plain
from policywatch.tracker.render.timeline import TimelineVersion, timeline_svg
from policywatch.tracker.report.common import href, legend, plural, report_page, status, url_link, version_label, when


def timeline_page(db: Database, policy: dict[str, Any], changes: Sequence[dict[str, Any]]) -> str:
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
        f"<p>{url_link(policy['url'])}<br>{plural(len(versions), 'version')}, "
        f"{plural(int(policy['material_changes']), 'material change')}. Tracking: {status(policy)}.",
    ]
    if outcomes:
        attempts = ", ".join(f"{n} {esc(o)}" for o, n in outcomes.items())
        body.append(f"<br>Fetch attempts: {attempts}.")
    body.append("</p>")
    marks = [
        TimelineVersion(v["id"], numbers[v["id"]], v["capture_time"],
                        any(c["material"] and not c["technical_upgrade"] for c in by_target.get(v["id"], [])),
                        "; ".join(markdown_plain(c["summary"]) for c in by_target.get(v["id"], []))[:200])
        for v in versions
    ]
    body.append(timeline_svg(marks, report_db.capture_times(db, policy["id"])))
    body.append(legend())
    body.append("<h2>Versions, newest first</h2>")
    if not versions:
        body.append("<p>No version yet: the policy has not been fetched successfully. Run <code>policywatch crawl</code>.</p>")
    for version in reversed(versions):
        body.append(_version_entry(version, numbers, sources.get(version["id"], {}), by_target.get(version["id"], []), alerts))
    return report_page(f"{policy['name']}: timeline", body, up="../")


def _version_entry(
    version: dict[str, Any], numbers: dict[int, int], sources: dict[str, int],
    changes: Sequence[dict[str, Any]], alerts: dict[int, dict[str, int]],
) -> str:
    """One version: when and how it was seen, and the change(s) that led to it."""
    material = any(c["material"] and not c["technical_upgrade"] for c in changes)
    seen = ", ".join(f"{esc(s)}" + (f" ({n} captures)" if n > 1 else "") for s, n in sources.items()) or "unknown"
    effective = f"effective date stated: {esc(version['effective_date'])}" if version["effective_date"] else "no effective date stated"
    number = numbers[version["id"]]
    lines = [
        f'<section class="entry{" material" if material else ""}" id="v{int(version["id"])}">',
        f"<h3>v{number}{' (latest)' if number == len(numbers) else ''}: captured {when(version['capture_time'])}</h3>",
        f'<div class="meta version">Source: {seen} · {effective} · {int(version["word_count"]):,} words, '
        f"{int(version['clause_count'])} clauses · database id {int(version['id'])}</div>",
    ]
    if version["flip_of"]:
        earlier = numbers.get(version["flip_of"])
        ref = f'<a href="#v{int(version["flip_of"])}">v{earlier}</a>' if earlier else "an earlier version"
        lines.append(f'<p><span class="badge">flip</span> Same text as {ref}: the page went back to a text seen before.</p>')
    if version["technical_upgrade"]:
        lines.append('<p><span class="badge">technical upgrade</span> Re-extracted with an improved extractor; '
                     "differences from the old text are not the site's doing.</p>")
    for change in changes:
        lines.append(_change_summary(change, alerts.get(change["change_id"], {})))
    if not changes and number == 1:
        lines.append("<p>First version on record.</p>")
    lines.append("</section>")
    return "".join(lines)


def _change_summary(change: dict[str, Any], alerted: dict[str, int]) -> str:
    since = version_label(change["from_number"]) if change["from_number"] else "the previous extraction"
    return (
        f'<div><span class="label">Change since {esc(since)}:</span> {change_badges(change)}</div>'
        f"<p>{prose(change['summary'])} {_alert_note(change, alerted)}"
        f'<a href="{href("../changes/%d.html" % change["change_id"])}">See what changed, word by word</a></p>'
    )


def _alert_note(change: dict[str, Any], alerted: dict[str, int]) -> str:
    """Whether anyone was told: material changes that raised no alert say why not, briefly."""
    if alerted:
        parts = ", ".join(f"{n} {esc(s)}" for s, n in sorted(alerted.items()))
        return f'<span class="label">Alerts:</span> {parts}. '
    if change["material"] and not change["technical_upgrade"]:
        return ("<span class=\"meta\">No alert: history filled in from the archive or an import, "
                "or no channel matched.</span> ")
    return ""
