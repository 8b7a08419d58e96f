"""Daily digests: channels with ``digest = "daily"`` get one message per run.

Their alerts are queued like any other (one outbox row per change), but
:func:`tracker.alerts.delivery.send_pending` leaves them alone; the daily
``digest`` job calls :func:`send_digests`, which claims all of a channel's due
alerts, sends them as one message and settles them together. The digest's
Idempotency-Key / Message-ID is derived from its alert ids, so a retry of the
same set is recognisable as a repeat.
"""
from __future__ import annotations

from datetime import datetime
from typing import Mapping

from sqlite_utils import Database

from policywatch.db import alerts as alerts_db
from policywatch.tracker.alerts.clock import later, resolve, stamp
from policywatch.tracker.alerts.delivery import DeliverySummary, attempt_send, default_senders, finish_claim
from policywatch.tracker.alerts.render import AlertContent, render_alert, render_digest
from policywatch.tracker.alerts.sender import Sender, SendResult
from policywatch.tracker.config import Channel, Config


def send_digests(
    db: Database,
    config: Config,
    *,
    now: datetime | None = None,
    senders: Mapping[str, Sender] | None = None,
) -> DeliverySummary:
    """Send one digest per digest channel that has due alerts."""
    moment = resolve(now)
    senders = dict(senders) if senders is not None else default_senders()
    summary = DeliverySummary()
    for channel in config.channels:
        if channel.digest:
            _send_channel_digest(db, config, channel, moment, senders, summary)
    summary.pending = alerts_db.count_by_status(db)["pending"]
    return summary


def _send_channel_digest(
    db: Database,
    config: Config,
    channel: Channel,
    moment: datetime,
    senders: Mapping[str, Sender],
    summary: DeliverySummary,
) -> None:
    lease = later(moment, config.delivery.claim_timeout)
    claimed = [
        alert_id
        for alert_id in alerts_db.pending_ids_for_channel(db, channel.key, stamp(moment))
        if alerts_db.claim_alert(db, alert_id, now=stamp(moment), lease_until=lease)
    ]
    if not claimed:
        return
    contents: list[AlertContent] = []
    broken: list[str] = []
    for alert_id in claimed:
        try:
            contents.append(render_alert(db, alert_id))
        except Exception as exc:  # a broken alert fails alone; the digest goes out without it
            broken.append(alert_id)
            result = SendResult(False, f"{channel.key}: cannot render alert: {type(exc).__name__}: {exc}")
            finish_claim(db, config.delivery, [alert_id], lease, moment, result, summary)
    if not contents:
        return
    digest = render_digest(contents, day=moment.strftime("%Y-%m-%d"))
    result = attempt_send(senders, channel, digest)
    finish_claim(db, config.delivery, list(digest.alert_ids), lease, moment, result, summary)
