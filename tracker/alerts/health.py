"""Health alerts: tell people when a policy can no longer be tracked.

The ingest keeps ``policies.consecutive_failures`` and ``last_outcome``; this
module derives the tracking state from them. When failures reach
``[health] failures_before_alert`` the policy flips to ``broken`` and each
channel gets ONE ``tracking_broken`` alert naming the cause; when a check
succeeds again (failures back to 0) it flips to ``ok`` with one
``tracking_restored``. The flip and its alerts are one transaction and the
flip is conditional, so repeated or concurrent checks raise nothing twice.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from policywatch.db import alerts as alerts_db
from policywatch.tracker.alerts.clock import resolve
from policywatch.tracker.alerts.outbox import TRACKING_BROKEN, TRACKING_RESTORED, enqueue_health_alerts
from policywatch.tracker.config import Config


def check_health(db: Database, config: Config, *, now: datetime | None = None) -> list[str]:
    """Flip tracking states that the failure counts call for; return new alert ids."""
    moment = resolve(now)
    threshold = config.health.failures_before_alert
    alert_ids: list[str] = []
    for policy in alerts_db.policies_for_health(db):
        transition = _transition(policy, threshold)
        if transition is not None:
            alert_ids += _flip(db, config, policy, transition, moment)
    return alert_ids


def _transition(policy: dict[str, Any], threshold: int) -> tuple[str, str, str] | None:
    """(old status, new status, alert kind) when the policy's state must change."""
    failures = policy["consecutive_failures"] or 0
    if policy["tracking_status"] == "ok" and policy["active"] and failures >= threshold:
        return "ok", "broken", TRACKING_BROKEN
    if policy["tracking_status"] == "broken" and failures == 0:
        return "broken", "ok", TRACKING_RESTORED
    return None


def _flip(db: Database, config: Config, policy: dict[str, Any], transition: tuple[str, str, str], moment: datetime) -> list[str]:
    old, new, kind = transition
    detail = {
        "cause": policy["last_outcome"],
        "consecutive_failures": policy["consecutive_failures"],
        "last_checked_at": policy["last_checked_at"],
        "tracking_status": new,
    }
    with db.atomic():
        if not alerts_db.set_tracking_status(db, policy["id"], old=old, new=new):
            return []
        return enqueue_health_alerts(
            db, kind=kind, policy=policy, detail=detail, channels=config.channels, now=moment
        )
