"""What every policywatch spider shares: the database, shards and rediscovery.

Spider arguments (``-a name=value``):
  shard=K shards=N   take the policies with ``id % N == K`` (deterministic share)
  policies=1,2       only these policy ids
  db=PATH            database (default: setting/env POLICYWATCH_DB)
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from policywatch.clock import now_stamp
from policywatch.crawler.discovery import Candidate, page_links, rank_candidates, rediscovery_candidates
from policywatch.crawler.items import PolicyFound
from policywatch.crawler.outcomes import classify_failure, classify_response, failed_request

ERROR_STATUSES = [304, *range(400, 600)]
# Per-request bookkeeping Scrapy's middlewares keep in meta: never carried into a new request
# (a copied ``redirect_urls`` made Scrapy warn and count the home page's redirects again).
_REQUEST_META = frozenset({"redirect_times", "redirect_ttl", "redirect_urls", "redirect_reasons", "retry_times",
                           "download_slot", "download_latency", "download_timeout", "politeness_key", "depth",
                           "pw_not_before", "autothrottle_dont_adjust_delay", "handle_httpstatus_list"})


def utc_now_iso() -> str:
    return now_stamp()


def parse_ids(value: str | None) -> list[int] | None:
    """``"1,2"`` -> ``[1, 2]``; None/empty means every policy."""
    if value in (None, ""):
        return None
    return [int(part) for part in str(value).split(",") if part.strip()]


def header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


# Headers an archive adds to a replay (not the origin server's): left out of the recorded headers.
_ARCHIVE_HEADERS = ("memento-datetime", "link", "x-archive-", "server-timing", "x-app-server", "x-ts", "x-tr",
                    "x-location", "x-cache-key", "x-page-cache", "x-nid")


def recorded_http(response: Response, *, archived: bool = False) -> tuple[str, list[tuple[str, str]]]:
    """The status line and headers to keep with a capture (WARC export writes them back).

    Scrapy does not keep the reason phrase, so the standard one is used. For an
    archive replay the origin's headers are the ``X-Archive-Orig-*`` ones when the
    archive sends them, else what is left after the archive's own headers.
    """
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(response.status).phrase
    except ValueError:
        phrase = ""
    protocol = (None if archived else getattr(response, "protocol", None)) or "HTTP/1.1"
    pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, values in response.headers.items() for v in values]
    if archived:
        original = [(k[len("x-archive-orig-"):], v) for k, v in pairs if k.lower().startswith("x-archive-orig-")]
        if original:
            names = {k.lower() for k, _ in original}
            pairs = original + [(k, v) for k, v in pairs if k.lower() == "content-type" and "content-type" not in names]
        else:
            pairs = [(k, v) for k, v in pairs if not k.lower().startswith(_ARCHIVE_HEADERS)]
    return f"{protocol} {response.status} {phrase}".rstrip(), pairs


class PolicySpider(scrapy.Spider):
    """Base: reads its share of policies from the database."""

    def __init__(self, *args: Any, shard: str | int = 0, shards: str | int = 1, policies: str | None = None,
                 db: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shard, self.shards = int(shard), int(shards)
        if self.shards < 1 or not 0 <= self.shard < self.shards:
            raise ValueError(f"shard must be in 0..{self.shards - 1}, got {self.shard}")
        self.policy_ids = parse_ids(policies)
        self.db_path = db
        self._db: Any = None

    @property
    def db(self) -> Any:
        """A read connection (writes go through the pipelines' sink)."""
        if self._db is None:
            from policywatch.db.connection import open_database

            self._db = open_database(self.db_path or self.settings.get("POLICYWATCH_DB"))
        return self._db

    def closed(self, reason: str) -> None:
        if self._db is not None:
            self._db.conn.close()

    def selected_policies(self) -> list[dict[str, Any]]:
        from policywatch.db.crawl_state import policies_for_crawl

        return policies_for_crawl(self.db, policy_ids=self.policy_ids, shard=self.shard, shards=self.shards)

    # --- discovery, shared by the discover spider and live rediscovery -------------------

    def home_request(self, home_url: str, meta: dict[str, Any], fetch_url: str | None = None) -> scrapy.Request:
        """Fetch a site's home page (or its archived copy at ``fetch_url``) to look for policy links."""
        return scrapy.Request(
            fetch_url or home_url, callback=self.parse_home, errback=self.home_failed, dont_filter=True,
            meta={**meta, "home_url": home_url},
        )

    def parse_home(self, response: Response) -> Iterator[Any]:
        home_url = response.meta["home_url"]
        base = response.meta.get("links_base") or response.url
        exclude = set(response.meta.get("exclude", ()))
        candidates = rank_candidates(page_links(response.body, base), home_url, limit=20)
        if "policy_type" in response.meta:  # rediscovery of a tracked policy: strict
            candidates = rediscovery_candidates(candidates, exclude=exclude, policy_type=response.meta["policy_type"])
        else:
            candidates = [c for c in candidates if c.url not in exclude]
        candidates = candidates[:5]
        self.crawler.stats.inc_value("policywatch/discovery_pages")
        if not candidates:
            self.logger.warning("No privacy policy link found on %s", home_url)
            return
        yield from self.try_candidates(candidates, response.meta)

    def home_failed(self, failure: Failure) -> None:
        self.logger.warning("Home page %s failed: %s", failed_request(failure).url, classify_failure(failure.value).detail)

    def try_candidates(self, candidates: list[Candidate], meta: dict[str, Any]) -> Iterator[scrapy.Request]:
        """Check the best remaining candidate; the callback falls back to the next one."""
        if not candidates:
            self.logger.warning("No working privacy policy candidate for %s", meta.get("home_url"))
            return
        best, rest = candidates[0], candidates[1:]
        meta = {k: v for k, v in meta.items() if k not in _REQUEST_META}
        yield scrapy.Request(
            self.candidate_fetch_url(best.url, meta), callback=self.parse_candidate, errback=self.candidate_failed,
            dont_filter=True, meta={**meta, "candidate": best, "rest": rest, "handle_httpstatus_list": ERROR_STATUSES},
        )

    def candidate_fetch_url(self, url: str, meta: dict[str, Any]) -> str:
        return url

    def parse_candidate(self, response: Response) -> Iterator[Any]:
        candidate: Candidate = response.meta["candidate"]
        verdict = classify_response(response.status, header(response, "Content-Type"), candidate.url, response.url)
        if verdict.outcome != "ok":
            self.logger.info("Candidate %s rejected: %s", candidate.url, verdict.detail)
            yield from self.try_candidates(response.meta["rest"], response.meta)
            return
        yield from self.candidate_accepted(candidate, response)

    def candidate_failed(self, failure: Failure) -> Iterator[Any]:
        meta = failed_request(failure).meta
        self.logger.info("Candidate %s failed: %s", meta["candidate"].url, classify_failure(failure.value).detail)
        yield from self.try_candidates(meta["rest"], meta)

    def candidate_accepted(self, candidate: Candidate, response: Response) -> Iterator[Any]:
        """Discovery: track the policy. Rediscovery (live spider) overrides this to record a move."""
        meta = response.meta
        yield PolicyFound(candidate.url, meta["home_url"], candidate.text, candidate.score, meta.get("policy_name"))


__all__ = ["PolicySpider", "utc_now_iso", "header", "recorded_http", "ERROR_STATUSES"]
