"""Daily digest channels: alerts wait for the digest job, then go as one message."""
from __future__ import annotations

import datetime as dt
import json

from policywatch.db import alerts as alerts_db
from policywatch.tracker.alerts.delivery import send_pending
from policywatch.tracker.alerts.digest import send_digests
from policywatch.tracker.alerts.outbox import enqueue_change_alerts
from policywatch.tracker.config import parse_config

from .conftest import NOW, add_change, add_policy


def test_digest_collects_alerts_into_one_webhook_call(db, receiver):
    config = parse_config({"alerts": [
        {"kind": "webhook", "url": receiver.url, "name": "daily", "digest": "daily", "allow_private": True},
        {"kind": "webhook", "url": receiver.url + "?now", "name": "now", "allow_private": True},
    ]})
    ids = []
    for name in ("acme", "globex"):
        policy = add_policy(db, name=name, url=f"https://{name}.test/privacy")
        change_id = add_change(db, policy)
        ids += enqueue_change_alerts(db, change_id=change_id, policy=policy, severity="high", channels=config.channels, now=NOW)
    immediate = send_pending(db, config, now=NOW)
    assert immediate.sent == 2 and immediate.pending == 2  # digest alerts wait
    summary = send_digests(db, config, now=NOW)
    assert summary.sent == 2 and summary.pending == 0
    digest_requests = [r for r in receiver.requests if r["path"] == "/hook"]
    assert len(digest_requests) == 1
    body = json.loads(digest_requests[0]["body"])
    assert body["digest"] is True and len(body["alerts"]) == 2
    assert {a["policy"]["name"] for a in body["alerts"]} == {"acme", "globex"}
    assert digest_requests[0]["headers"]["Idempotency-Key"].startswith("digest-")
    assert send_digests(db, config, now=NOW + dt.timedelta(days=1)).sent == 0
    assert all(alerts_db.get_alert(db, i)["status"] == "sent" for i in ids)


def test_failed_digest_retries_all_its_alerts(db, receiver):
    config = parse_config({"alerts": [{"kind": "webhook", "url": receiver.url, "digest": "daily", "allow_private": True}]})
    policy = add_policy(db)
    enqueue_change_alerts(db, change_id=add_change(db, policy), policy=policy, severity="high", channels=config.channels, now=NOW)
    receiver.statuses[:] = [500]
    assert send_digests(db, config, now=NOW).failed == 1
    assert send_digests(db, config, now=NOW + dt.timedelta(minutes=1)).sent == 1
    assert [r["status"] for r in receiver.requests] == [500, 200]
    keys = {r["headers"]["Idempotency-Key"] for r in receiver.requests}
    assert len(keys) == 1  # the same digest, recognisable as a repeat
