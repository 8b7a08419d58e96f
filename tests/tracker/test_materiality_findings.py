"""Ranked findings: ranking, merging, storage with recorded changes, and the webhook body."""
from __future__ import annotations

import json
from pathlib import Path

from policywatch.db.connection import open_database
from policywatch.tracker.compare import compare_clauses
from policywatch.tracker.materiality import change_findings, rank_findings
from policywatch.tracker.model import Clause, ClauseChange


# Enough ordinary text that neither side looks like a stub or an extraction failure.
FILLER = [f"Section {i}: this paragraph explains how the service works for users in region {i}." for i in range(12)]


def _clauses(texts: list[str]) -> list[Clause]:
    return [Clause(i, "paragraph", t) for i, t in enumerate(list(texts) + FILLER)]


BASE = [
    "We collect your name and email address when you create an account.",
    "We do not sell your personal information to data brokers.",
    "We keep account data for 30 days after you close your account.",
    "You can contact our privacy team at privacy@example.com.",
]


def test_removed_protection_ranks_before_new_contact_details() -> None:
    new = [BASE[0], BASE[2], "You can contact our privacy team at help@example.org.",
           "We use your photos to train our artificial intelligence models."]
    diff = compare_clauses(_clauses(BASE), _clauses(new))
    findings = diff.verdict.findings
    assert diff.verdict.material
    assert findings[0].direction == "weakens" and "sell" in findings[0].quote
    assert any("train" in f.quote for f in findings)
    assert findings[0].quote[:40] in diff.verdict.summary
    for f in findings:
        assert diff.changes[f.change].assessment.material


def test_near_duplicates_merge_with_a_count() -> None:
    old = _clauses(BASE)
    repeated = "We collect precise location information from your device to show nearby content."
    new = _clauses(BASE + [f"{repeated} (section {n})" for n in range(4)])
    findings = compare_clauses(old, new).verdict.findings
    location = [f for f in findings if "precise location" in f.quote]
    assert len(location) == 1 and location[0].count == 4


def test_discounted_clause_says_why_and_is_not_material() -> None:
    from policywatch.tracker.materiality import judge_changes

    promise = "We do not share your personal information with advertisers for their own marketing."
    restated = "Your personal information is never something we share with advertisers for their own marketing."
    old, new = _clauses(BASE + [promise]), _clauses(BASE + [restated])
    changes = [ClauseChange("removed", len(BASE), None, promise, None),
               ClauseChange("added", None, len(BASE), None, restated)]
    out, verdict = judge_changes(changes, old, new)
    removed = out[0].assessment
    assert not removed.material and f"discounted: restated in clause {len(BASE)}" in removed.reason
    assert verdict.material == any(c.assessment.material for c in out)


def test_phrase_match_elsewhere_does_not_offset_a_removed_protection() -> None:
    old = _clauses(["We do not share personal information with third parties for their direct marketing purposes.",
                    "Text messages are sent by our provider."])
    new = _clauses(["We will not share mobile data from text messaging campaigns except with our SMS provider.",
                    "Text messages are sent by our provider."])
    diff = compare_clauses(old, new)
    assert diff.verdict.material
    removed = [c for c in diff.changes if c.kind == "removed" or "direct marketing" in (c.old_text or "")]
    assert any(c.assessment.material for c in removed)


def test_findings_are_stored_and_reach_the_webhook_body(tmp_path: Path) -> None:
    from policywatch.tracker.alerts import render
    from policywatch.tracker.alerts.outbox import enqueue_change_alerts
    from policywatch.tracker.config import parse_config
    from tests.alerts.conftest import add_change, add_policy

    db = open_database(tmp_path / "f.db", create=True)
    policy = add_policy(db)
    change_id = add_change(db, policy)
    stored = change_findings(db, change_id)
    assert stored and stored[0].category in ("sale", "sharing") and "data brokers" in stored[0].quote
    channels = parse_config({"alerts": [{"kind": "webhook", "url": "http://127.0.0.1:9/", "name": "h"}]}).channels
    [alert_id] = enqueue_change_alerts(db, change_id=change_id, policy=policy, severity="high", channels=channels)
    payload = json.loads(render.render_alert(db, alert_id).body_bytes())
    assert payload["change"]["findings"] == [f.to_json() for f in stored]
    # a change recorded before findings were stored gets them rebuilt from its clause changes
    db.execute("UPDATE changes SET findings = NULL WHERE id = ?", [change_id])
    rebuilt = change_findings(db, change_id)
    assert [(f.change, f.category, f.direction) for f in rebuilt] == [(f.change, f.category, f.direction) for f in stored]


def test_rank_findings_ignores_changes_that_are_not_material() -> None:
    change = ClauseChange("added", None, 0, None, "You can contact us by mail.")
    assert rank_findings([change]) == []
