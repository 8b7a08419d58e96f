"""From ingest to inbox: the lead's Ingestor queues alerts in the outbox, the
real senders deliver them to real loopback servers (SMTP with STARTTLS, HTTP)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from policywatch.db import alerts as alerts_db
from policywatch.db.policies import get_policy
from policywatch.tracker.alerts.delivery import send_pending
from policywatch.tracker.alerts.health import check_health
from policywatch.tracker.alerts.webhook import verify_signature
from policywatch.tracker.config import parse_config
from policywatch.tracker.folder_import import import_directory
from policywatch.tracker.ingest import Ingestor
from policywatch.tracker.model import Capture

from .conftest import email_channel_config

pytestmark = [pytest.mark.network, pytest.mark.timeout(90)]
SOURCEHUT = Path(__file__).resolve().parents[2] / "policywatch" / "demo_data" / "sourcehut"
SALE = "We may sell your personal information to data brokers."
SECRET = "e2e-secret"


@pytest.fixture(autouse=True)
def secrets(monkeypatch):
    monkeypatch.setenv("E2E_HOOK_SECRET", SECRET)
    monkeypatch.setenv("TEST_SMTP_USER", "alice")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")


@pytest.fixture
def config(receiver, smtp_server, tls_files):
    return parse_config({"alerts": [
        {"kind": "webhook", "url": receiver.url, "secret_env": "E2E_HOOK_SECRET", "min_severity": "medium", "timeout": 3,
         "allow_private": True},
        email_channel_config(smtp_server, tls_files[0]),
    ]})


@pytest.fixture
def imported(db, config):
    """A policy with history from `import` (which itself must not alert)."""
    summary = import_directory(db, SOURCEHUT, "sourcehut", channels=config.channels)
    assert summary.new_versions >= 2 and summary.alerts == 0
    assert alerts_db.count_by_status(db)["pending"] == 0
    return get_policy(db, "sourcehut")


def latest_text() -> str:
    return sorted(SOURCEHUT.glob("*.md"))[-1].read_text(encoding="utf-8")


def live(policy: dict, text: str, when: str, **extra) -> Capture:
    return Capture(policy=policy["name"], source="live", url=policy["url"], capture_time=when,
                   body=text.encode("utf-8") if text is not None else None, content_type="text/markdown",
                   http_status=200, **extra)


def test_material_change_gives_one_email_and_one_signed_webhook(db, config, imported, receiver, smtp_server):
    ingestor = Ingestor(db, channels=config.channels)
    text = latest_text()
    cosmetic = ingestor.put(live(imported, text.replace("Privacy policy", "Privacy Policy"), "2026-01-01T00:00:00Z"))
    assert cosmetic.alert_ids == []
    assert send_pending(db, config).sent == 0
    material_text = text.replace("and a password.", "and a password. " + SALE)
    assert material_text != text
    material = ingestor.put(live(imported, material_text, "2026-01-02T00:00:00Z"))
    assert len(material.alert_ids) == 2

    summary = send_pending(db, config)
    assert (summary.sent, summary.failed, summary.pending) == (2, 0, 0), summary.errors
    assert send_pending(db, config, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).sent == 0

    [request] = receiver.requests
    assert verify_signature(request["body"], SECRET, request["headers"]["X-Policywatch-Signature"])
    payload = json.loads(request["body"])
    assert payload["alert_id"] == request["headers"]["Idempotency-Key"]
    assert payload["policy"]["name"] == "sourcehut"
    change = payload["change"]
    assert change["material"] is True and change["severity"] in ("medium", "high")
    assert "sale" in change["categories"]
    assert change["to_time"] == "2026-01-02T00:00:00Z"
    assert any(SALE in (c["new_text"] or "") for c in change["clause_changes"])

    [message] = smtp_server.messages
    assert smtp_server.tls_seen == [True]
    text_part = message.get_body(("plain",)).get_content()
    assert "sourcehut" in text_part and "2026-01-02T00:00:00Z" in text_part and "data brokers" in text_part
    assert "<ins>" in message.get_body(("html",)).get_content()


def test_receiver_error_then_recovery_delivers_exactly_once(db, config, imported, receiver, smtp_server):
    ingestor = Ingestor(db, channels=config.channels)
    text = latest_text().replace("and a password.", "and a password. " + SALE)
    ingestor.put(live(imported, text, "2026-01-02T00:00:00Z"))
    receiver.statuses[:] = [500]
    now = dt.datetime.now(dt.timezone.utc)
    first = send_pending(db, config, now=now)
    assert (first.sent, first.failed) == (1, 1)  # the e-mail went; the webhook got a 500
    assert send_pending(db, config, now=now + dt.timedelta(seconds=30)).sent == 0  # backing off
    assert send_pending(db, config, now=now + dt.timedelta(minutes=2)).sent == 1
    assert send_pending(db, config, now=now + dt.timedelta(hours=12)).sent == 0
    assert [r["status"] for r in receiver.requests] == [500, 200]
    assert len(set(r["headers"]["Idempotency-Key"] for r in receiver.requests)) == 1
    assert len(smtp_server.messages) == 1


def test_crashed_sender_resumes_without_duplicates(db, config, imported, receiver, smtp_server):
    ingestor = Ingestor(db, channels=config.channels)
    result = ingestor.put(live(imported, latest_text() + "\n\n" + SALE + "\n", "2026-01-02T00:00:00Z"))
    assert len(result.alert_ids) == 2
    now = dt.datetime.now(dt.timezone.utc)
    from policywatch.tracker.alerts.clock import later, stamp

    for alert_id in result.alert_ids:  # a sender claims both, then dies
        assert alerts_db.claim_alert(db, alert_id, now=stamp(now), lease_until=later(now, config.delivery.claim_timeout))
    assert send_pending(db, config, now=now + dt.timedelta(seconds=5)).sent == 0  # still leased
    resumed = send_pending(db, config, now=now + dt.timedelta(seconds=config.delivery.claim_timeout + 1))
    assert resumed.sent == 2
    assert send_pending(db, config, now=now + dt.timedelta(days=1)).sent == 0
    assert len(receiver.requests) == 1 and len(smtp_server.messages) == 1


def test_failing_checks_raise_one_broken_and_one_restored(db, config, imported, receiver, smtp_server):
    ingestor = Ingestor(db, channels=config.channels)
    for day in (1, 2, 3, 4):
        ingestor.put(live(imported, None, f"2026-02-0{day}T00:00:00Z", outcome="http_error", detail="HTTP 503"))
        check_health(db, config)
    kinds = [a["kind"] for a in alerts_db.list_alerts(db)]
    assert kinds == ["tracking_broken", "tracking_broken"]  # one per channel, once
    assert send_pending(db, config).sent == 2
    assert "http_error" in smtp_server.messages[0].get_body(("plain",)).get_content()
    ingestor.put(live(imported, latest_text(), "2026-02-05T00:00:00Z"))
    check_health(db, config)
    check_health(db, config)
    kinds = [a["kind"] for a in alerts_db.list_alerts(db)]
    assert sorted(kinds) == ["tracking_broken"] * 2 + ["tracking_restored"] * 2  # restored once per channel
    assert send_pending(db, config).sent == 2
    assert [json.loads(r["body"])["kind"] for r in receiver.requests] == ["tracking_broken", "tracking_restored"]
    restored_mail = smtp_server.messages[1]
    assert "restored" in restored_mail["Subject"].lower()
    assert send_pending(db, config).sent == 0
