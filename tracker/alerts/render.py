"""What an alert says: the webhook JSON body, a plain-text and an HTML message.

Everything is rendered from the database at send time (the outbox row only
points at a change), so a message always reflects the recorded change. The
webhook body follows docs/DESIGN.md exactly; the text/HTML bodies are for people:
policy, URL, capture times, severity, categories, summary and a redline of the
changed clauses. All policy text in HTML is escaped.
"""
from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlite_utils import Database

from policywatch.db import alerts as alerts_db
from policywatch.db.changes import change_json
from policywatch.errors import RenderError
from policywatch.tracker.alerts.outbox import CHANGE, TRACKING_BROKEN, TRACKING_RESTORED
from policywatch.tracker.history import clause_changes
from policywatch.tracker.model import ClauseChange, Finding
from policywatch.tracker.redline import change_ops, redline_text
from policywatch.tracker.render.findings import change_findings
from policywatch.tracker.render.html import CSS, clause_section

# Very long clauses stay readable in mail clients; the webhook body is never cut.
_MAX_CLAUSES_IN_MESSAGE = 50


@dataclass(frozen=True)
class AlertContent:
    """One message, in every form a sender may need."""

    alert_ids: tuple[str, ...]
    subject: str
    text: str
    html: str
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def idempotency_key(self) -> str:
        """The alert id; for a digest, a hash of its alert ids (stable across retries)."""
        if len(self.alert_ids) == 1:
            return self.alert_ids[0]
        joined = ",".join(sorted(self.alert_ids)).encode("ascii")
        return "digest-" + hashlib.sha256(joined).hexdigest()[:32]

    def body_bytes(self) -> bytes:
        """The exact bytes POSTed (and signed) for the webhook."""
        return json.dumps(self.payload, ensure_ascii=False, sort_keys=False).encode("utf-8")


def render_alert(db: Database, alert_id: str) -> AlertContent:
    """Build the content of one outbox row."""
    row = alerts_db.alert_with_context(db, alert_id)
    if row is None:
        raise RenderError(f"alert {alert_id} does not exist")
    if row["kind"] == CHANGE:
        return _render_change(db, row)
    if row["kind"] in (TRACKING_BROKEN, TRACKING_RESTORED):
        return _render_health(row)
    raise RenderError(f"alert {alert_id} has unknown kind {row['kind']!r}")


def render_digest(contents: Sequence[AlertContent], *, day: str) -> AlertContent:
    """Many alerts as one message (channels with ``digest = "daily"``)."""
    ids = tuple(i for c in contents for i in c.alert_ids)
    subject = f"[policywatch] daily digest {day}: {len(contents)} alert(s)"
    rule = "\n" + "=" * 72 + "\n\n"
    text = f"policywatch daily digest for {day}: {len(contents)} alert(s)\n\n" + rule.join(
        c.text for c in contents
    )
    body = "".join(f"<section>{_inner_html(c.html)}</section><hr>" for c in contents)
    page = _page(f"policywatch daily digest {html.escape(day)}", body)
    payload = {
        "digest": True,
        "day": day,
        "alert_ids": list(ids),
        "alerts": [c.payload for c in contents],
    }
    return AlertContent(alert_ids=ids, subject=subject, text=text, html=page, payload=payload)


def _render_change(db: Database, row: dict[str, Any]) -> AlertContent:
    try:
        change = change_json(db, row["change_id"])
    except KeyError:
        raise RenderError(f"change {row['change_id']} of alert {row['id']} no longer exists") from None
    clauses = clause_changes(db, row["change_id"])
    payload = {
        "alert_id": row["id"],
        "kind": CHANGE,
        "policy": {"name": row["policy_name"], "url": row["policy_url"]},
        "change": {**change, "clause_changes": [c.to_json() for c in clauses]},
    }
    subject = (
        f"[policywatch] {row['policy_name']}: material change ({change['severity']})"
        + (f" - {', '.join(change['categories'])}" if change["categories"] else "")
    )
    shown = [(n, c) for n, c in enumerate(clauses, 1) if not c.cosmetic][:_MAX_CLAUSES_IN_MESSAGE]
    findings = change_findings(change, clauses)
    text = _change_text(row, change, shown, len(clauses), findings)
    page = _page(subject, _change_html(row, change, shown, len(clauses), findings))
    return AlertContent(alert_ids=(row["id"],), subject=subject, text=text, html=page, payload=payload)


def _facts(row: dict[str, Any], change: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("Policy", row["policy_name"]),
        ("URL", row["policy_url"]),
        ("Versions", f"v{change['from_number']} -> v{change['to_number']}" if change.get("to_number") else "-"),
        ("When", f"between captures of {change['from_time']} and {change['to_time']} (UTC)"),
        ("Severity", change["severity"]),
        ("Categories", ", ".join(change["categories"]) or "-"),
        ("Summary", change["summary"]),
    ]


def _clause_label(clause: ClauseChange) -> str:
    heading = " > ".join(clause.heading)
    parts = [clause.kind, f"severity {clause.assessment.severity}"]
    if clause.assessment.categories:
        parts.append(", ".join(clause.assessment.categories))
    return (f"[{heading}] " if heading else "") + "; ".join(parts)


def _findings_text(findings: Sequence[dict[str, Any]]) -> list[str]:
    lines = [f"  {i}. {f['severity']}, {f['category']}, {f['direction']}: {f.get('quote') or ''} ({f.get('reason') or ''})"
             + (f" [section: {Finding.from_json(f).where}]" if f.get("section") else "")
             for i, f in enumerate(findings[:5], 1)]
    return ["Findings, most important first:", *lines, ""] if lines else []


def _change_text(row: dict, change: dict, clauses: list[tuple[int, ClauseChange]], total: int,
                 findings: Sequence[dict[str, Any]]) -> str:
    lines = [f"Material change in the policy {row['policy_name']}", ""]
    lines += [f"{name + ':':<12}{value}" for name, value in _facts(row, change)]
    lines += ["", *_findings_text(findings), f"Changed clauses ({total}; [-removed-] {{+added+}}):", ""]
    for number, clause in clauses:
        lines.append(f"{number}. {_clause_label(clause)}")
        if clause.assessment.reason:
            lines.append(f"   Why: {clause.assessment.reason}")
        lines.append("   " + redline_text(change_ops(clause)).replace("\n", "\n   "))
        lines.append("")
    if total > len(clauses):
        lines.append(f"... and {total - len(clauses)} more (cosmetic or beyond the first {len(clauses)}).")
    lines.append(f"Alert id: {row['id']}")
    return "\n".join(lines) + "\n"


def _change_html(row: dict, change: dict, clauses: list[tuple[int, ClauseChange]], total: int,
                 findings: Sequence[dict[str, Any]]) -> str:
    from policywatch.tracker.render.findings import findings_html

    facts = "".join(
        f"<tr><th align='left'>{html.escape(name)}</th><td>{_fact_html(name, value)}</td></tr>"
        for name, value in _facts(row, change)
    )
    base = row["policy_url"] if str(row["policy_url"]).startswith(("http://", "https://")) else None
    items = "".join(clause_section(c, n, base_url=base, side_by_side=False) for n, c in clauses)
    more = f"<p>... and {total - len(clauses)} more.</p>" if total > len(clauses) else ""
    return (
        f"<h1>Material change in the policy {html.escape(row['policy_name'])}</h1>"
        f"<table>{facts}</table>{findings_html(findings, limit=5)}<h2>Changed clauses ({total})</h2>{items}{more}"
        f"<p><small>Alert id: {html.escape(row['id'])}</small></p>"
    )


def _fact_html(name: str, value: str) -> str:
    if name == "URL":
        return f"<a href=\"{html.escape(value, quote=True)}\">{html.escape(value)}</a>"
    return html.escape(value)


def _render_health(row: dict[str, Any]) -> AlertContent:
    detail = json.loads(row["detail"] or "{}")
    broken = row["kind"] == TRACKING_BROKEN
    state = "tracking broken" if broken else "tracking restored"
    title = f"{row['policy_name']}: {state}"
    subject = f"[policywatch] {title}"
    if broken:
        what = (
            f"The last {detail.get('consecutive_failures', '?')} checks of this policy failed; "
            f"the last one with outcome {detail.get('cause') or 'unknown'!r}. "
            "Changes cannot be detected until it is fixed (moved page, blocking, extraction rules)."
        )
    else:
        what = f"Checks succeed again (last outcome {detail.get('cause') or 'ok'!r})."
    facts = [
        ("Policy", row["policy_name"]),
        ("URL", row["policy_url"]),
        ("Last check", detail.get("last_checked_at") or "-"),
        ("Status", state),
    ]
    text = "\n".join([title, "", *(f"{n + ':':<12}{v}" for n, v in facts), "", what, "",
                      f"Alert id: {row['id']}"]) + "\n"
    rows = "".join(f"<tr><th align='left'>{html.escape(n)}</th><td>{html.escape(str(v))}</td></tr>" for n, v in facts)
    page = _page(subject, f"<h1>{html.escape(title)}</h1><table>{rows}</table><p>{html.escape(what)}</p>")
    payload = {
        "alert_id": row["id"],
        "kind": row["kind"],
        "policy": {"name": row["policy_name"], "url": row["policy_url"]},
        "health": detail,
    }
    return AlertContent(alert_ids=(row["id"],), subject=subject, text=text, html=page, payload=payload)


def _page(title: str, body: str) -> str:
    """Mail clients ignore a CSP and often <style>; the redline's <ins>/<del> read without it."""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}th{{padding-right:1em}}</style></head><body>{body}</body></html>"
    )


def _inner_html(page: str) -> str:
    start, end = page.find("<body>"), page.rfind("</body>")
    return page[start + 6 : end] if start >= 0 and end >= 0 else page
