"""Alert content: the docs/DESIGN.md webhook body, readable text and escaped HTML."""
from __future__ import annotations

import json

import pytest

from policywatch.tracker.alerts import render
from policywatch.tracker.alerts.outbox import enqueue_change_alerts
from policywatch.tracker.config import parse_config

from .conftest import SALE, add_change, add_policy

CONFIG = parse_config({"alerts": [{"kind": "webhook", "url": "http://127.0.0.1:9/", "name": "hook"}]})


def queue(db, policy) -> str:
    change_id = add_change(db, policy)
    [alert_id] = enqueue_change_alerts(db, change_id=change_id, policy=policy, severity="high", channels=CONFIG.channels)
    return alert_id


def test_payload_matches_the_changes_json_entry(db):
    from policywatch.db.changes import change_json
    from policywatch.tracker.history import clause_changes

    policy = add_policy(db)
    alert_id = queue(db, policy)
    content = render.render_alert(db, alert_id)
    payload = json.loads(content.body_bytes())
    change_id = db.execute("SELECT change_id FROM alerts WHERE id = ?", [alert_id]).fetchone()[0]
    assert set(payload) >= {"alert_id", "policy", "change"}
    clauses = [c.to_json() for c in clause_changes(db, change_id)]
    assert payload["change"] == {**change_json(db, change_id), "clause_changes": clauses}
    assert payload["change"]["from_number"] == 1 and payload["change"]["to_number"] == 2
    assert content.idempotency_key == alert_id


def test_text_body_is_readable(db):
    alert_id = queue(db, add_policy(db))
    text = render.render_alert(db, alert_id).text
    assert text.startswith("Material change in the policy acme")
    assert "URL:        https://acme.test/privacy" in text
    assert "2024-01-01T00:00:00Z and 2024-03-01T00:00:00Z" in text
    assert "{+" + SALE in text


def test_html_escapes_all_policy_text(db, monkeypatch):
    policy = add_policy(db, name="<b>evil</b>", url="https://evil.test/?a=1&b=\"2\"")
    alert_id = queue(db, policy)
    from policywatch.tracker.model import ClauseChange

    real = render.clause_changes

    def hostile(database, change_id):
        clauses = [c.to_json() for c in real(database, change_id)]
        return [ClauseChange.from_json(c) for c in [
            {**c, "old_text": "We share <script>x</script> data.", "new_text": "We share <script>y</script> & sell data.",
             "reason": "<i>sale</i>", "heading": ["<h1>"], "kind": "modified"}
            for c in clauses
        ] + [{**clauses[0], "kind": "added", "old_text": None, "new_text": "<img src=x onerror=alert(1)>"}]]

    monkeypatch.setattr(render, "clause_changes", hostile)
    page = render.render_alert(db, alert_id).html
    for raw in ("<script>", "<b>evil", "<i>sale", "<img", "<h1>]", 'b="2"'):
        assert raw not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<ins>" in page and "<del>" in page


def test_missing_change_is_a_render_error(db):
    alert_id = queue(db, add_policy(db))
    db.execute("UPDATE alerts SET change_id = NULL, kind = 'bogus' WHERE id = ?", [alert_id])
    with pytest.raises(render.RenderError):
        render.render_alert(db, alert_id)
