"""The transport seam every alert channel implements.

A sender turns :class:`AlertContent` into one delivery attempt and reports
the outcome; it never touches the database (the outbox bookkeeping lives in
:mod:`tracker.alerts.delivery`). Tests swap senders, or the I/O seam inside
each sender, for doubles.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from policywatch.tracker.alerts.render import AlertContent
    from policywatch.tracker.config import Channel


@dataclass(frozen=True)
class SendResult:
    """One attempt's outcome: ``ok``, or an error to record (and retry on).

    ``held``: the channel could not even try (a secret variable unset or empty,
    an unusable URL from the environment); the alert waits without an attempt
    being counted, so fixing the environment never finds it given up.
    """

    ok: bool
    error: str | None = None
    response_status: int | None = None
    held: bool = False


class Sender(Protocol):
    def send(self, channel: "Channel", content: "AlertContent") -> SendResult:
        """Deliver once; return a failed result for transport errors; raise ConfigError
        when the channel cannot send at all (the alert is held). Any other exception
        fails this alert alone (recorded), never the pass."""
        ...
