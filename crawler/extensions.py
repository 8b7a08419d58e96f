"""Side effects of ingest, as extensions listening to signals (a failing one never stops tracking).

The ingest pipeline only stores captures; what happens after a capture is
stored is announced with ``capture_ingested`` (and ``policy_discovered``) and
handled here. Scrapy's ``send_catch_log`` logs a handler's exception and goes
on, so a broken progress line or a Save Page Now outage cannot lose a capture.

- ``IngestStats``  counts ``policywatch/...`` crawl stats (the run summary reads them)
- ``Progress``     one JSON line per capture on stdout (``POLICYWATCH_PROGRESS=1``)
- ``SavePageNow``  asks the archive to save a live page whose text changed
                   (``POLICYWATCH_SAVE=1``), within its budget and 429 breaker
"""
from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred, DeferredList

from policywatch.crawler.safety import env_flag
from policywatch.tracker.ingest import IngestResult
from policywatch.tracker.model import Capture

logger = logging.getLogger(__name__)

# Sent by the ingest pipeline after the sink stored a capture: (capture, result).
capture_ingested = object()
# Sent by the discovery pipeline after a found policy is tracked: (policy, url).
policy_discovered = object()


def progress_line(event: dict[str, Any]) -> None:
    """One JSON line on stdout: the CLI reads them to draw progress."""
    sys.stdout.write(json.dumps(event, sort_keys=True) + "\n")
    sys.stdout.flush()


class IngestStats:
    """Count what ingest produced, under ``policywatch/...`` in the crawl stats."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> "IngestStats":
        ext = cls(crawler.stats)
        crawler.signals.connect(ext.ingested, signal=capture_ingested)
        return ext

    def ingested(self, capture: Capture, result: IngestResult) -> None:
        if result.duplicate:  # already stored by an earlier run: not a new capture
            self.stats.inc_value("policywatch/duplicates")
        else:
            self.stats.inc_value(f"policywatch/captures/{result.outcome}")
        if result.new_version:
            self.stats.inc_value("policywatch/new_versions")
        self.stats.inc_value("policywatch/changes", len(result.change_ids))
        self.stats.inc_value("policywatch/alerts", len(result.alert_ids))


class Progress:
    """Print each capture and discovery as a JSON line (for the CLI's progress bar)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> "Progress":
        if not env_flag(crawler.settings.get("POLICYWATCH_PROGRESS")):
            raise NotConfigured
        ext = cls()
        crawler.signals.connect(ext.ingested, signal=capture_ingested)
        crawler.signals.connect(ext.discovered, signal=policy_discovered)
        return ext

    def ingested(self, capture: Capture, result: IngestResult) -> None:
        progress_line({
            "event": "capture", "policy": capture.policy, "source": capture.source, "outcome": result.outcome,
            "time": capture.capture_time, "duplicate": result.duplicate, "new_version": result.new_version,
        })

    def discovered(self, policy: dict[str, Any], url: str) -> None:
        progress_line({"event": "discovered", "policy": policy["name"], "url": url})


class SavePageNow:
    """Archive live pages whose text changed; the crawl waits for pending saves at its end."""

    def __init__(self, crawler: Any) -> None:
        from policywatch.crawler.middlewares import archive_base, limiter_for

        settings = crawler.settings
        self.stats = crawler.stats
        self.limiter = limiter_for(settings)
        self.base = archive_base(settings)
        self.user_agent = settings.get("USER_AGENT")
        self.timeout = settings.getfloat("DOWNLOAD_TIMEOUT") * 2
        # The archive's first block after ignoring a 429 is an hour: never retry saves sooner than 5 min.
        self.pause_after_429 = max(300.0, settings.getfloat("POLICYWATCH_ARCHIVE_429_PAUSE"))
        self.pending: list[Deferred] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SavePageNow":
        if not env_flag(crawler.settings.get("POLICYWATCH_SAVE")):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.ingested, signal=capture_ingested)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def ingested(self, capture: Capture, result: IngestResult) -> None:
        if capture.source == "live" and result.new_version:
            from scrapy.utils.defer import deferred_from_coro

            self.pending.append(deferred_from_coro(self.save(capture.final_url or capture.url)))

    def spider_closed(self, spider: Any = None) -> Deferred | None:
        if self.pending:
            return DeferredList(self.pending, consumeErrors=True)
        return None

    async def save(self, url: str) -> None:
        """Ask Save Page Now for ``url`` (waybackpy on a daemon thread, off the reactor)."""
        from twisted.internet import reactor
        from waybackpy.exceptions import TooManyRequestsError

        from policywatch.crawler.budget import ARCHIVE_SAVE
        from policywatch.crawler.middlewares import sleep

        await sleep(self.limiter.reserve(ARCHIVE_SAVE))
        while (pause := self.limiter.pause_remaining(ARCHIVE_SAVE)) > 0:
            await sleep(pause)
        try:
            pending = in_daemon_thread(save_page_now, url, self.base, self.user_agent)
            pending.addTimeout(self.timeout, reactor)
            archived = await maybe_deferred_to_future(pending)
            self.stats.inc_value("policywatch/saved")
            logger.info("Saved %s to the archive: %s", url, archived)
        except TooManyRequestsError as exc:  # the archive's 429: pause ALL archive traffic
            self.limiter.trip(ARCHIVE_SAVE, self.pause_after_429)
            self.stats.inc_value("policywatch/pauses/archive")
            logger.warning("Save Page Now refused %s (429): archive paused %.0fs: %s", url, self.pause_after_429, exc)
        except Exception as exc:  # a failed save never stops tracking
            self.stats.inc_value("policywatch/save_errors")
            logger.warning("Save Page Now failed for %s: %s", url, exc)


def in_daemon_thread(func: Callable[..., Any], *args: Any) -> Deferred:
    """Run blocking ``func`` on its own daemon thread; the Deferred fires on the reactor.

    Not the reactor's thread pool: waybackpy sets no socket timeout, and a hung
    call there would hold the process at shutdown. A daemon thread is abandoned
    once the caller's timeout fires.
    """
    import threading

    from twisted.internet import reactor

    done: Deferred = Deferred()

    def settle(ok: bool, value: Any) -> None:
        if not done.called:  # the caller may have timed out already
            (done.callback if ok else done.errback)(value)

    def target() -> None:
        try:
            result = func(*args)
        except Exception as exc:
            reactor.callFromThread(settle, False, exc)
        else:
            reactor.callFromThread(settle, True, result)

    threading.Thread(target=target, name="policywatch-save", daemon=True).start()
    return done


def save_page_now(url: str, base: str, user_agent: str) -> str:
    """Blocking Save Page Now request through waybackpy (call it on a thread only)."""
    from waybackpy import WaybackMachineSaveAPI

    api = WaybackMachineSaveAPI(url, user_agent=user_agent, max_tries=1)
    api.request_url = f"{base}/save/{api.url}"
    return api.save()
