"""The state of one (policy, URL) walked through the archive's index, as plain data.

Kept apart from the spider (no Scrapy here): what was listed, which second served
which digest, which rows can stand in for a same-second twin; and where a listing
starts (``listing_start``), read from the database by the spider, or by ``enqueue``
for a distributed worker, which has no database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Listing:
    """One (policy, URL) being walked through the index: its pages, open fetches and findings."""

    policy_id: int
    url: str
    moved_at: str | None
    until: str | None
    listed: set[tuple[str, str]] = field(default_factory=set)
    page: list[Any] = field(default_factory=list)  # rows of the current page (alternates for twins)
    outstanding: int = 0
    next_page: tuple[str | None, str | None] | None = None  # (from, resumeKey) of the next query
    rows: int = 0
    texts: int = 0  # rows answered with a body (or reusing one)
    served: dict[str, str] = field(default_factory=dict)  # second -> digest its replay URL served
    targets: dict[str, str] = field(default_factory=dict)  # digest of an archived redirect -> its target
    last_row: tuple[str, str] | None = None  # (timestamp, digest) of the newest row listed
    reused: list[str] = field(default_factory=list)  # digests of rows recorded from a stored copy
    previous: str | None = None  # digest of the last row listed (adjacent repeats are collapsed)
    fresh: bool = False  # a first full backfill of this URL (no bound, nothing recorded before)

    @property
    def stream(self) -> tuple[int, str]:
        return self.policy_id, self.url

    def twin_seconds(self) -> set[str]:
        """Seconds of this page listed with more than one digest (one replay URL, one body)."""
        digests: dict[str, set[str]] = {}
        for row in self.page:
            digests.setdefault(row.timestamp, set()).add(row.digest)
        return {ts for ts, found in digests.items() if len(found) > 1}

    def alternate(self, digest: str, avoid: frozenset[str] | set[str]) -> Any:
        """Another row of this page with ``digest`` at a second not in ``avoid``, else None."""
        return next((r for r in self.page if r.digest == digest and r.timestamp not in avoid), None)



def listing_start(db: Any, policy_id: int, url: str, moved_at: str | None) -> dict[str, Any]:
    """Where the CDX query of (policy, URL) starts: ``since`` (14 digits, None for a full
    backfill) and ``previous``, the digest of the row recorded just before it (collapsed)."""
    from policywatch.crawler.cdx import iso_to_timestamp
    from policywatch.db.crawl_state import wayback_digest_before, wayback_resume_time

    former = url if moved_at else None
    resume = wayback_resume_time(db, policy_id, former_url=former)
    if not resume:
        return {"since": None, "previous": None}
    return {"since": iso_to_timestamp(resume),
            "previous": wayback_digest_before(db, policy_id, resume, former_url=former)}
