"""The alert machinery's clock seam and its one timestamp format.

Delivery, backoff, leases and health checks all take ``now`` from a caller so
tests can move time without sleeping. Stored times use one fixed-width UTC
format so SQL string comparison orders them correctly (see ``db/alerts.py``).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utcnow() -> datetime:
    """The real clock (the default seam)."""
    return datetime.now(timezone.utc)


def resolve(now: datetime | None) -> datetime:
    """An aware UTC datetime: the given ``now`` or the real clock."""
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        return now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc)


def stamp(moment: datetime) -> str:
    """Format a moment for storage."""
    return resolve(moment).strftime(TIME_FORMAT)


def later(moment: datetime, seconds: float) -> str:
    """The stored form of ``moment + seconds`` (rounded up to whole seconds)."""
    return stamp(moment + timedelta(seconds=max(1, -(-seconds // 1))))
