"""Health alerts: one tracking_broken per channel after N failures, one restored."""
from __future__ import annotations

import json

from policywatch.db import alerts as alerts_db
from policywatch.tracker.alerts.delivery import send_pending
from policywatch.tracker.alerts.health import check_health
from policywatch.tracker.alerts.render import render_alert
from policywatch.tracker.config import parse_config

from .conftest import NOW, add_policy

CONFIG = parse_config(
    {
        "alerts": [
            {"kind": "webhook", "url": "http://127.0.0.1:9/a", "name": "a"},
            {"kind": "webhook", "url": "http://127.0.0.1:9/b", "name": "b", "policies": ["other"]},
            {"kind": "webhook", "url": "http://127.0.0.1:9/c", "name": "c", "health": False},
        ],
        "health": {"failures_before_alert": 3},
    }
)


def fail(db, policy_id: int, times: int, outcome: str = "http_error") -> None:
    db.execute(
        "UPDATE policies SET consecutive_failures = consecutive_failures + ?, last_outcome = ?, "
        "last_checked_at = '2024-03-01T00:00:00Z' WHERE id = ?",
        [times, outcome, policy_id],
    )


def test_broken_once_then_restored_once(db):
    policy = add_policy(db)
    fail(db, policy["id"], 2)
    assert check_health(db, CONFIG, now=NOW) == []
    fail(db, policy["id"], 1, "soft_404")
    [broken] = check_health(db, CONFIG, now=NOW)
    fail(db, policy["id"], 4)
    assert check_health(db, CONFIG, now=NOW) == []  # still broken: no repeat
    row = alerts_db.get_alert(db, broken)
    assert (row["kind"], row["channel"], row["change_id"]) == ("tracking_broken", "a", None)
    assert json.loads(row["detail"])["cause"] == "soft_404"
    content = render_alert(db, broken)
    assert "soft_404" in content.text and content.payload["kind"] == "tracking_broken"
    assert content.payload["policy"]["name"] == "acme"

    db.execute("UPDATE policies SET consecutive_failures = 0, last_outcome = 'ok' WHERE id = ?", [policy["id"]])
    [restored] = check_health(db, CONFIG, now=NOW)
    assert check_health(db, CONFIG, now=NOW) == []
    assert alerts_db.get_alert(db, restored)["kind"] == "tracking_restored"
    assert db.execute("SELECT tracking_status FROM policies").fetchone()[0] == "ok"


def test_health_alerts_are_delivered_like_others(db):
    class Recorder:
        sent: list = []

        def send(self, channel, content):
            from policywatch.tracker.alerts.sender import SendResult

            self.sent.append((channel.key, content.subject))
            return SendResult(True)

    policy = add_policy(db)
    fail(db, policy["id"], 3)
    check_health(db, CONFIG, now=NOW)
    sender = Recorder()
    assert send_pending(db, CONFIG, now=NOW, senders={"webhook": sender}).sent == 1
    assert sender.sent == [("a", "[policywatch] acme: tracking broken")]


def test_inactive_policies_do_not_raise(db):
    policy = add_policy(db)
    db.execute("UPDATE policies SET active = 0 WHERE id = ?", [policy["id"]])
    fail(db, policy["id"], 10)
    assert check_health(db, CONFIG, now=NOW) == []
