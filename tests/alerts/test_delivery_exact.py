"""Delivery's exact bookkeeping: the lease each claim takes, the backoff values written,
give-up at max_attempts, held alerts that count no attempt, and the pass summary.
Senders are doubles (the transports have their own loopback tests); the clock is injected."""
from __future__ import annotations

import datetime as dt

import pytest

from policywatch.db import alerts as alerts_db
from policywatch.errors import ConfigError
from policywatch.tracker.alerts.clock import later, stamp
from policywatch.tracker.alerts.delivery import (
    DeliverySummary, attempt_send, backoff_seconds, clock_for, send_pending,
)
from policywatch.tracker.alerts.outbox import enqueue_change_alerts
from policywatch.tracker.alerts.sender import SendResult
from policywatch.tracker.config import DeliveryConfig, parse_config

from .conftest import NOW, add_change, add_policy

CONFIG = parse_config({
    "alerts": [{"kind": "webhook", "url": "http://127.0.0.1/hook", "name": "hook", "timeout": 10}],
    "delivery": {"max_attempts": 4, "backoff_base": 30, "backoff_max": 100, "claim_timeout": 300},
})


class Script:
    """A sender double answering from a script; it records the row as seen during the send."""

    def __init__(self, db, *results) -> None:
        self.db, self.results, self.rows = db, list(results), []

    def send(self, channel, content):
        self.rows.append(dict(alerts_db.get_alert(self.db, content.idempotency_key)))
        result = self.results.pop(0) if self.results else SendResult(True, response_status=200)
        if isinstance(result, Exception):
            raise result
        return result


def queue(db, names=("acme",), config=CONFIG) -> list[str]:
    ids = []
    for name in names:
        policy = add_policy(db, name=name)
        ids += enqueue_change_alerts(db, change_id=add_change(db, policy), policy=policy, severity="high",
                                     channels=config.channels, now=NOW)
    return ids


def at(seconds: float) -> dt.datetime:
    return NOW + dt.timedelta(seconds=seconds)


def test_backoff_schedule_values():
    policy = DeliveryConfig(backoff_base=30, backoff_max=100)
    assert [backoff_seconds(n, policy) for n in (0, 1, 2, 3, 4, 10)] == [30, 30, 60, 100, 100, 100]
    assert backoff_seconds(3, DeliveryConfig(backoff_base=30, backoff_max=10_000)) == 120


def test_each_claim_holds_a_lease_of_claim_timeout_from_that_claim(db):
    first, second = queue(db, ("a", "b"))
    moments = iter([at(0), at(0), at(0), at(50), at(50), at(50), at(99)])
    sender = Script(db)
    summary = send_pending(db, CONFIG, clock=lambda: next(moments), senders={"webhook": sender})
    assert summary.sent == 2
    assert [row["status"] for row in sender.rows] == ["sending", "sending"]
    leases = sorted(row["next_attempt_at"] for row in sender.rows)
    assert leases == [later(at(0), 300), later(at(50), 300)]
    assert alerts_db.get_alert(db, first)["status"] == "sent"


def test_failures_write_the_backoff_then_give_up_at_max_attempts(db):
    [alert_id] = queue(db)
    sender = Script(db, *[SendResult(False, "HTTP 503", 503)] * 4)
    waits, t = [], 0.0
    for attempt in range(1, 5):
        summary = send_pending(db, CONFIG, now=at(t), senders={"webhook": sender})
        row = alerts_db.get_alert(db, alert_id)
        assert summary.failed == 1 and summary.sent == 0 and row["attempts"] == attempt
        assert summary.errors == [f"alert {alert_id[:8]}: HTTP 503"] and not summary.ok
        if attempt < 4:
            assert (row["status"], summary.gave_up, summary.pending) == ("pending", 0, 1)
            wait = (dt.datetime.fromisoformat(row["next_attempt_at"].replace("Z", "+00:00")) - at(t)).total_seconds()
            waits.append(wait)
            # one second early: not due, nothing sent
            assert send_pending(db, CONFIG, now=at(t + wait - 1), senders={"webhook": sender}).failed == 0
            t += wait
        else:
            assert (row["status"], summary.gave_up, summary.pending) == ("failed", 1, 0)
            assert row["next_attempt_at"] is None and row["last_error"] == "HTTP 503"
    assert waits == [30, 60, 100]
    assert len(sender.rows) == 4
    attempts = alerts_db.attempts_for(db, alert_id)
    assert [(a["ok"], a["error"], a["response_status"]) for a in attempts] == [(0, "HTTP 503", 503)] * 4
    assert send_pending(db, CONFIG, now=at(10_000), senders={"webhook": sender}).failed == 0


def test_held_alert_counts_no_attempt_and_waits_backoff_base(db):
    [alert_id] = queue(db)
    sender = Script(db, ConfigError("secret X unset"), ConfigError("secret X unset"))
    for round_ in range(2):
        summary = send_pending(db, CONFIG, now=at(round_ * 30), senders={"webhook": sender})
        assert (summary.held, summary.failed, summary.sent, summary.gave_up) == (1, 0, 0, 0)
        assert summary.errors == [f"alert {alert_id[:8]} held: secret X unset"]
        assert not summary.ok and summary.line() == "sent 0, failed 0, pending 1, held 1"
        row = alerts_db.get_alert(db, alert_id)
        assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 0, "held: secret X unset")
        assert row["next_attempt_at"] == later(at(round_ * 30), 30)
    assert alerts_db.attempts_for(db, alert_id) == []
    summary = send_pending(db, CONFIG, now=at(60), senders={"webhook": sender})
    assert (summary.sent, summary.ok, summary.line()) == (1, True, "sent 1, failed 0, pending 0")
    assert alerts_db.get_alert(db, alert_id)["sent_at"] == stamp(at(60))


def test_sender_exception_fails_that_alert_with_its_text(db):
    [alert_id] = queue(db)
    summary = send_pending(db, CONFIG, now=NOW, senders={"webhook": Script(db, ValueError("boom"))})
    assert (summary.failed, summary.held) == (1, 0)
    row = alerts_db.get_alert(db, alert_id)
    assert row["last_error"] == "hook: ValueError: boom" and row["attempts"] == 1
    assert row["next_attempt_at"] == later(NOW, 30)


def test_attempt_send_without_a_sender_for_the_kind():
    [ch] = CONFIG.channels
    result = attempt_send({}, ch, None)
    assert (result.ok, result.held, result.error) == (False, False, "no sender for channel kind 'webhook'")
    class Raises:
        def send(self, channel, content):
            raise RuntimeError("x" * 900)

    long = attempt_send({"webhook": Raises()}, ch, None)
    assert not long.ok and len(long.error) == 500 and long.error.startswith("hook: RuntimeError: xxx")


def test_summary_counts_sent_failed_skipped_and_limit(db):
    ids = queue(db, ("a", "b", "c"))
    sender = Script(db, SendResult(True, response_status=200), SendResult(False, "HTTP 500", 500))
    summary = send_pending(db, CONFIG, now=NOW, senders={"webhook": sender}, limit=2)
    assert (summary.sent, summary.failed, summary.gave_up, summary.held, summary.skipped, summary.pending) == (1, 1, 0, 0, 0, 2)
    assert summary.line() == "sent 1, failed 1, pending 2"
    # a config without the channel: the due alert is skipped and stays pending
    other = parse_config({"alerts": [{"kind": "webhook", "url": "http://127.0.0.1/x", "name": "other"}]})
    summary = send_pending(db, other, now=at(1000), senders={"webhook": sender})
    assert (summary.skipped, summary.sent, summary.pending) == (2, 0, 2)
    assert sorted(r["status"] for r in (alerts_db.get_alert(db, i) for i in ids)) == ["pending", "pending", "sent"]


def test_digest_channels_are_not_sent_by_the_pass(db):
    config = parse_config({"alerts": [{"kind": "webhook", "url": "http://127.0.0.1/d", "name": "d", "digest": "daily"}]})
    queue(db, config=config)
    sender = Script(db)
    summary = send_pending(db, config, now=NOW, senders={"webhook": sender})
    assert (summary.sent, summary.skipped, summary.pending) == (0, 0, 1) and sender.rows == []


def test_clock_for_prefers_the_clock_then_now():
    fixed = dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)
    assert clock_for(fixed, lambda: NOW)() == NOW
    assert clock_for(fixed, None)() == fixed
    assert abs((clock_for(None, None)() - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 3600


def test_summary_ok_and_line():
    assert DeliverySummary().ok and DeliverySummary().line() == "sent 0, failed 0, pending 0"
    assert not DeliverySummary(failed=1).ok and not DeliverySummary(held=1).ok
    assert DeliverySummary(sent=2, pending=3, held=1).line() == "sent 2, failed 0, pending 3, held 1"
