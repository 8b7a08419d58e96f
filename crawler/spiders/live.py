"""``live``: fetch the current URL of each tracked policy and record every outcome.

Conditional requests (If-None-Match / If-Modified-Since from the stored
validators) make an unchanged policy cost a 304. Redirects are followed (the
final URL is recorded); a policy that now 404s or lands on the home page
triggers rediscovery from the site's home page, and a policy found there is
recorded as a move of the same policy, then captured at its new address.

    scrapy crawl live [-a shard=K -a shards=N] [-a policies=1,2]
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from policywatch.crawler.discovery import Candidate, site_home
from policywatch.crawler.items import Capture, PolicyMoved
from policywatch.crawler.outcomes import classify_failure, classify_response, failed_request
from policywatch.crawler.spiders.base import ERROR_STATUSES, PolicySpider, header, recorded_http, utc_now_iso

REDISCOVER_STATUSES = frozenset({404, 410})
PERMANENT_REDIRECTS = frozenset({301, 308})


def needs_rediscovery(outcome: str, status: int | None) -> bool:
    """A policy gone (404/410) or sent to the home page may have moved: look for it again."""
    return outcome == "not_a_policy" or (outcome == "http_error" and status in REDISCOVER_STATUSES)


def permanent_move(meta: dict[str, Any], requested: str, final: str) -> bool:
    """Every hop was a 301/308 to a page that is not the home page: the policy moved."""
    reasons = meta.get("redirect_reasons") or []
    return bool(reasons) and final != requested and all(r in PERMANENT_REDIRECTS for r in reasons)


class LiveSpider(PolicySpider):
    name = "live"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rediscovering: set[int] = set()  # one rediscovery per policy and run
        self._moved_to: set[str] = set()  # URLs a policy moved to in this run: no second policy may follow

    async def start(self) -> Any:
        from policywatch.db.crawl_state import live_validators_for

        for policy in self.selected_policies():
            etag, last_modified = live_validators_for(self.db, policy["id"], policy["url"])
            yield self.policy_request(policy["id"], policy["url"], etag=etag, last_modified=last_modified)

    def policy_request(self, policy_id: int, url: str, *, etag: str | None = None,
                       last_modified: str | None = None, rediscovered: bool = False) -> scrapy.Request:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return scrapy.Request(
            url, headers=headers, callback=self.parse_policy, errback=self.policy_failed, dont_filter=True,
            meta={"policy_id": policy_id, "policy_url": url, "rediscovered": rediscovered,
                  "handle_httpstatus_list": ERROR_STATUSES},
        )

    def parse_policy(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        requested = meta["policy_url"]
        content_type = header(response, "Content-Type")
        verdict = classify_response(response.status, content_type, requested, response.url)
        keep_body = verdict.outcome == "ok"
        status_line, http_headers = recorded_http(response)
        yield Capture(
            policy=meta["policy_id"], source="live", url=requested, capture_time=utc_now_iso(),
            body=response.body if keep_body else None, http_status=response.status,
            content_type=content_type, outcome=verdict.outcome, detail=verdict.detail,
            final_url=response.url if response.url != requested else None,
            etag=header(response, "ETag"), last_modified=header(response, "Last-Modified"),
            http_status_line=status_line, http_headers=http_headers,
        )
        if verdict.outcome == "ok" and permanent_move(meta, requested, response.url):
            yield PolicyMoved(meta["policy_id"], requested, response.url, "permanent redirect (301/308)")
        if needs_rediscovery(verdict.outcome, response.status) and not meta.get("rediscovered"):
            yield from self.rediscover(meta["policy_id"], requested)

    def rediscover(self, policy_id: int, url: str) -> Iterator[scrapy.Request]:
        """Look for the policy again from its site's home page (once per policy and run)."""
        if policy_id in self._rediscovering:
            return
        self._rediscovering.add(policy_id)
        self.crawler.stats.inc_value("policywatch/rediscoveries")
        from policywatch.db.policies import get_policy, other_policy_urls

        exclude = [url, *other_policy_urls(self.db, policy_id)]  # never move onto a tracked URL
        yield self.home_request(site_home(url), {"policy_id": policy_id, "old_url": url, "exclude": exclude,
                                                 "policy_type": get_policy(self.db, policy_id)["type"],
                                                 "rediscovered": True})

    def after_ingest(self, capture: Capture, outcome: str) -> Iterator[scrapy.Request]:
        """The tracker found no policy in a 200 page (soft 404, other page): rediscover too."""
        if capture.source == "live" and capture.outcome == "ok" and outcome in ("soft_404", "not_a_policy"):
            yield from self.rediscover(int(capture.policy), capture.url)

    def policy_failed(self, failure: Failure) -> Iterator[Capture]:
        meta = failed_request(failure).meta
        verdict = classify_failure(failure.value)
        yield Capture(
            policy=meta["policy_id"], source="live", url=meta["policy_url"], capture_time=utc_now_iso(),
            outcome=verdict.outcome, detail=verdict.detail,
        )

    def candidate_accepted(self, candidate: Candidate, response: Response) -> Iterator[Any]:
        """The policy was found at a new URL: record the move, and this fetch as its capture."""
        from policywatch.crawler.discovery import same_url

        meta = response.meta
        if same_url(candidate.url) in self._moved_to:  # another policy moved there during this run
            yield from self.try_candidates(meta["rest"], meta)
            return
        self._moved_to.add(same_url(candidate.url))
        yield PolicyMoved(meta["policy_id"], meta["old_url"], candidate.url,
                          f"rediscovered from {meta['home_url']} via link {candidate.text!r}")
        response.meta["policy_url"] = candidate.url
        yield from (item for item in self.parse_policy(response) if isinstance(item, Capture))
