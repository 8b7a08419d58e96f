"""Writing alerts into the outbox (the ``alerts`` table).

The ingest calls :func:`enqueue_change_alerts` inside the transaction that
records a material change, so a change and its alerts are committed together or
not at all (docs/DESIGN.md: "a row per (change, channel) is written in the same
transaction as the change"). Senders pick the rows up later
(:mod:`tracker.alerts.delivery`); nothing here talks to the network.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Mapping, Sequence

from sqlite_utils import Database

from policywatch.db import alerts as alerts_db
from policywatch.tracker.alerts.clock import resolve, stamp
from policywatch.tracker.config import Channel

CHANGE = "change"
TRACKING_BROKEN = "tracking_broken"
TRACKING_RESTORED = "tracking_restored"
ALERT_KINDS: tuple[str, ...] = (CHANGE, TRACKING_BROKEN, TRACKING_RESTORED)


def new_alert_id() -> str:
    """A random id: it doubles as the webhook Idempotency-Key and e-mail Message-ID,
    so it must never repeat across databases (a per-db change id would)."""
    return uuid.uuid4().hex


def enqueue_change_alerts(
    db: Database,
    *,
    change_id: int,
    policy: Mapping[str, Any],
    severity: str,
    channels: Sequence[Channel],
    now: datetime | None = None,
) -> list[str]:
    """Queue one alert per accepting channel for a material change.

    Returns the ids of the alerts inserted now (an alert that already existed for
    (change, channel) is left alone). Runs in the caller's transaction; it never
    commits.
    """
    created_at = stamp(resolve(now))
    inserted: list[str] = []
    for channel in channels:
        if not channel.accepts(policy["name"], policy.get("policy_group"), severity):
            continue
        alert_id = new_alert_id()
        if alerts_db.insert_alert(
            db,
            alert_id=alert_id,
            kind=CHANGE,
            change_id=change_id,
            policy_id=policy["id"],
            channel=channel.key,
            created_at=created_at,
        ):
            inserted.append(alert_id)
    return inserted


def enqueue_health_alerts(
    db: Database,
    *,
    kind: str,
    policy: Mapping[str, Any],
    detail: Mapping[str, Any],
    channels: Sequence[Channel],
    now: datetime | None = None,
) -> list[str]:
    """Queue tracking_broken / tracking_restored notices (no change attached).

    Idempotence comes from the caller flipping ``policies.tracking_status`` in
    the same transaction: only the pass that flips it gets here.
    """
    created_at = stamp(resolve(now))
    inserted: list[str] = []
    for channel in channels:
        if not channel.accepts_health(policy["name"], policy.get("policy_group")):
            continue
        alert_id = new_alert_id()
        alerts_db.insert_alert(
            db,
            alert_id=alert_id,
            kind=kind,
            change_id=None,
            policy_id=policy["id"],
            channel=channel.key,
            created_at=created_at,
            detail=json.dumps(dict(detail), sort_keys=True),
        )
        inserted.append(alert_id)
    return inserted
