"""Outbox delivery: claims, backoff, give-up, crash recovery, unknown channels.

Senders are doubles here (the transports have their own loopback tests); the
clock is injected, so no test sleeps.
"""
from __future__ import annotations

import datetime as dt

import pytest

from policywatch.db import alerts as alerts_db
from policywatch.tracker.alerts.clock import later, stamp
from policywatch.tracker.alerts.delivery import backoff_seconds, send_pending
from policywatch.tracker.alerts.outbox import enqueue_change_alerts
from policywatch.tracker.alerts.sender import SendResult
from policywatch.tracker.config import DeliveryConfig, parse_config

from .conftest import NOW, add_change, add_policy

CONFIG = parse_config(
    {
        "alerts": [{"kind": "webhook", "url": "http://127.0.0.1:9/hook", "name": "hook"}],
        "delivery": {"max_attempts": 3, "backoff_base": 60, "backoff_max": 3600, "claim_timeout": 300},
    }
)


class Recorder:
    """A sender double: records what it was asked to send, answers from a script."""

    def __init__(self, *results: SendResult) -> None:
        self.results = list(results)
        self.sent: list[str] = []

    def send(self, channel, content):
        self.sent.append(content.idempotency_key)
        return self.results.pop(0) if self.results else SendResult(True, response_status=200)


def queue_one(db, config=CONFIG) -> str:
    policy = add_policy(db)
    change_id = add_change(db, policy)
    [alert_id] = enqueue_change_alerts(
        db, change_id=change_id, policy=policy, severity="high", channels=config.channels, now=NOW
    )
    return alert_id


def test_enqueue_is_idempotent_per_change_and_channel(db):
    policy = add_policy(db)
    change_id = add_change(db, policy)
    first = enqueue_change_alerts(db, change_id=change_id, policy=policy, severity="high", channels=CONFIG.channels)
    again = enqueue_change_alerts(db, change_id=change_id, policy=policy, severity="high", channels=CONFIG.channels)
    assert len(first) == 1 and again == []
    assert db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 1


def test_enqueue_respects_channel_filters(db):
    config = parse_config({"alerts": [
        {"kind": "webhook", "url": "http://a", "min_severity": "high"},
        {"kind": "webhook", "url": "http://b", "policies": ["globex"]},
    ]})
    policy = add_policy(db)
    change_id = add_change(db, policy)
    assert enqueue_change_alerts(db, change_id=change_id, policy=policy, severity="medium", channels=config.channels) == []


def test_success_is_sent_once(db):
    alert_id = queue_one(db)
    sender = Recorder()
    summary = send_pending(db, CONFIG, now=NOW, senders={"webhook": sender})
    assert (summary.sent, summary.failed, summary.pending) == (1, 0, 0)
    assert sender.sent == [alert_id]
    assert send_pending(db, CONFIG, now=NOW + dt.timedelta(days=1), senders={"webhook": sender}).sent == 0
    assert sender.sent == [alert_id]
    row = alerts_db.get_alert(db, alert_id)
    assert row["status"] == "sent" and row["attempts"] == 1 and row["sent_at"] == stamp(NOW)
    assert [a["ok"] for a in alerts_db.attempts_for(db, alert_id)] == [1]


def test_failures_back_off_exponentially_then_give_up(db):
    alert_id = queue_one(db)
    sender = Recorder(*[SendResult(False, "HTTP 500", 500)] * 3)
    senders = {"webhook": sender}
    summary = send_pending(db, CONFIG, now=NOW, senders=senders)
    assert (summary.sent, summary.failed, summary.pending) == (1 - 1, 1, 1)
    row = alerts_db.get_alert(db, alert_id)
    assert row["next_attempt_at"] == later(NOW, 60) and row["last_error"] == "HTTP 500"
    # not due yet: nothing happens
    assert send_pending(db, CONFIG, now=NOW + dt.timedelta(seconds=59), senders=senders).failed == 0
    send_pending(db, CONFIG, now=NOW + dt.timedelta(seconds=60), senders=senders)
    assert alerts_db.get_alert(db, alert_id)["next_attempt_at"] == later(NOW, 60 + 120)
    summary = send_pending(db, CONFIG, now=NOW + dt.timedelta(seconds=180), senders=senders)
    assert summary.gave_up == 1
    row = alerts_db.get_alert(db, alert_id)
    assert row["status"] == "failed" and row["attempts"] == 3
    assert len(sender.sent) == 3
    assert [a["response_status"] for a in alerts_db.attempts_for(db, alert_id)] == [500, 500, 500]


def test_backoff_is_capped():
    policy = DeliveryConfig(backoff_base=60, backoff_max=600)
    assert [backoff_seconds(n, policy) for n in (1, 2, 3, 4, 5, 9)] == [60, 120, 240, 480, 600, 600]


def test_a_claimed_alert_is_not_sent_by_another_sender(db):
    alert_id = queue_one(db)
    assert alerts_db.claim_alert(db, alert_id, now=stamp(NOW), lease_until=later(NOW, 300))
    sender = Recorder()
    assert send_pending(db, CONFIG, now=NOW + dt.timedelta(seconds=10), senders={"webhook": sender}).sent == 0
    assert sender.sent == []


def test_crashed_sender_is_resumed_after_the_lease_without_duplicates(db):
    """Simulate: sender A claims, then dies before recording anything."""
    alert_id = queue_one(db)
    assert alerts_db.claim_alert(db, alert_id, now=stamp(NOW), lease_until=later(NOW, 300))
    sender = Recorder()
    resumed = send_pending(db, CONFIG, now=NOW + dt.timedelta(seconds=301), senders={"webhook": sender})
    assert resumed.sent == 1 and sender.sent == [alert_id]
    assert send_pending(db, CONFIG, now=NOW + dt.timedelta(days=2), senders={"webhook": sender}).sent == 0
    assert sender.sent == [alert_id]


def test_a_late_finish_of_an_expired_claim_changes_nothing(db):
    alert_id = queue_one(db)
    lease_a = later(NOW, 300)
    assert alerts_db.claim_alert(db, alert_id, now=stamp(NOW), lease_until=lease_a)
    send_pending(db, CONFIG, now=NOW + dt.timedelta(seconds=400), senders={"webhook": Recorder()})
    assert not alerts_db.mark_sent(db, alert_id, lease_until=lease_a, sent_at=stamp(NOW))
    assert alerts_db.get_alert(db, alert_id)["attempts"] == 1


def test_alerts_of_unconfigured_channels_stay_pending(db):
    alert_id = queue_one(db)
    summary = send_pending(db, parse_config({}), now=NOW, senders={})
    assert summary.skipped == 1 and summary.pending == 1
    assert alerts_db.get_alert(db, alert_id)["status"] == "pending"


def test_missing_secret_is_recorded_and_retried(db, monkeypatch):
    from policywatch.tracker.alerts.webhook import WebhookSender

    config = parse_config({"alerts": [{"kind": "webhook", "url": "http://127.0.0.1:9/", "secret_env": "PW_NOPE"}]})
    monkeypatch.delenv("PW_NOPE", raising=False)
    alert_id = queue_one(db, config)
    summary = send_pending(db, config, now=NOW, senders={"webhook": WebhookSender(post=pytest.fail)})
    assert summary.failed == 1 and "PW_NOPE" in summary.errors[0]
    assert alerts_db.get_alert(db, alert_id)["status"] == "pending"


def test_concurrent_senders_send_each_alert_once(db, tmp_path):
    """Two processes' worth of senders (threads, separate connections) race over one outbox."""
    import threading
    import time

    from policywatch.db.connection import open_database

    config = parse_config({"alerts": [{"kind": "webhook", "url": f"http://127.0.0.1:9/{i}", "name": f"h{i}"} for i in range(5)]})
    for name in ("a", "b", "c", "d"):
        policy = add_policy(db, name=name)
        enqueue_change_alerts(db, change_id=add_change(db, policy), policy=policy, severity="high",
                              channels=config.channels, now=NOW)
    sent: list[str] = []
    lock = threading.Lock()

    class Slow:
        def send(self, channel, content):
            time.sleep(0.005)
            with lock:
                sent.append(content.idempotency_key)
            return SendResult(True)

    path = db.conn.execute("PRAGMA database_list").fetchone()[2]

    def worker():
        own = open_database(path)
        send_pending(own, config, now=NOW, senders={"webhook": Slow()})
        own.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(sent) == 20 and len(set(sent)) == 20
    assert alerts_db.count_by_status(db)["sent"] == 20


def test_an_alert_that_cannot_be_rendered_is_a_failed_attempt_and_the_pass_goes_on(db):
    """A RenderError (the alert names a kind this version cannot render) must not leave the
    alert stuck in 'sending' nor stop the other alerts of the pass."""
    broken = queue_one(db)
    policy = add_policy(db, name="other", url="https://other.test/privacy")
    [fine] = enqueue_change_alerts(db, change_id=add_change(db, policy), policy=policy, severity="high",
                                   channels=CONFIG.channels, now=NOW)
    db.execute("UPDATE alerts SET kind = 'from_a_newer_version' WHERE id = ?", [broken])
    db.conn.commit()
    recorder = Recorder()
    summary = send_pending(db, CONFIG, now=NOW, senders={"webhook": recorder})
    assert (summary.sent, summary.failed) == (1, 1)
    assert recorder.sent == [fine]
    row = alerts_db.get_alert(db, broken)
    assert row["status"] == "pending" and row["attempts"] == 1 and "unknown kind" in row["last_error"]
    assert alerts_db.get_alert(db, fine)["status"] == "sent"
