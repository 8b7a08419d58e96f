"""The report's front page: every policy with its recent material changes, then the list of them."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from policywatch.db.policies import utc_now
from policywatch.tracker.render.html import change_badges, esc, prose
from policywatch.tracker.report.common import day, href, legend, plural, report_page, status, url_link, when


def is_material(change: dict[str, Any]) -> bool:
    return bool(change["material"]) and not change["technical_upgrade"]


def index_page(policies: Sequence[dict[str, Any]], files: dict[int, str], changes: Sequence[dict[str, Any]]) -> str:
    now = utc_now()
    material = sorted((c for c in changes if is_material(c)), key=lambda c: (c["to_time"], c["change_id"]), reverse=True)
    body = [
        "<h1>Privacy policy changes</h1>",
        f'<p class="meta">Report generated {when(now)} from the policywatch database; '
        "run <code>policywatch report</code> again to refresh it. "
        'Follow material changes in a feed reader: <a href="feed.xml">feed.xml</a> (Atom).</p>',
        f"<p>{plural(len(policies), 'tracked policy', 'tracked policies')}, "
        f"{plural(len(material), 'material change')} recorded. "
        "Open a policy to see its versions over time; open a change to see exactly which words changed and why.</p>",
    ]
    if not policies:
        body.append(
            "<p>No policy is tracked yet. Start with <code>policywatch add URL --name NAME</code>, then "
            "<code>policywatch crawl --archive --live</code> (or <code>policywatch import DIR --name NAME</code>), "
            "then <code>policywatch report</code> again.</p>"
        )
        return report_page("policywatch report", body + [legend(open_=True)])
    body.append("<h2>Policies</h2>")
    body.append(_policy_table(policies, files, material, now))
    body.append(legend(open_=True))
    body.append("<h2>Material changes, newest first</h2>")
    if material:
        body.append("<ul>" + "".join(_material_item(c) for c in material) + "</ul>")
    else:
        body.append("<p>None recorded: no change so far widened a data practice or weakened a protection.</p>")
    return report_page("policywatch report", body)


def _year_before(now: str) -> str:
    moment = datetime.fromisoformat(now.replace("Z", "+00:00")).astimezone(timezone.utc)
    return (moment - timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _policy_table(policies: Sequence[dict[str, Any]], files: dict[int, str], material: Sequence[dict[str, Any]],
                  now: str) -> str:
    since = _year_before(now)
    head = (
        "<table><thead><tr><th>Policy</th><th>Address</th><th>Versions</th><th>Latest version</th>"
        "<th>Material changes, last 12 months</th><th>Latest material change</th><th>Tracking</th></tr></thead><tbody>"
    )
    rows = []
    for p in policies:
        own = [c for c in material if c["policy"] == p["name"]]  # newest first
        recent = sum(1 for c in own if c["to_time"] >= since)
        css = ' class="material"' if own else ""
        if own:
            latest = own[0]
            last = (f'<a href="{href("changes/%d.html" % latest["change_id"])}">{day(latest["to_time"])}</a> '
                    f'<span class="meta">({plural(int(p["material_changes"]), "in all", "in all")})</span>')
        else:
            last = "none recorded"
        count = f'<span class="count-material">{recent}</span>' if recent else "0"
        rows.append(
            f"<tr{css}><td><a href=\"{href('policies/' + files[p['id']])}\">{esc(p['name'])}</a></td>"
            f"<td>{url_link(p['url'])}</td><td>{int(p['versions'])}</td>"
            f"<td>{day(p['latest_version_time'], 'none yet')}</td><td>{count}</td><td>{last}</td><td>{status(p)}</td></tr>"
        )
    return head + "".join(rows) + "</tbody></table>"


def _material_item(change: dict[str, Any]) -> str:
    return (
        f'<li class="material"><a href="{href("changes/%d.html" % change["change_id"])}">{day(change["to_time"])} '
        f"{esc(change['policy'])}</a> {change_badges(change)}<br>{prose(change['summary'])}</li>"
    )
