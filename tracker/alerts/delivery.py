"""Delivering the outbox: claim, send, record, retry with backoff.

For each due alert: claim it with one conditional UPDATE (``pending ->
sending`` plus a lease that starts at THAT claim, not at the start of the
pass), send it outside any transaction, record an ``alert_attempts`` row, then
mark it ``sent`` or put it back to ``pending`` with an exponential backoff
(``failed`` after ``max_attempts``). Because the claim is atomic and the lease
outlives any send (``claim_timeout`` >= 3 x the channel timeout, checked by the
config), two senders never send the same alert; because the lease expires, an
alert whose sender crashed mid-send is taken over later, and the receiver sees
the same Idempotency-Key / webhook-id / Message-ID again.

Faults stay local: a channel whose secret variable is unset or empty is *held*
(claim released, no attempt counted, ``last_error`` says why); any exception a
sender or the renderer raises fails that one alert (recorded) and the pass goes
on to the next alert and channel.

Seams: the clock (``now`` fixed, or ``clock`` read at each claim) and
``senders`` (``{kind: Sender}``) are injected.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Mapping

from sqlite_utils import Database

from policywatch.db import alerts as alerts_db
from policywatch.errors import ConfigError
from policywatch.tracker.alerts.clock import later, resolve, stamp
from policywatch.tracker.alerts.render import AlertContent, render_alert
from policywatch.tracker.alerts.sender import Sender, SendResult
from policywatch.tracker.config import Channel, Config, DeliveryConfig

log = logging.getLogger(__name__)


@dataclass
class DeliverySummary:
    """What one pass did; ``pending`` counts what is left for later passes."""

    sent: int = 0
    failed: int = 0  # attempts that failed in this pass (retried later or given up)
    gave_up: int = 0  # of those, alerts now permanently 'failed'
    held: int = 0  # alerts whose channel cannot send yet (secret unset/empty): no attempt counted
    skipped: int = 0  # due alerts whose channel is not in the current config
    pending: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing failed or was held in this pass (``alerts send`` exits non-zero otherwise)."""
        return not (self.failed or self.held)

    def line(self) -> str:
        text = f"sent {self.sent}, failed {self.failed}, pending {self.pending}"
        return text + (f", held {self.held}" if self.held else "")


Clock = Callable[[], datetime]


def clock_for(now: datetime | None, clock: Clock | None) -> Clock:
    """The moment source of a pass: an explicit clock, else a fixed ``now``, else the real clock."""
    if clock is not None:
        return lambda: resolve(clock())
    if now is not None:
        fixed = resolve(now)
        return lambda: fixed
    return lambda: resolve(None)


def default_senders() -> dict[str, Sender]:
    """The real transports, one per channel kind (explicit registry)."""
    from policywatch.tracker.alerts.apprise_channel import AppriseSender
    from policywatch.tracker.alerts.email import EmailSender
    from policywatch.tracker.alerts.webhook import WebhookSender

    return {"webhook": WebhookSender(), "email": EmailSender(), "apprise": AppriseSender()}


def backoff_seconds(attempts: int, policy: DeliveryConfig) -> float:
    """Wait after the ``attempts``-th failure: base, 2*base, 4*base ... capped."""
    return min(policy.backoff_base * 2 ** max(0, attempts - 1), policy.backoff_max)


def send_pending(
    db: Database,
    config: Config,
    *,
    now: datetime | None = None,
    clock: Clock | None = None,
    senders: Mapping[str, Sender] | None = None,
    limit: int | None = None,
) -> DeliverySummary:
    """Deliver every due alert of non-digest channels once; never raises for a bad send.

    Each claim reads the clock again, so a pass that outlives ``claim_timeout``
    still holds a full lease on the alert it is sending.
    """
    current = clock_for(now, clock)
    senders = dict(senders) if senders is not None else default_senders()
    digest_keys = [c.key for c in config.channels if c.digest]
    summary = DeliverySummary()
    for alert_id in alerts_db.due_alert_ids(db, stamp(current()), skip_channels=digest_keys)[:limit]:
        row = alerts_db.get_alert(db, alert_id)
        channel = config.channel(row["channel"]) if row else None
        if channel is None:
            summary.skipped += 1  # kept for a config that has the channel again
            continue
        _deliver_one(db, config.delivery, channel, alert_id, current, senders, summary)
    summary.pending = alerts_db.count_by_status(db)["pending"]
    return summary


def _deliver_one(
    db: Database,
    policy: DeliveryConfig,
    channel: Channel,
    alert_id: str,
    current: Clock,
    senders: Mapping[str, Sender],
    summary: DeliverySummary,
) -> None:
    moment = current()
    lease = later(moment, policy.claim_timeout)
    if not alerts_db.claim_alert(db, alert_id, now=stamp(moment), lease_until=lease):
        return  # another sender won it
    try:
        content = render_alert(db, alert_id)
    except Exception as exc:  # a broken alert fails alone (RenderError, or worse)
        result = SendResult(False, f"{channel.key}: cannot render alert: {type(exc).__name__}: {exc}")
    else:
        result = attempt_send(senders, channel, content)
    finish_claim(db, policy, [alert_id], lease, current(), result, summary)


def attempt_send(senders: Mapping[str, Sender], channel: Channel, content: AlertContent) -> SendResult:
    """One send that never raises: configuration problems hold the alert, anything else fails it."""
    sender = senders.get(channel.kind)
    if sender is None:
        return SendResult(False, f"no sender for channel kind {channel.kind!r}")
    try:
        return sender.send(channel, content)
    except ConfigError as exc:
        return SendResult(False, f"held: {exc}", held=True)
    except Exception as exc:  # one bad channel must not stop the others
        log.warning("channel %s raised %s", channel.key, type(exc).__name__, exc_info=True)
        return SendResult(False, f"{channel.key}: {type(exc).__name__}: {exc}"[:500])


def finish_claim(
    db: Database,
    policy: DeliveryConfig,
    alert_ids: list[str],
    lease: str,
    moment: datetime,
    result: SendResult,
    summary: DeliverySummary,
) -> None:
    """Record the attempt and move each claimed alert to its next state.

    A held result records no attempt: the claim goes back to ``pending`` for
    ``backoff_base`` seconds with the reason in ``last_error``.
    """
    at = stamp(moment)
    retry_at: str | None
    if result.held:
        retry_at = later(moment, policy.backoff_base)
        with db.atomic():
            for alert_id in alert_ids:
                if alerts_db.release_claim(db, alert_id, lease_until=lease, note=result.error or "held", retry_at=retry_at):
                    summary.held += 1
        message = f"alert {','.join(a[:8] for a in alert_ids)} {result.error}"
        summary.errors.append(message)
        log.info(message)
        return
    with db.atomic():
        for alert_id in alert_ids:
            alerts_db.record_attempt(
                db, alert_id, attempted_at=at, ok=result.ok, error=result.error,
                response_status=result.response_status,
            )
            if result.ok:
                if alerts_db.mark_sent(db, alert_id, lease_until=lease, sent_at=at):
                    summary.sent += 1
                continue
            row = alerts_db.get_alert(db, alert_id)
            attempts = (row["attempts"] if row else 0) + 1
            retry_at = None if attempts >= policy.max_attempts else later(moment, backoff_seconds(attempts, policy))
            if alerts_db.mark_failed_attempt(db, alert_id, lease_until=lease, error=result.error or "failed", retry_at=retry_at):
                summary.failed += 1
                summary.gave_up += retry_at is None
    if not result.ok:
        message = f"alert {','.join(a[:8] for a in alert_ids)}: {result.error}"
        summary.errors.append(message)
        log.info(message)  # callers report summary.errors; a warning here would print twice
