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
    """One attempt's outcome: ``ok``, or an error to record (and retry on)."""

    ok: bool
    error: str | None = None
    response_status: int | None = None


class Sender(Protocol):
    def send(self, channel: "Channel", content: "AlertContent") -> SendResult:
        """Deliver once; return a failed result (do not raise) for transport errors."""
        ...
