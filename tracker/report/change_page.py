"""A change's page: what changed between two versions, findings first, then the clauses in context."""
from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from policywatch.db import versions as version_db
from policywatch.tracker.history import clause_changes
from policywatch.tracker.render.changes import change_body
from policywatch.tracker.render.findings import change_findings
from policywatch.tracker.render.html import change_badges, esc, prose
from policywatch.tracker.report.common import (
    href, is_web, legend, plural, report_page, shell_word, version_label, when,
)


def change_title(change: dict[str, Any]) -> str:
    return (f"{change['policy']}: {version_label(change['from_number'])} → {version_label(change['to_number'])}, "
            f"change of {change['to_time'][:10]}")


def change_page(
    db: Database, policy: dict[str, Any], policy_file: str, change: dict[str, Any],
    neighbours: tuple[dict[str, Any] | None, dict[str, Any] | None],
) -> str:
    clauses = clause_changes(db, change["change_id"])
    new_texts = [row["text"] for row in version_db.version_clause_rows(db, change["to_version"])]
    old = version_db.get_version(db, change["from_version"])
    name = policy["name"]
    material = change["material"] and not change["technical_upgrade"]
    title = change_title(change)
    command = ""
    if change["from_number"] and change["to_number"]:
        command = (f"Same view in a terminal: <code>policywatch diff {esc(shell_word(name))} "
                   f"--from {int(change['from_number'])} --to {int(change['to_number'])}</code>")
    body = [
        f'<nav><a href="../index.html">All policies</a> › <a href="{href("../policies/" + policy_file)}">{esc(name)} timeline</a>'
        f"{_neighbour_links(neighbours)}</nav>",
        f"<h1>{esc(title)}</h1>",
        f'<div class="summary{" material" if material else ""}"><div>{change_badges(change)}</div>'
        f"<p>{prose(change['summary'])}</p>"
        f"<p>From {esc(version_label(change['from_number']))}, captured {when(change['from_time'])}, "
        f"to {esc(version_label(change['to_number']))}, captured {when(change['to_time'])}: "
        f"{plural(len(clauses), 'clause change')}.</p></div>",
        f'<p class="meta">{command}</p>' if command else "",
        legend(),
    ]
    body += change_body(
        clauses, new_texts, int(old["clause_count"]) if old else 0,
        findings=change_findings(change, clauses), base_url=policy["url"] if is_web(policy["url"]) else None,
    )
    return report_page(title, body, up="../")


def _neighbour_links(neighbours: tuple[dict[str, Any] | None, dict[str, Any] | None]) -> str:
    older, newer = neighbours
    links = []
    if older is not None:
        links.append(f'<a href="{href("%d.html" % older["change_id"])}">‹ older change</a>')
    if newer is not None:
        links.append(f'<a href="{href("%d.html" % newer["change_id"])}">newer change ›</a>')
    return (" · " + " · ".join(links)) if links else ""
