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


def test_missing_secret_holds_the_alert_without_burning_attempts(db, monkeypatch):
    """Used to burn one attempt per pass and end 'failed' before anyone exported the variable."""
    from policywatch.tracker.alerts.webhook import WebhookSender

    config = parse_config({"alerts": [{"kind": "webhook", "url": "http://127.0.0.1:9/", "secret_env": "PW_NOPE"}],
                           "delivery": {"max_attempts": 2, "backoff_base": 60}})
    monkeypatch.delenv("PW_NOPE", raising=False)
    alert_id = queue_one(db, config)
    for minutes in range(0, 50, 5):  # ten passes, far beyond max_attempts
        summary = send_pending(db, config, now=NOW + dt.timedelta(minutes=minutes),
                               senders={"webhook": WebhookSender(post=pytest.fail)})
        assert summary.failed == 0 and summary.held == 1 and not summary.ok
        assert "PW_NOPE" in summary.errors[0] and "is not set" in summary.errors[0]
    row = alerts_db.get_alert(db, alert_id)
    assert row["status"] == "pending" and row["attempts"] == 0 and row["last_error"].startswith("held:")
    assert alerts_db.attempts_for(db, alert_id) == []
    monkeypatch.setenv("PW_NOPE", "")
    summary = send_pending(db, config, now=NOW + dt.timedelta(hours=1), senders={"webhook": WebhookSender(post=pytest.fail)})
    assert "set but empty" in summary.errors[0] and "not set" not in summary.errors[0]
    monkeypatch.setenv("PW_NOPE", "now-it-is-set")
    sender = Recorder()
    summary = send_pending(db, config, now=NOW + dt.timedelta(hours=2), senders={"webhook": sender})
    assert summary.sent == 1 and sender.sent == [alert_id]


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


class Clock:
    """A clock that moves only when told (each send takes ``step`` seconds)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


def test_lease_starts_at_each_claim_not_at_the_pass_start(db):
    """A pass that outlives claim_timeout must not let a second sender repeat alerts in flight.

    Sender A's sends take 200 s each (claim_timeout 300). While A sends its
    N-th alert, a second pass B starts (cron runs `alerts send` every 10 minutes):
    B may take alerts nobody holds, never the one A is sending. With leases
    computed from the start of A's pass, A's later claims were already expired
    when made, and B delivered them a second time.
    """
    config = parse_config({
        "alerts": [{"kind": "webhook", "url": "http://127.0.0.1:9/hook", "name": "hook", "timeout": 10}],
        "delivery": {"claim_timeout": 300},
    })
    for name in "abcde":
        policy = add_policy(db, name=name)
        enqueue_change_alerts(db, change_id=add_change(db, policy), policy=policy, severity="high",
                              channels=config.channels, now=NOW)
    clock = Clock(NOW)
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    from policywatch.db.connection import open_database

    other = open_database(path)
    second_pass: list[str] = []

    class SecondSender:
        def send(self, channel, content):
            second_pass.append(content.idempotency_key)
            return SendResult(True)

    class SlowFirst:
        def __init__(self) -> None:
            self.sent: list[str] = []

        def send(self, channel, content):
            clock.now += dt.timedelta(seconds=200)  # this send takes 200 s
            send_pending(other, config, clock=clock, senders={"webhook": SecondSender()})
            self.sent.append(content.idempotency_key)
            return SendResult(True)

    first = SlowFirst()
    send_pending(db, config, clock=clock, senders={"webhook": first})
    everything = first.sent + second_pass
    assert len(everything) == 5 and len(set(everything)) == 5, "an alert in flight was sent twice"
    assert first.sent  # A did deliver; B only took alerts nobody held
    assert alerts_db.count_by_status(db)["sent"] == 5
    assert db.execute("SELECT count(*) FROM alert_attempts").fetchone()[0] == 5


def test_claim_timeout_below_the_channel_timeout_is_refused():
    from policywatch.errors import ConfigError

    with pytest.raises(ConfigError, match="claim_timeout.*too short.*hook"):
        parse_config({"alerts": [{"kind": "webhook", "url": "http://x.test/", "name": "hook", "timeout": 30}],
                      "delivery": {"claim_timeout": 20}})
    with pytest.raises(ConfigError, match="claim_timeout"):
        parse_config({"alerts": [{"kind": "webhook", "url": "http://x.test/", "timeout": 30}],
                      "delivery": {"claim_timeout": 60}})  # shorter than connect + request + answer
    parse_config({"alerts": [{"kind": "webhook", "url": "http://x.test/", "timeout": 30}],
                  "delivery": {"claim_timeout": 90}})


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/hook", "example.org/hook", "http:///nohost"])
def test_non_http_webhook_url_is_refused_at_validation(url):
    from policywatch.errors import ConfigError

    with pytest.raises(ConfigError, match="http:// or https://"):
        parse_config({"alerts": [{"kind": "webhook", "url": url}]})


def test_one_bad_channel_fails_alone_and_never_stops_the_others(db, monkeypatch):
    """A sender that raises (a TypeError, as file:// URLs from url_env used to cause) fails its
    own alert, recorded; every other channel still delivers in the same pass."""
    from policywatch.tracker.alerts.webhook import WebhookSender

    monkeypatch.setenv("PW_BAD_URL", "file:///etc/passwd")
    config = parse_config({"alerts": [
        {"kind": "webhook", "url_env": "PW_BAD_URL", "name": "bad-url"},
        {"kind": "webhook", "url": "http://127.0.0.1:9/crash", "name": "crashing"},
        {"kind": "webhook", "url": "http://127.0.0.1:9/good", "name": "good"},
        {"kind": "email", "to": ["a@example.org"], "from": "pw@example.org", "name": "mail"},
    ]})
    policy = add_policy(db)
    enqueue_change_alerts(db, change_id=add_change(db, policy), policy=policy, severity="high",
                          channels=config.channels, now=NOW)
    delivered: list[str] = []

    class Router:
        def send(self, channel, content):
            if channel.key == "crashing":
                raise TypeError("expected str, bytes or os.PathLike object, not NoneType")
            if channel.key == "bad-url":
                return WebhookSender(post=pytest.fail).send(channel, content)
            delivered.append(channel.key)
            return SendResult(True)

    summary = send_pending(db, config, now=NOW, senders={"webhook": Router(), "email": Router()})
    assert sorted(delivered) == ["good", "mail"]
    assert (summary.sent, summary.failed, summary.held) == (2, 1, 1) and not summary.ok
    rows = {r["channel"]: r for r in alerts_db.list_alerts(db)}
    assert rows["crashing"]["status"] == "pending" and rows["crashing"]["attempts"] == 1
    assert "TypeError" in rows["crashing"]["last_error"]
    assert rows["bad-url"]["attempts"] == 0 and "http(s)" in rows["bad-url"]["last_error"]
    assert "file:" not in rows["bad-url"]["last_error"]  # a URL from the environment is never echoed
    assert {rows["good"]["status"], rows["mail"]["status"]} == {"sent"}


def test_a_broken_alert_fails_alone(db):
    """An alert whose change vanished (render fails) is recorded; the next alert still goes."""
    config = CONFIG
    first, second = add_policy(db, name="a"), add_policy(db, name="b")
    for policy in (first, second):
        enqueue_change_alerts(db, change_id=add_change(db, policy), policy=policy, severity="high",
                              channels=config.channels, now=NOW)
    broken = alerts_db.list_alerts(db)[0]["id"]
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("UPDATE alerts SET change_id = 999999 WHERE id = ?", [broken])
    sender = Recorder()
    summary = send_pending(db, config, now=NOW, senders={"webhook": sender})
    assert summary.sent == 1 and summary.failed == 1 and broken not in sender.sent
    assert "no longer exists" in alerts_db.get_alert(db, broken)["last_error"]


def test_a_lease_is_never_shorter_than_claim_timeout():
    """Stored times have no fraction: a claim at 12:00:00.9 for 300 s must not end at 12:04:59."""
    moment = NOW + dt.timedelta(microseconds=900_000)
    assert later(moment, 300) == "2024-03-01T12:05:01Z"
    assert later(NOW, 300) == "2024-03-01T12:05:00Z"


def test_cli_reports_held_alerts_and_exits_75(db, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from policywatch.cli import cli

    config_path = tmp_path / "policywatch.toml"
    config_path.write_text('[[alerts]]\nkind = "webhook"\nurl = "http://127.0.0.1:9/"\nname = "hook"\n'
                           'secret_env = "PW_CLI_SECRET"\n')
    monkeypatch.setenv("PW_CLI_SECRET", "")
    queue_one(db, parse_config({"alerts": [{"kind": "webhook", "url": "http://127.0.0.1:9/", "name": "hook"}]}))
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    runner = CliRunner()
    sent = runner.invoke(cli, ["--db", path, "--config", str(config_path), "alerts", "send"])
    assert sent.exit_code == 75, sent.output
    assert "PW_CLI_SECRET" in sent.output and "set but empty" in sent.output and "held 1" in sent.output
    listed = runner.invoke(cli, ["--db", path, "alerts", "list"])
    assert "HELD" in listed.output and "attempts 0" in listed.output


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
