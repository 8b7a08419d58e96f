"""``wayback``: backfill each policy's history from the Internet Archive.

Per (policy, URL) a ``Listing`` pages through the CDX index (every status and
row; adjacent repeats collapsed here, ``from`` = the newest stored row's timestamp
unless ``since`` is given). Each page is planned (``cdx.plan_rows``): a digest
not stored yet is fetched in raw ``id_`` form, a known digest is recorded from
the stored body, a row already recorded is skipped. Results are released to
the sink in CDX order, and the next page is asked for only once every fetch
of this one has an answer, so a killed run resumes from the database alone.

What the real archive does and how it is handled:

- same-second twins share one replay URL: one request per timestamp; the body's
  base32 SHA-1 says which row it answers; a row it does not answer is fetched
  from another row with its digest, else recorded as ``digest_mismatch``;
- an answer with ``Memento-Datetime`` / ``X-Archive-Src`` is archived content,
  whatever its status: an archived 3xx is a ``redirect`` capture (with its
  target), an archived 4xx/5xx an ``archived_error``; a 3xx without them is
  navigation to the nearest capture (followed); a 200 without them is the
  archive's own error page (``archive_error``, retried next run);
- a CDX 403 is a blocked site: ``blocked_by_archive``, never asked again;
- a capture's time is always its CDX row's timestamp (the resume clock).

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

from policywatch.crawler.cdx import archive_digest, capture_url, cdx_url, checkable, iso_to_timestamp, page_key
from policywatch.crawler.cdx import parse_cdx_json, plan_rows, split_archive_url, timestamp_to_iso
from policywatch.crawler.items import ArchivedRepeat, Capture, PolicyMoved
from policywatch.crawler.listing import Listing
from policywatch.crawler.ordering import InOrderRelease
from policywatch.crawler.outcomes import classify_failure, classify_replay, is_archived, is_home_page, failed_request
from policywatch.crawler.safety import env_flag
from policywatch.crawler.spiders.base import ERROR_STATUSES, PolicySpider, header, recorded_http, utc_now_iso

MAX_ARCHIVE_HOPS = 6
Row = tuple[int, Any]  # (release slot, CDXSnapshot)
__all__ = ["WaybackSpider", "Listing"]


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
        self._recorded: dict[int, set[tuple[str, str]]] = {}
        self._queue: deque[dict[str, Any]] = deque()
        self._listings: dict[tuple[int, str], Listing] = {}

    def listing(self, meta: dict[str, Any]) -> Listing:
        """The live state of a request's listing. Meta carries only its key: a JOBDIR disk queue
        pickles requests, and a pickled copy of the state would count fetches on the copy. A request
        restored from an earlier process finds none: it is answered, and the database says the rest."""
        stream = tuple(meta["stream"])
        if stream not in self._listings:
            self._listings[stream] = Listing(stream[0], stream[1], None, None, outstanding=10**9)
        return self._listings[stream]

    @property
    def base(self) -> str:
        from policywatch.crawler.middlewares import archive_base

        return archive_base(self.settings)

    def progress(self, event: dict[str, Any]) -> None:
        if env_flag(self.settings.get("POLICYWATCH_PROGRESS", "0")):
            from policywatch.crawler.extensions import progress_line

            progress_line(event)

    async def start(self) -> Any:
        """Start a few CDX chains; each finished chain starts the next policy's.

        Why not all at once: a request waiting for the CDX budget holds a downloader
        slot, so hundreds of queued index queries would starve the replays.
        """
        from policywatch.db.crawl_state import archive_blocked_urls, archive_urls

        for policy in self.selected_policies():
            blocked = archive_blocked_urls(self.db, policy["id"])
            for url, moved_at in archive_urls(self.db, policy["id"]):
                if url in blocked:
                    self.crawler.stats.inc_value("policywatch/blocked_known")
                    self.logger.warning("Policy %s: the archive blocks %s (recorded %s); not asking again",
                                        policy["name"], url, blocked[url])
                    continue
                self._queue.append({"id": policy["id"], "url": url, "moved_at": moved_at})
        self.progress({"event": "plan", "listings": len(self._queue)})
        for _ in range(max(1, self.settings.getint("POLICYWATCH_CDX_CHAINS"))):
            for request in self.next_policy():
                yield request

    def next_policy(self, ended: Listing | None = None) -> Iterator[scrapy.Request]:
        """The first CDX request of the next (policy, URL) in the queue (nothing when done);
        ``ended`` is the listing whose chain just ended (the distributed worker counts them)."""
        from policywatch.crawler.listing import listing_start
        from policywatch.db.crawl_state import recorded_wayback_rows

        if not self._queue:
            return
        entry = self._queue.popleft()
        pid = entry["id"]
        self.digests(pid)
        if pid not in self._recorded:
            self._recorded[pid] = recorded_wayback_rows(self.db, pid)
        start = listing_start(self.db, pid, entry["url"], entry["moved_at"]) if self.since is None else \
            {"since": self.since, "previous": None}
        yield self.open_listing(pid, entry["url"], entry["moved_at"], start["since"], start["previous"])

    def open_listing(self, pid: int, url: str, moved_at: str | None, since: str | None,
                     previous: str | None) -> scrapy.Request:
        """Start walking (policy, URL) through the index from ``since`` (up to its move, if any)."""
        until = self.until
        if moved_at:
            moved = iso_to_timestamp(moved_at)
            until = min(until.ljust(14, "9"), moved) if until else moved
        listing = Listing(pid, url, moved_at, until, previous=previous, fresh=since is None and until is None)
        self._listings[listing.stream] = listing
        return self.cdx_request(listing, since)

    def digests(self, policy_id: int) -> tuple[set[str], set[str]]:
        """(stored, being fetched in this run) digests of a policy, loaded on first use."""
        from policywatch.db.crawl_state import done_wayback_digests

        if policy_id not in self._stored:
            self._stored[policy_id] = done_wayback_digests(self.db, policy_id)
            self._seen[policy_id] = set()
        return self._stored[policy_id], self._seen[policy_id]

    def cdx_request(self, listing: Listing, since: str | None, resume_key: str | None = None) -> scrapy.Request:
        limit = self.limit or self.settings.getint("POLICYWATCH_CDX_LIMIT")
        return scrapy.Request(
            cdx_url(self.base, listing.url, since=since, until=listing.until, limit=limit, resume_key=resume_key),
            callback=self.parse_cdx, errback=self.cdx_failed, dont_filter=True, priority=10,
            meta={"stream": listing.stream, "since": since, "handle_httpstatus_list": [403]},
        )

    def parse_cdx(self, response: Response) -> Iterator[Any]:
        listing: Listing = self.listing(response.meta)
        if response.status == 403:
            yield from self.blocked(listing, response)
            return
        try:
            page = parse_cdx_json(response.text)
        except ValueError as exc:  # not JSON (an error page with status 200): skip, resume next run
            self.crawler.stats.inc_value("policywatch/cdx_failures")
            self.logger.error("CDX answer for policy %s is not JSON: %s", listing.policy_id, exc)
            yield from self.next_policy(listing)
            return
        stored, seen = self.digests(listing.policy_id)
        plan = plan_rows(page.snapshots, stored, seen, self._recorded[listing.policy_id], listing.listed,
                         previous=listing.previous)
        listing.previous = page.snapshots[-1].digest if page.snapshots else listing.previous
        self.crawler.stats.inc_value("policywatch/cdx_pages")
        self.crawler.stats.inc_value("policywatch/cdx_rows", len(plan))
        self.progress({"event": "cdx", "policy": listing.policy_id, "rows": len(plan)})
        listing.rows += len(plan)
        listing.page = list(page.snapshots)  # every row, collapsed ones too: alternates for twins
        for row in plan:
            if listing.last_row is None or row.snapshot.timestamp >= listing.last_row[0]:
                listing.last_row = (row.snapshot.timestamp, row.snapshot.digest)
        listing.next_page = None
        if page.resume_key:
            stamps = [s.timestamp for s in page.snapshots]
            # Ask again from the last second (not past it as the key does): twins of that
            # second beyond the limit would never be listed. The key only breaks a stall.
            listing.next_page = (stamps[-1], None) if plan and stamps[0] != stamps[-1] else \
                (response.meta["since"], page.resume_key)
        slots = [next(self._slots) for _ in plan]
        for slot in slots:  # reserve every position first: results are released in this order
            self.release.add(listing.stream, slot)
        groups: dict[str, list[Row]] = {}
        for row, slot in zip(plan, slots):
            snap = row.snapshot
            if row.action == "reuse":
                self.crawler.stats.inc_value("policywatch/rows_known_digest")
                listing.reused.append(snap.digest)
                repeat = ArchivedRepeat(listing.policy_id, listing.url, timestamp_to_iso(snap.timestamp), snap.digest)
                yield from self.release.complete(listing.stream, slot, [repeat])
            else:
                groups.setdefault(snap.timestamp, []).append((slot, snap))
        yield from self.fetch_groups(listing, groups)
        if listing.outstanding == 0:
            yield from self.page_done(listing)

    def fetch_groups(self, listing: Listing, groups: dict[str, list[Row]]) -> Iterator[scrapy.Request]:
        """One request per second (twins share a replay URL); a twin whose digest is listed at
        a second of its own is fetched there, so every digest costs one content request."""
        twins = listing.twin_seconds()
        for timestamp, rows in groups.items():
            if timestamp not in twins and timestamp not in listing.served:
                listing.outstanding += 1
                yield self.capture_request(listing, rows, timestamp, rows[0][1].original)
                continue
            stay = []
            for slot, snap in rows:
                alternate = listing.alternate(snap.digest, twins | {timestamp})
                if alternate is not None:
                    listing.outstanding += 1
                    yield self.capture_request(listing, [(slot, snap)], alternate.timestamp, alternate.original,
                                               tried=frozenset({timestamp}))
                elif timestamp in listing.served:  # listed on a later page: its second serves another body
                    listing.outstanding += 1
                    yield self.digest_request(listing, slot, snap, frozenset({timestamp}))
                else:
                    stay.append((slot, snap))
            if stay:
                listing.outstanding += 1
                yield self.capture_request(listing, stay, timestamp, stay[0][1].original)

    def page_done(self, listing: Listing) -> Iterator[Any]:
        """Every fetch of the page has an answer: the next page, or the next policy."""
        if listing.next_page is not None:
            since, key = listing.next_page
            yield self.cdx_request(listing, since, key)
            return
        yield from self.listing_done(listing)
        yield from self.next_policy(listing)

    def listing_done(self, listing: Listing) -> Iterator[Any]:
        """Say what a history without text was made of, and offer an archived move."""
        self.progress({"event": "policy_done", "policy": listing.policy_id, "url": listing.url})
        target = listing.targets.get(listing.last_row[1]) if listing.last_row else None
        if listing.fresh and not listing.listed:
            self.crawler.stats.inc_value("policywatch/not_archived")
            self.logger.warning("Policy %s: the archive has no capture of %s", listing.policy_id, listing.url)
        texts = listing.texts + sum(1 for digest in listing.reused if digest not in listing.targets)
        if listing.rows and not texts:
            self.crawler.stats.inc_value("policywatch/no_archived_text")
            self.logger.warning("Policy %s: %d archive rows of %s, none with policy text%s", listing.policy_id,
                                listing.rows, listing.url, f" (newest redirects to {target})" if target else "")
        if target and listing.last_row and listing.moved_at is None and self.until is None:
            if page_key(target) != page_key(listing.url) and not is_home_page(target):
                yield PolicyMoved(listing.policy_id, listing.url, target,
                                  f"archived redirect at {timestamp_to_iso(listing.last_row[0])}")

    def blocked(self, listing: Listing, response: Response) -> Iterator[Any]:
        """CDX 403: the site is excluded from the archive. Permanent: record it, never ask again."""
        self.crawler.stats.inc_value("policywatch/blocked_by_archive")
        reason = response.text.strip().splitlines()[0][:200] if response.body else "HTTP 403"
        self.logger.warning("Policy %s: the archive blocks %s (%s); recorded, not asked again",
                            listing.policy_id, listing.url, reason)
        yield Capture(policy=listing.policy_id, source="wayback", url=listing.url, capture_time=utc_now_iso(),
                      http_status=403, outcome="blocked_by_archive", detail=f"the archive refuses this site: {reason}")
        yield from self.next_policy(listing)

    def cdx_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        # Nothing after this page is released, so the next run resumes before it.
        self.crawler.stats.inc_value("policywatch/cdx_failures")
        listing = self.listing(failed_request(failure).meta)
        self.logger.error("CDX query failed for policy %s: %s", listing.policy_id, classify_failure(failure.value).detail)
        yield from self.next_policy(listing)

    def capture_request(self, listing: Listing, rows: list[Row], timestamp: str, original: str,
                        url: str | None = None, hops: int = 0, tried: frozenset[str] = frozenset()) -> scrapy.Request:
        return scrapy.Request(
            url or capture_url(self.base, timestamp, original),
            callback=self.parse_capture, errback=self.capture_failed, dont_filter=True,
            meta={"stream": listing.stream, "rows": rows, "timestamp": timestamp, "original": original, "hops": hops,
                  "tried": tried | {timestamp}, "dont_redirect": True, "searched": False,
                  "handle_httpstatus_list": ERROR_STATUSES + list(range(300, 400))},
        )

    def parse_capture(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        archived = is_archived(response.headers)
        location = response.headers.get("Location")
        if 300 <= response.status < 400 and location:
            target = urljoin(response.url, location.decode("latin-1"))
            if archived:
                yield from self.answer(meta, [self.redirect_capture(meta, slot, snap, response, target)
                                              for slot, snap in meta["rows"]])
                return
            if meta["hops"] < MAX_ARCHIVE_HOPS and target.startswith(self.base):  # navigation: follow
                yield self.capture_request(self.listing(meta), meta["rows"], meta["timestamp"], meta["original"],
                                           url=target, hops=meta["hops"] + 1, tried=meta["tried"])
                return
        content_type = header(response, "Content-Type")
        verdict = classify_replay(response.status, content_type, archived)
        if 300 <= response.status < 400 or verdict.outcome in ("archive_error", "http_error"):
            outcome, detail = verdict.outcome, verdict.detail
            if 300 <= response.status < 400:
                outcome, detail = "http_error", f"HTTP {response.status}: redirect not followed (loop or limit)"
            yield from self.answer(meta, [self.capture(meta, slot, snap, response.status, content_type, outcome, detail,
                                                       response=response) for slot, snap in meta["rows"]])
            return
        served, listing = archive_digest(response.body), self.listing(meta)
        listing.served[meta["timestamp"]] = served
        answered, follow = [], []
        for slot, snap in meta["rows"]:
            if checkable(snap.digest) and snap.digest != served:
                alternate = listing.alternate(snap.digest, meta["tried"])
                if alternate is not None:
                    follow.append(self.capture_request(listing, [(slot, snap)], alternate.timestamp,
                                                       alternate.original, tried=meta["tried"]))
                elif not meta.get("searched"):  # ask the index where else this digest was captured
                    follow.append(self.digest_request(listing, slot, snap, meta["tried"]))
                else:
                    answered.append(self.mismatch(meta, slot, snap, served, response))
                continue
            body = response.body if verdict.outcome == "ok" else None
            answered.append(self.capture(meta, slot, snap, response.status, content_type, verdict.outcome,
                                         verdict.detail, body=body, response=response))
        listing.outstanding += len(follow)
        yield from follow
        yield from self.answer(meta, answered)

    def mismatch(self, meta: dict[str, Any], slot: int, snap: Any, served: str, response: Response) -> tuple[int, Capture]:
        self.crawler.stats.inc_value("policywatch/digest_mismatches")
        return self.capture(meta, slot, snap, response.status, header(response, "Content-Type"), "digest_mismatch",
                            f"the archive serves digest {served} at {meta['timestamp']}, not {snap.digest}, "
                            f"and no other capture of it could be served", response=response)

    def digest_request(self, listing: Listing, slot: int, snap: Any, tried: frozenset[str]) -> scrapy.Request:
        """CDX rows carrying this digest (the page's own collapse may have hidden them)."""
        return scrapy.Request(
            cdx_url(self.base, listing.url, until=listing.until, limit=50, digest=snap.digest),
            callback=self.parse_digest_rows, errback=self.capture_failed, dont_filter=True, priority=20,
            meta={"stream": listing.stream, "rows": [(slot, snap)], "timestamp": snap.timestamp, "tried": tried,
                  "searched": True},
        )

    def parse_digest_rows(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        (slot, snap), listing = meta["rows"][0], self.listing(meta)
        try:
            rows = parse_cdx_json(response.text).snapshots
        except ValueError:
            rows = []
        other = next((r for r in rows if r.digest == snap.digest and r.timestamp not in meta["tried"]), None)
        if other is not None:
            request = self.capture_request(listing, [(slot, snap)], other.timestamp, other.original, tried=meta["tried"])
            request.meta["searched"] = True
            yield request
            return
        self.crawler.stats.inc_value("policywatch/digest_mismatches")
        yield from self.answer(meta, [self.capture(meta, slot, snap, None, None, "digest_mismatch",
                                                   f"the archive serves another body at {snap.timestamp} and lists "
                                                   f"no other capture of {snap.digest}")])

    def capture(self, meta: dict[str, Any], slot: int, snap: Any, status: int | None, content_type: str | None,
                outcome: str, detail: str | None, body: bytes | None = None, final_url: str | None = None,
                response: Response | None = None) -> tuple[int, Capture]:
        listing: Listing = self.listing(meta)
        status_line, headers = recorded_http(response, archived=True) if response is not None else (None, None)
        return slot, Capture(
            policy=listing.policy_id, source="wayback", url=listing.url,
            capture_time=timestamp_to_iso(snap.timestamp), body=body, http_status=status,
            content_type=content_type, outcome=outcome, detail=detail, final_url=final_url,
            wayback_digest=snap.digest, http_status_line=status_line, http_headers=headers,
        )

    def redirect_capture(self, meta: dict[str, Any], slot: int, snap: Any, response: Response,
                         target: str) -> tuple[int, Capture]:
        """An archived redirect: the page pointed elsewhere at that time (the target is kept)."""
        located = split_archive_url(target)
        target_url = located[1] if located else target
        self.crawler.stats.inc_value("policywatch/archived_redirects")
        return self.capture(meta, slot, snap, response.status, header(response, "Content-Type"), "redirect",
                            f"archived redirect to {target_url}", final_url=target_url, response=response)

    def answer(self, meta: dict[str, Any], results: list[tuple[int, Capture]]) -> Iterator[Any]:
        """Release answered rows (in CDX order) and close the request; the page may be done."""
        listing: Listing = self.listing(meta)
        stored, seen = self.digests(listing.policy_id)
        for slot, capture in results:
            if capture.outcome in ("digest_mismatch", "archive_error", "http_error", "network_error", "too_large"):
                seen.discard(capture.wayback_digest or "")  # a later page's row with it is fetched, not reused
            else:
                stored.add(capture.wayback_digest or "")
            if capture.body is not None:
                listing.texts += 1
            if capture.outcome == "redirect" and capture.final_url:
                listing.targets[capture.wayback_digest or ""] = capture.final_url
            yield from self.release.complete(listing.stream, slot, [capture])
        listing.outstanding -= 1
        if listing.outstanding == 0:
            yield from self.page_done(listing)

    def capture_failed(self, failure: Failure) -> Iterator[Any]:
        meta = failed_request(failure).meta
        verdict = classify_failure(failure.value)
        yield from self.answer(meta, [self.capture(meta, slot, snap, None, None, verdict.outcome, verdict.detail)
                                      for slot, snap in meta["rows"]])

    def closed(self, reason: str) -> None:
        pending = self.release.pending()
        if pending:
            self.logger.warning("%d archive captures were not released (run interrupted?)", pending)
        super().closed(reason)
