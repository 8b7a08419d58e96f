"""``feed.xml``: an Atom feed of material changes, so people can follow policies in a feed reader.

One entry per material change (technical upgrades excluded), newest first, each
with its summary and top findings; links are relative to the feed's own address,
so the report folder can be published anywhere.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree as ET

from sqlite_utils import Database

from policywatch.db.policies import utc_now
from policywatch.tracker.history import clause_changes
from policywatch.tracker.render.findings import change_findings
from policywatch.tracker.render.html import esc, prose
from policywatch.tracker.render.markdown import markdown_plain
from policywatch.tracker.report.change_page import change_title

ATOM = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 200
TOP_FINDINGS = 3


def _id(*parts: object) -> str:
    """Stable entry ids across report runs (a UUID from the policy and the two capture times)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "policywatch:" + ":".join(str(p) for p in parts)).urn


def feed_xml(db: Database, changes: Sequence[dict[str, Any]]) -> str:
    ET.register_namespace("", ATOM)
    material = sorted((c for c in changes if c["material"] and not c["technical_upgrade"]),
                      key=lambda c: (c["to_time"], c["change_id"]), reverse=True)[:MAX_ENTRIES]
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "Material privacy policy changes (policywatch)"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = _id("feed")
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = material[0]["to_time"] if material else utc_now()
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href="index.html")
    ET.SubElement(ET.SubElement(feed, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = "policywatch"
    for change in material:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = f"{change_title(change)} (severity {change['severity']})"
        ET.SubElement(entry, f"{{{ATOM}}}id").text = _id(change["policy"], change["from_time"], change["to_time"])
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = change["to_time"]
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=f"changes/{int(change['change_id'])}.html")
        for category in change["categories"]:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=category)
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = markdown_plain(change["summary"])
        ET.SubElement(entry, f"{{{ATOM}}}content", type="html").text = _content(change, change_findings(
            change, clause_changes(db, change["change_id"])))
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def _content(change: dict[str, Any], findings: Sequence[dict[str, Any]]) -> str:
    """Escaped HTML (Atom ``type="html"``): the summary and the top findings, all policy text escaped."""
    items = "".join(
        f"<li><b>{esc(f['severity'])}, {esc(f['category'])}, {esc(f['direction'])}</b>: "
        + (f"“{prose(f['quote'])}” " if f.get("quote") else "") + f"{prose(f.get('reason'))}</li>"
        for f in findings[:TOP_FINDINGS]
    )
    return f"<p>{prose(change['summary'])}</p>" + (f"<ol>{items}</ol>" if items else "")
