"""The static HTML report: an index of policies, a timeline per policy, a page per change, an Atom feed.

Written for someone who never read the docs and may be offline: every page is
one self-contained file (inline CSS and SVG, no scripts, no fonts or images from
a CDN) and says in plain words what "material" and "severity" mean. Policy text
comes from websites we do not control: it is rendered by ``tracker.render``
(Markdown with raw HTML off, then sanitised), and every policy name and URL is
escaped; a Content-Security-Policy forbidding scripts backs that up.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from policywatch.db import changes as change_db
from policywatch.db import report_queries as report_db
from policywatch.tracker.report.change_page import change_page
from policywatch.tracker.report.common import SAFE_NAME
from policywatch.tracker.report.feed import feed_xml
from policywatch.tracker.report.index import index_page
from policywatch.tracker.report.timeline import timeline_page

__all__ = ["write_report"]

MARKER = ".policywatch-report"


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
        site.write(f"policies/{files[policy['id']]}", timeline_page(db, policy, changes))
        for number, change in enumerate(changes):
            neighbours = (changes[number - 1] if number else None, changes[number + 1] if number + 1 < len(changes) else None)
            site.write(f"changes/{change['change_id']}.html", change_page(db, policy, files[policy["id"]], change, neighbours))
    index = site.write("index.html", index_page(policies, files, all_changes))
    site.write("feed.xml", feed_xml(db, all_changes))
    site.remove_stale()
    return index


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
    slugs = {p["id"]: SAFE_NAME.sub("-", p["name"]).strip(".-")[:80] or f"policy-{p['id']}" for p in policies}
    taken = Counter(slugs.values())
    return {pid: f"{slug}-{pid}.html" if taken[slug] > 1 else f"{slug}.html" for pid, slug in slugs.items()}
