"""``wayback``: backfill each policy's history from the Internet Archive.

Per policy: page through the CDX index (200s, adjacent duplicates collapsed,
``from`` = the last stored archive capture unless ``since`` is given), fetch
each digest not stored yet in raw ``id_`` form, record rows of known digests
from the stored body (no download), and release results to the sink in CDX
order so a killed run resumes from the database alone. A policy's former URLs
(recorded moves) are queried too, up to the move, each with its own resume point.

Replay redirects: an ``id_`` request for a time without an exact capture
answers 3xx WITHOUT ``Memento-Datetime`` (navigation to the nearest capture:
follow it, keep the final timestamp); an archived redirect answers 3xx WITH
``Memento-Datetime`` (the page itself redirected then: follow it inside the
archive and record where it led as ``final_url``).

    scrapy crawl wayback [-a since=YYYYMMDD] [-a until=...] [-a shard=K -a shards=N]
"""
from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from policywatch.crawler.cdx import capture_url, cdx_url, iso_to_timestamp, memento_to_iso, parse_cdx_json, plan_rows
from policywatch.crawler.cdx import split_archive_url, timestamp_to_iso
from policywatch.crawler.items import ArchivedRepeat, Capture
from policywatch.crawler.ordering import InOrderRelease
from policywatch.crawler.outcomes import classify_failure, classify_response
from policywatch.crawler.spiders.base import ERROR_STATUSES, PolicySpider, header

MAX_ARCHIVE_HOPS = 6


class WaybackSpider(PolicySpider):
    name = "wayback"

    def __init__(self, *args: Any, since: str | None = None, until: str | None = None,
                 limit: str | int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.since, self.until = since or None, until or None
        self.limit = int(limit) if limit else None
        self.release = InOrderRelease()
        self._slots = itertools.count()
        self._stored: dict[int, set[str]] = {}
        self._seen: dict[int, set[str]] = {}
        self._queue: deque[dict[str, Any]] = deque()

    @property
    def base(self) -> str:
        from policywatch.crawler.middlewares import archive_base

        return archive_base(self.settings)

    async def start(self) -> Any:
        """Start a few CDX chains; each finished chain starts the next policy's.

        Why not all at once: a request waiting for the CDX budget (2.5 s apart by
        default) holds a downloader slot, so hundreds of queued index queries would
        starve the replays. A handful of chains keeps both budgets busy.
        """
        from policywatch.db.crawl_state import archive_urls

        for policy in self.selected_policies():
            for url, moved_at in archive_urls(self.db, policy["id"]):
                self._queue.append({"id": policy["id"], "url": url, "moved_at": moved_at})
        for _ in range(max(1, self.settings.getint("POLICYWATCH_CDX_CHAINS"))):
            for request in self.next_policy():
                yield request

    def next_policy(self) -> Iterator[scrapy.Request]:
        """The first CDX request of the next (policy, URL) in the queue (nothing when done).

        A policy's former URLs (recorded moves) are queried up to the move, so a
        backfill also recovers the history kept under the old address.
        """
        from policywatch.db.crawl_state import wayback_resume_time

        if not self._queue:
            return
        entry = self._queue.popleft()
        self.digests(entry["id"])
        since = self.since
        if since is None:
            resume = wayback_resume_time(self.db, entry["id"], former_url=entry["url"] if entry["moved_at"] else None)
            since = iso_to_timestamp(resume) if resume else None
        until = self.until
        if entry["moved_at"]:
            moved = iso_to_timestamp(entry["moved_at"])
            until = min(until.ljust(14, "9"), moved) if until else moved
        yield self.cdx_request(entry["id"], entry["url"], since, until)

    def digests(self, policy_id: int) -> tuple[set[str], set[str]]:
        """(stored, seen in this run) digests of a policy, loaded on first use."""
        from policywatch.db.crawl_state import done_wayback_digests

        if policy_id not in self._stored:
            self._stored[policy_id] = done_wayback_digests(self.db, policy_id)
            self._seen[policy_id] = set()
        return self._stored[policy_id], self._seen[policy_id]

    def cdx_request(self, policy_id: int, url: str, since: str | None, until: str | None = None,
                    resume_key: str | None = None) -> scrapy.Request:
        limit = self.limit or self.settings.getint("POLICYWATCH_CDX_LIMIT")
        return scrapy.Request(
            cdx_url(self.base, url, since=since, until=until, limit=limit, resume_key=resume_key),
            callback=self.parse_cdx, errback=self.cdx_failed, dont_filter=True, priority=10,
            meta={"policy_id": policy_id, "policy_url": url, "since": since, "until": until},
        )

    def parse_cdx(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        policy_id = meta["policy_id"]
        try:
            page = parse_cdx_json(response.text)
        except ValueError as exc:  # not JSON (an error page with status 200): skip, resume next run
            self.crawler.stats.inc_value("policywatch/cdx_failures")
            self.logger.error("CDX answer for policy %s is not JSON: %s", policy_id, exc)
            yield from self.next_policy()
            return
        plan = plan_rows(page.snapshots, *self.digests(policy_id))
        self.crawler.stats.inc_value("policywatch/cdx_rows", len(plan))
        stream = (policy_id, meta["policy_url"])  # one ordered stream per queried URL
        slots = [next(self._slots) for _ in plan]
        for slot in slots:  # reserve every position first: results are released in this order
            self.release.add(stream, slot)
        for row, slot in zip(plan, slots):
            snap = row.snapshot
            if row.action == "reuse":
                self.crawler.stats.inc_value("policywatch/rows_known_digest")
                repeat = ArchivedRepeat(policy_id, snap.original, timestamp_to_iso(snap.timestamp), snap.digest)
                yield from self.release.complete(stream, slot, [repeat])
            else:
                yield self.capture_request(policy_id, snap.original, snap.timestamp, snap.digest, slot, stream=stream)
        if page.resume_key:
            yield self.cdx_request(policy_id, meta["policy_url"], meta["since"], meta["until"], page.resume_key)
        else:
            yield from self.next_policy()

    def cdx_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        # Nothing after this page is released, so the next run resumes before it.
        self.crawler.stats.inc_value("policywatch/cdx_failures")
        self.logger.error("CDX query failed for policy %s: %s", failure.request.meta["policy_id"],
                          classify_failure(failure.value).detail)
        yield from self.next_policy()

    def capture_request(self, policy_id: int, original: str, timestamp: str, digest: str, slot: int,
                        url: str | None = None, hops: int = 0, archived_redirect: bool = False,
                        stream: Any = None) -> scrapy.Request:
        return scrapy.Request(
            url or capture_url(self.base, timestamp, original),
            callback=self.parse_capture, errback=self.capture_failed, dont_filter=True,
            meta={"policy_id": policy_id, "original": original, "timestamp": timestamp, "digest": digest,
                  "slot": slot, "stream": policy_id if stream is None else stream, "hops": hops, "archived_redirect": archived_redirect,
                  "dont_redirect": True, "handle_httpstatus_list": ERROR_STATUSES + list(range(300, 400))},
        )

    def parse_capture(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        if 300 <= response.status < 400 and response.headers.get("Location"):
            follow = self.follow_archive_redirect(response)
            if follow is not None:
                yield follow
                return
        yield from self.release.complete(meta["stream"], meta["slot"], [self.capture_from(response)])

    def follow_archive_redirect(self, response: Response) -> scrapy.Request | None:
        """Follow a replay redirect inside the archive (None: give up and record the 3xx)."""
        meta = response.meta
        target = urljoin(response.url, response.headers["Location"].decode("latin-1"))
        if meta["hops"] >= MAX_ARCHIVE_HOPS or not target.startswith(self.base):
            return None
        archived = meta["archived_redirect"] or bool(response.headers.get("Memento-Datetime"))
        if archived:
            self.crawler.stats.inc_value("policywatch/archived_redirects")
        return self.capture_request(meta["policy_id"], meta["original"], meta["timestamp"], meta["digest"],
                                    meta["slot"], url=target, hops=meta["hops"] + 1, archived_redirect=archived,
                                    stream=meta["stream"])

    def capture_from(self, response: Response) -> Capture:
        """The Capture of a replayed page (or of the error the archive answered)."""
        meta = response.meta
        located = split_archive_url(response.url)
        final_original = located[1] if located else meta["original"]
        capture_time = (memento_to_iso(response.headers.get("Memento-Datetime"))
                        or timestamp_to_iso(located[0] if located else meta["timestamp"]))
        if response.status >= 300:
            capture_time = timestamp_to_iso(meta["timestamp"])
        content_type = header(response, "Content-Type")
        verdict = classify_response(response.status, content_type, meta["original"], final_original)
        detail = verdict.detail
        if meta["archived_redirect"] and verdict.outcome == "ok":
            detail = f"archived redirect to {final_original}"
        return Capture(
            policy=meta["policy_id"], source="wayback", url=meta["original"], capture_time=capture_time,
            body=response.body if verdict.outcome == "ok" else None, http_status=response.status,
            content_type=content_type, outcome=verdict.outcome, detail=detail,
            final_url=final_original if final_original != meta["original"] else None,
            wayback_digest=meta["digest"],
        )

    def capture_failed(self, failure: Failure) -> Iterator[Any]:
        meta = failure.request.meta
        verdict = classify_failure(failure.value)
        capture = Capture(
            policy=meta["policy_id"], source="wayback", url=meta["original"],
            capture_time=timestamp_to_iso(meta["timestamp"]), outcome=verdict.outcome, detail=verdict.detail,
            wayback_digest=meta["digest"],
        )
        yield from self.release.complete(meta["stream"], meta["slot"], [capture])

    def closed(self, reason: str) -> None:
        pending = self.release.pending()
        if pending:
            self.logger.warning("%d archive captures were not released (run interrupted?)", pending)
        super().closed(reason)
