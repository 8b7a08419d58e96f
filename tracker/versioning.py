"""Where a new text goes in a policy's version chain, and the changes it makes.

Versions are ordered by capture time, not ingest time: a backfilled capture
can land between two known versions, which supersedes the direct change
between them and diffs both new neighbours. A text that returns to one seen
before is a *flip*: recorded, never material, never alerted.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from policywatch.db import changes as change_db
from policywatch.db import versions as version_db
from policywatch.db.clauses import intern_clauses, intern_headings
from policywatch.tracker.model import Clause, DocumentDiff


@dataclass
class PreparedText:
    """Everything computed from a capture's text before the write transaction."""

    text: str
    text_sha256: str
    clauses: list[Clause]
    effective_date: str | None
    word_count: int
    extractor_version: str


@dataclass
class Placement:
    version_id: int
    new_version: bool
    change_ids: list[int] = field(default_factory=list)
    alert_ids: list[str] = field(default_factory=list)


@dataclass
class AlertPolicy:
    """Whether a change that reaches the latest version may alert, and on which channels."""

    enabled: bool
    channels: Sequence[Any] = ()


def _clauses_of(db: Database, version_id: int) -> tuple[list[Clause], list[int]]:
    rows = version_db.version_clause_rows(db, version_id)
    clauses = [
        Clause(
            ordinal=r["ordinal"],
            kind=r["kind"],
            text=r["text"],
            heading=tuple(json.loads(r["heading"])),
            categories=tuple(json.loads(r["categories"])),
        )
        for r in rows
    ]
    return clauses, [r["clause_id"] for r in rows]


def diff_versions(db: Database, from_id: int, to_id: int) -> tuple[DocumentDiff, list[int], list[int]]:
    """Clause diff of two stored versions, with their clause ids by ordinal."""
    from policywatch.tracker.compare import compare_clauses

    old, old_ids = _clauses_of(db, from_id)
    new, new_ids = _clauses_of(db, to_id)
    return compare_clauses(old, new), old_ids, new_ids


def _clause_change_rows(
    db: Database, diff: DocumentDiff, old_ids: list[int], new_ids: list[int]
) -> list[dict[str, Any]]:
    rows = []
    heading_ids = intern_headings(db, [ch.heading for ch in diff.changes])
    for position, (ch, heading_id) in enumerate(zip(diff.changes, heading_ids)):
        a = ch.assessment
        rows.append(
            {
                "position": position,
                "kind": ch.kind,
                "old_ordinal": ch.old_ordinal,
                "new_ordinal": ch.new_ordinal,
                "old_clause_id": old_ids[ch.old_ordinal] if ch.old_ordinal is not None else None,
                "new_clause_id": new_ids[ch.new_ordinal] if ch.new_ordinal is not None else None,
                "heading_id": heading_id,
                "categories": json.dumps(list(a.categories)),
                "direction": a.direction,
                "severity": a.severity,
                "material": int(a.material),
                "cosmetic": int(ch.cosmetic),
                "reason": a.reason,
            }
        )
    return rows


def _changed(diff: DocumentDiff) -> str:
    n = len(diff.changes)
    return f"{n} clause{'s' if n != 1 else ''} changed"


def record_change(
    db: Database,
    policy: dict[str, Any],
    from_version: dict[str, Any],
    to_version: dict[str, Any],
    *,
    may_alert: bool,
    channels: Sequence[Any] = (),
    technical_upgrade: bool = False,
) -> tuple[int, list[str]]:
    """Diff two versions, store the change, and queue alerts when it is material and new."""
    diff, old_ids, new_ids = diff_versions(db, from_version["id"], to_version["id"])
    verdict = diff.verdict
    flip_of = to_version.get("flip_of")
    material, severity, summary = verdict.material, verdict.severity, verdict.summary
    if flip_of is not None:
        # The text was recorded before, and the change that first brought it carried the
        # severity: a flip adds nothing new, so it is severity none and never alerts.
        material, severity = False, "none"
        first = version_db.get_version(db, flip_of)
        when = first["capture_time"] if first else "earlier"
        # The inner summary would count the changes back as "material": say what was changed instead.
        summary = f"Flip: the text returns to version {flip_of} first seen {when} ({_changed(diff)})."
    if technical_upgrade:
        material, severity = False, "none"
        summary = f"Technical upgrade (re-extraction), not a policy change ({_changed(diff)})."
    findings = [f.to_json() for f in verdict.findings] if material else []
    rows = _clause_change_rows(db, diff, old_ids, new_ids)
    if verdict.material and not material:  # one verdict: the clause flags follow the change's
        why = "flip back to earlier text" if flip_of is not None else "technical upgrade, not a policy change"
        for r in rows:
            if r["material"]:
                r.update(material=0, severity="none", reason=r["reason"].rstrip(".") + f"; discounted: {why}.")
    change_id = change_db.insert_change(
        db,
        {
            "policy_id": policy["id"],
            "from_version_id": from_version["id"],
            "to_version_id": to_version["id"],
            "cosmetic_only": int(verdict.cosmetic_only),
            "material": int(material),
            "severity": severity,
            "categories": json.dumps(list(verdict.categories)),
            "summary": summary,
            "clause_change_count": len(diff.changes),
            "is_flip": int(flip_of is not None),
            "technical_upgrade": int(technical_upgrade),
            "findings": json.dumps(findings, ensure_ascii=False),
        },
        rows,
    )
    alert_ids: list[str] = []
    if may_alert and material and channels:
        from policywatch.tracker.alerts.outbox import enqueue_change_alerts

        alert_ids = enqueue_change_alerts(
            db, change_id=change_id, policy=policy, severity=severity, channels=channels
        )
    return change_id, alert_ids


def place_text(
    db: Database,
    policy: dict[str, Any],
    prepared: PreparedText,
    *,
    capture_id: int,
    capture_time: str,
    alerts: AlertPolicy,
) -> Placement:
    """Attach a capture's text to the chain: same as a neighbour, or a new version."""
    policy_id = policy["id"]
    prev, nxt = version_db.neighbours(db, policy_id, capture_time, prepared.text_sha256)
    if prev is not None and prev["text_sha256"] == prepared.text_sha256:
        return Placement(prev["id"], new_version=False)
    if nxt is not None and nxt["text_sha256"] == prepared.text_sha256:
        version_db.move_version_start(db, nxt["id"], capture_time, capture_id)
        return Placement(nxt["id"], new_version=False)

    clause_ids = intern_clauses(db, [c.text for c in prepared.clauses], [c.categories for c in prepared.clauses])
    heading_ids = intern_headings(db, [c.heading for c in prepared.clauses])
    version_id = version_db.insert_version(
        db,
        {
            "policy_id": policy_id,
            "capture_time": capture_time,
            "text_sha256": prepared.text_sha256,
            "first_capture_id": capture_id,
            "effective_date": prepared.effective_date,
            "clause_count": len(prepared.clauses),
            "word_count": prepared.word_count,
            "extractor_version": prepared.extractor_version,
        },
        [
            (c.ordinal, cid, c.kind, hid)
            for c, cid, hid in zip(prepared.clauses, clause_ids, heading_ids)
        ],
    )
    version_db.relink_flips(db, policy_id, prepared.text_sha256)
    placement = Placement(version_id, new_version=True)
    new_version = version_db.get_version(db, version_id)
    assert new_version is not None  # inserted just above, in this transaction
    if prev is not None:
        if nxt is not None:
            change_db.supersede_change(db, prev["id"], nxt["id"])
        change_id, alert_ids = record_change(
            db, policy, prev, new_version, may_alert=alerts.enabled and nxt is None, channels=alerts.channels
        )
        placement.change_ids.append(change_id)
        placement.alert_ids.extend(alert_ids)
    if nxt is not None:
        nxt = version_db.get_version(db, nxt["id"])  # flip_of may have changed
        assert nxt is not None
        change_id, _ = record_change(db, policy, new_version, nxt, may_alert=False)
        placement.change_ids.append(change_id)
    return placement
