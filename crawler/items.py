"""Items the spiders yield (dataclasses, JSON-serialisable like everything crossing the sink).

A fetched page is a ``tracker.model.Capture`` itself: the crawler -> tracker
hand-off has one record type. The others describe work for the database that
is not a fetch.
"""
from __future__ import annotations

from dataclasses import dataclass

from policywatch.tracker.model import Capture

__all__ = ["Capture", "ArchivedRepeat", "PolicyFound", "PolicyMoved"]


@dataclass
class ArchivedRepeat:
    """An archive row whose digest is already stored: recorded at its time, body from the database.

    Recording it (instead of skipping it) keeps flips A -> B -> A in the history
    while the archive is asked for each distinct body only once.
    """

    policy_id: int
    url: str
    capture_time: str
    wayback_digest: str


@dataclass
class PolicyFound:
    """Discovery found a site's privacy policy: track it."""

    url: str
    home_url: str
    link_text: str
    score: float
    name: str | None = None


@dataclass
class PolicyMoved:
    """A tracked policy answers at a new address: same policy, new URL (never a deletion)."""

    policy_id: int
    old_url: str
    new_url: str
    reason: str
