"""Downloader middlewares: safety, retries that honour Retry-After, politeness.

- ``SafetyMiddleware`` refuses non-http(s) URLs and non-public addresses
  (every request, redirects included, passes through it).
- ``RetryAfterMiddleware`` replaces Scrapy's retry middleware: same retry
  rules, plus a delay (Retry-After, else exponential backoff) and the circuit
  breaker: a 429 from the archive pauses ALL archive traffic.
- ``PolitenessMiddleware`` is the ONE place that gives a request its politeness
  key (host, or the archive's cdx/capture/save budget), uses it as the download
  slot, and waits for the key's budget. A shared limiter can replace it.
"""
from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.defer import DeferredSemaphore
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThread

from policywatch.crawler.budget import (
    ARCHIVE_CAPTURE,
    ARCHIVE_CDX,
    ARCHIVE_SAVE,
    Limiter,
    backoff_delay,
    breaker_group,
    parse_retry_after,
    politeness_key,
)
from policywatch.crawler.outcomes import is_archived
from policywatch.crawler.safety import BlockedRequest, env_flag, origin, resolve_host, scheme_refusal, host_refusal

logger = logging.getLogger(__name__)
_LIMITERS: dict[tuple, Limiter] = {}


async def sleep(seconds: float) -> None:
    """Wait without blocking the reactor (works with the asyncio and default reactors)."""
    if seconds > 0:
        await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


def limiter_for(settings: Any) -> Any:
    """The process-wide limiter for these budgets (live and wayback crawlers share the archive's)."""
    rates = {
        ARCHIVE_CDX: settings.getfloat("POLICYWATCH_CDX_PER_MINUTE") / 60.0,
        ARCHIVE_CAPTURE: settings.getfloat("POLICYWATCH_CAPTURES_PER_SECOND"),
        ARCHIVE_SAVE: settings.getfloat("POLICYWATCH_SAVES_PER_MINUTE") / 60.0,
    }
    factory = settings.get("POLICYWATCH_LIMITER")  # e.g. distributed.redis_limiter (shared budgets)
    key = (factory, *sorted(rates.items()))
    if key not in _LIMITERS:
        if factory:
            from scrapy.utils.misc import load_object

            _LIMITERS[key] = load_object(factory)(rates, settings)
        else:
            _LIMITERS[key] = Limiter(rates=rates)
    return _LIMITERS[key]


def archive_base(settings: Any) -> str:
    return str(settings.get("POLICYWATCH_WAYBACK_URL")).rstrip("/")


class SafetyMiddleware:
    """Refuse URLs the crawler must not fetch (see ``crawler.safety``); raises BlockedRequest."""

    def __init__(self, allow_private: bool, trusted: list[str]) -> None:
        self.allow_private = allow_private
        self.trusted = set(trusted)
        self._host_cache: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SafetyMiddleware":
        settings = crawler.settings
        return cls(env_flag(settings.get("POLICYWATCH_ALLOW_PRIVATE")), [origin(archive_base(settings))])

    async def process_request(self, request: Request) -> None:
        reason = scheme_refusal(request.url)
        if reason is None and not self.allow_private and origin(request.url) not in self.trusted:
            hostname = urlsplit(request.url).hostname or ""
            if hostname not in self._host_cache:
                # getaddrinfo blocks: resolve on a thread, never on the reactor.
                self._host_cache[hostname] = await maybe_deferred_to_future(
                    deferToThread(host_refusal, hostname, resolve_host)
                )
            reason = self._host_cache[hostname]
        if reason:
            raise BlockedRequest(f"refused {request.url}: {reason}")


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, delayed by Retry-After or exponential backoff; 429s trip the breaker."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("POLICYWATCH_RETRY_BACKOFF_BASE")
        self.cap = settings.getfloat("POLICYWATCH_RETRY_BACKOFF_MAX")
        self.archive_pause = settings.getfloat("POLICYWATCH_ARCHIVE_429_PAUSE")
        self.limiter = limiter_for(settings)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "RetryAfterMiddleware":
        mw = cls(crawler.settings)
        mw.crawler = crawler
        return mw

    def process_response(self, request: Request, response: Response) -> Any:  # type: ignore[override]  # Scrapy 2.13+ drops the spider argument
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        if breaker_group(request.meta.get("politeness_key", "")) == "archive" and is_archived(response.headers):
            return response  # an archived 429/5xx is the page's content, not the archive throttling
        key = request.meta["politeness_key"]  # set by PolitenessMiddleware, the one place keys are made
        attempt = request.meta.get("retry_times", 0) + 1
        retry_after = parse_retry_after(response.headers.get(b"Retry-After"))
        delay = backoff_delay(attempt, base=self.base, cap=self.cap, retry_after=retry_after)
        if response.status == 429 or (response.status == 503 and retry_after is not None):
            if breaker_group(key) == "archive" and response.status == 429:
                delay = max(delay, self.archive_pause if retry_after is None else retry_after)
            paused = self.limiter.trip(key, delay)
            logger.warning("HTTP %s from %s: pausing %s for %.1fs", response.status, request.url, breaker_group(key), paused)
            self.crawler.stats.inc_value(f"policywatch/pauses/{breaker_group(key).split(':')[0]}")
        retry = self._retry_later(request, f"HTTP {response.status}", delay)
        return retry or response

    def process_exception(self, request: Request, exception: Exception) -> Any:  # type: ignore[override]  # Scrapy 2.13+ drops the spider argument
        if isinstance(exception, self.exceptions_to_retry) and not request.meta.get("dont_retry", False):
            attempt = request.meta.get("retry_times", 0) + 1
            delay = backoff_delay(attempt, base=self.base, cap=self.cap)
            return self._retry_later(request, exception, delay)
        return None

    def _retry_later(self, request: Request, reason: Any, delay: float) -> Request | None:
        retry = self._retry(request, reason)
        if retry is not None:
            retry.meta["pw_not_before"] = time.monotonic() + delay
        return retry


class PolitenessMiddleware:
    """Give each request its politeness key and slot, hold the key's concurrency, wait for its budget.

    The concurrency gate is here and not only in Scrapy's download slot: on the
    asyncio reactor Scrapy 2.19 starts a slot's downloads as tasks, so a slot whose
    queue holds several requests sends them all before any counts as transferring
    (per-host concurrency was exceeded; tests/crawler/test_distributed.py measures it).
    """

    def __init__(self, limiter: Limiter, archive: str, concurrency: int, per_slot: dict[str, Any],
                 progress: bool = False) -> None:
        self.limiter = limiter
        self.archive = archive
        self.progress = progress
        self.concurrency = concurrency
        self.per_slot = per_slot
        self._gates: dict[str, DeferredSemaphore] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> "PolitenessMiddleware":
        settings = crawler.settings
        return cls(limiter_for(settings), archive_base(settings), settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
                   settings.getdict("DOWNLOAD_SLOTS"), env_flag(settings.get("POLICYWATCH_PROGRESS", "0")))

    def _gate(self, key: str) -> DeferredSemaphore:
        if key not in self._gates:
            tokens = self.per_slot.get(key, {}).get("concurrency", self.concurrency)
            self._gates[key] = DeferredSemaphore(max(1, int(tokens)))
        return self._gates[key]

    async def process_request(self, request: Request) -> None:
        key = politeness_key(request.url, self.archive)
        request.meta["politeness_key"] = key
        request.meta["download_slot"] = key
        if breaker_group(key) == "archive":
            # The archive's budget is fixed by the limiter; AutoThrottle must not stretch it.
            request.meta["autothrottle_dont_adjust_delay"] = True
        await sleep(request.meta.pop("pw_not_before", 0.0) - time.monotonic())
        await maybe_deferred_to_future(self._gate(key).acquire())
        request.meta["pw_gate"] = key  # released when the answer (or the failure) comes back
        try:
            wait = self.limiter.reserve(key)
            if self.progress and wait >= 2:  # the CLI shows long budget waits
                from policywatch.crawler.extensions import progress_line

                progress_line({"event": "wait", "key": key, "seconds": round(wait, 1)})
            await sleep(wait)
            while (pause := self.limiter.pause_remaining(key)) > 0:
                # The breaker tripped while this request waited: wait it out, then queue again.
                await sleep(pause)
                await sleep(self.limiter.reserve(key))
        except BaseException:
            self._release(request)
            raise

    def _release(self, request: Request) -> None:
        key = request.meta.pop("pw_gate", None)
        if key is not None:
            self._gates[key].release()

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._release(request)
        return None
