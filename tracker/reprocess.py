"""Regenerate versions from stored raw captures after the extractor improves.

Like Open Terms Archive's technical upgrades: when re-extraction gives a
different version chain, the old chain is retired (kept for the record and for
alerts already sent), a new chain is built without alerts, and the difference
between the old and the new latest version is recorded as a technical upgrade
that never alerts. Bodies are judged by ingest's own ``prepare_capture`` and
written in ingest's ``write_transaction`` (BEGIN IMMEDIATE), so a reprocess
during a crawl waits for the write lock instead of failing.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from policywatch.db import captures as capture_db
from policywatch.db import changes as change_db
from policywatch.db import policies as policy_db
from policywatch.db import versions as version_db
from policywatch.db.connection import write_transaction
from policywatch.tracker.ingest import prepare_capture, stored_capture
from policywatch.tracker.versioning import AlertPolicy, PreparedText, place_text, record_change


def _recompute(db: Database, policy: dict[str, Any]) -> list[tuple[dict, str, str | None, PreparedText | None]]:
    """(capture, outcome, detail, prepared) for every stored body, in capture order."""
    results = []
    previous_words: int | None = None
    for row in capture_db.ok_captures(db, policy["id"]):
        capture = stored_capture(db, row)
        outcome, detail, prepared = prepare_capture(capture, policy, previous_words=previous_words)
        if prepared is not None:
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
    with write_transaction(db):
        change_db.supersede_policy_changes(db, policy["id"])
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
            version_db.mark_technical_upgrade(db, new_latest["id"])
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
