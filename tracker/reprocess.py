"""Regenerate versions from stored raw captures after the extractor improves.

Like Open Terms Archive's technical upgrades: when re-extraction gives a
different version chain, the old chain is retired (kept for the record and for
alerts already sent), a new chain is built without alerts, and the difference
between the old and the new latest version is recorded as a technical upgrade
that never alerts.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from policywatch.db import captures as capture_db
from policywatch.db import policies as policy_db
from policywatch.db import versions as version_db
from policywatch.db.blobs import get_blob
from policywatch.tracker.ingest import extract_capture_text, prepare_text
from policywatch.tracker.model import Capture
from policywatch.tracker.versioning import AlertPolicy, PreparedText, place_text, record_change


def _recompute(db: Database, policy: dict[str, Any]) -> list[tuple[dict, str, str | None, PreparedText | None]]:
    """(capture, outcome, detail, prepared) for every stored body, in capture order."""
    from policywatch.tracker.quality import assess_text

    results = []
    previous_words: int | None = None
    for row in capture_db.ok_captures(db, policy["id"]):
        capture = Capture(
            policy=policy["id"], source=row["source"], url=row["url"], capture_time=row["capture_time"],
            body=get_blob(db, row["blob_sha256"]), content_type=row["content_type"], final_url=row["final_url"],
        )
        text, outcome, detail = extract_capture_text(capture, policy)
        prepared = None
        if text is not None:
            quality = assess_text(text, previous_words=previous_words)
            outcome, detail = quality.outcome, (quality.detail if quality.outcome != "ok" else None)
            if outcome == "ok":
                prepared = prepare_text(text)
                previous_words = prepared.word_count
        results.append((row, outcome, detail, prepared))
    return results


def _chain(items: list[tuple[dict, str, str | None, PreparedText | None]]) -> list[str]:
    """The sequence of distinct consecutive texts a list of captures yields."""
    chain: list[str] = []
    for _, _, _, prepared in items:
        if prepared is not None and (not chain or chain[-1] != prepared.text_sha256):
            chain.append(prepared.text_sha256)
    return chain


def reprocess_policy(db: Database, policy: dict[str, Any]) -> str:
    """Rebuild one policy's versions; returns a one-line account of what happened."""
    items = _recompute(db, policy)
    old_versions = version_db.policy_versions(db, policy["id"])
    if _chain(items) == [v["text_sha256"] for v in old_versions]:
        return f"{policy['name']}: unchanged ({len(old_versions)} versions)"
    old_latest = old_versions[-1] if old_versions else None
    with db.atomic():
        for v in old_versions:
            db.execute("UPDATE changes SET superseded = 1 WHERE to_version_id = ? OR from_version_id = ?", [v["id"], v["id"]])
        version_db.retire_versions(db, policy["id"])
        quiet = AlertPolicy(enabled=False)
        for row, outcome, detail, prepared in items:
            capture_db.set_capture_outcome(db, row["id"], outcome, detail)
            version_id = None
            if prepared is not None:
                version_id = place_text(
                    db, policy, prepared, capture_id=row["id"], capture_time=row["capture_time"], alerts=quiet
                ).version_id
            capture_db.set_capture_version(db, row["id"], version_id)
        new_latest = version_db.latest_version(db, policy["id"])
        if old_latest is not None and new_latest is not None and old_latest["text_sha256"] != new_latest["text_sha256"]:
            record_change(db, policy, old_latest, new_latest, may_alert=False, technical_upgrade=True)
            db.execute("UPDATE versions SET technical_upgrade = 1 WHERE id = ?", [new_latest["id"]])
    new_count = version_db.count_versions(db, policy["id"])
    return (
        f"{policy['name']}: re-extracted {len(items)} captures; {len(old_versions)} versions -> {new_count} "
        "(recorded as a technical upgrade, no alerts)"
    )


def reprocess(db: Database, policy_ref: str | int | None = None) -> Iterator[str]:
    """Reprocess one policy, or all of them; yields a line per policy."""
    policies = [policy_db.get_policy(db, policy_ref)] if policy_ref is not None else policy_db.list_policies(db)
    for policy in policies:
        yield reprocess_policy(db, policy)

