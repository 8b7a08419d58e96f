"""The one clock of policywatch and its one timestamp format.

Every stored time is ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, fixed width), so SQL string
comparison is time comparison. Code that needs "now" calls :func:`utcnow` or
:func:`now_stamp`; code that must be testable takes a ``now`` and passes it
through :func:`resolve`.
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


def now_stamp() -> str:
    """The current time in the stored format."""
    return stamp(utcnow())


def later(moment: datetime, seconds: float) -> str:
    """The stored form of ``moment + seconds``, rounded UP to whole seconds.

    Stored times have no fraction; rounding the end up (never truncating it) keeps a
    lease at least as long as asked for.
    """
    end = resolve(moment) + timedelta(seconds=max(1, -(-seconds // 1)))
    if end.microsecond:
        end = end.replace(microsecond=0) + timedelta(seconds=1)
    return stamp(end)
