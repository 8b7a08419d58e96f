"""Notice a crawl that reaches nothing and say so within a minute (exit 69 upstream).

No network, a DNS failure or a server that accepts and never answers would
otherwise look like a slow crawl for many minutes (timeouts x retries x backoff).
This downloader middleware sees every raw answer and download error; if no answer
at all arrived ``POLICYWATCH_UNREACHABLE_AFTER`` seconds (default 45) after the
crawl opened, it logs ONE line, records it in the stats and closes the crawl.
``crawler.run`` then exits 69 (EX_UNAVAILABLE), as it does when a crawl ended with
requests sent and none answered.
"""
from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, signals
from scrapy.http import Response

logger = logging.getLogger(__name__)
EX_UNAVAILABLE = 69


class ReachabilityMiddleware:
    """Count answers; close the crawl when nothing answered in time.

    ``any_answer`` is shared by every crawler of the process (live and archive run side by
    side): one of them reaching something means the process is not cut off.
    """

    any_answer = False

    def __init__(self, crawler: Any, after: float) -> None:
        self.crawler = crawler
        self.after = after
        self.answered = False
        self.last_error: str | None = None
        self._timer: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ReachabilityMiddleware":
        mw = cls(crawler, crawler.settings.getfloat("POLICYWATCH_UNREACHABLE_AFTER"))
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def process_response(self, request: Request, response: Response) -> Response:
        self.answered = ReachabilityMiddleware.any_answer = True
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self.last_error = f"{type(exception).__name__}: {exception}"[:300]
        self.crawler.stats.set_value("policywatch/last_network_error", self.last_error)
        return None

    def spider_opened(self, spider: Any = None) -> None:
        from twisted.internet import reactor

        if self.after > 0:
            self._timer = reactor.callLater(self.after, self.check)  # type: ignore[arg-type]  # zope interface stubs count self as an argument

    def spider_closed(self, spider: Any = None) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()

    def check(self) -> None:
        """Nothing answered yet: say it once, then stop this crawl (pending downloads are abandoned)."""
        from twisted.internet import reactor

        self._timer = None
        if ReachabilityMiddleware.any_answer or not self.crawler.stats.get_value("downloader/request_count"):
            return
        reason = self.last_error or f"no answer within {self.after:.0f} s"
        line = f"nothing reachable: no request was answered in {self.after:.0f} s ({reason})"
        logger.info(line)  # the CLI prints the one line (exit 69)
        self.crawler.stats.set_value("policywatch/unreachable", line)
        if self.crawler.settings.get("POLICYWATCH_PROGRESS") in ("1", "true", "yes", "on"):
            from policywatch.crawler.extensions import progress_line

            progress_line({"event": "unreachable", "detail": line})
        engine = self.crawler.engine
        if hasattr(engine, "close_spider_async"):  # Scrapy >= 2.14
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason="unreachable"))
        else:
            engine.close_spider(self.crawler.spider, "unreachable")
        # A request stuck in a connection that never answers holds a graceful close for a
        # full download timeout (and shutdown waits for it): end the process soon after.
        reactor.callLater(5, self.force_exit)  # type: ignore[arg-type]  # zope interface stubs count self as an argument

    def force_exit(self) -> None:
        """Still not closed: print the summary line ``crawler.run`` would print and exit 69 at once.
        Nothing was answered, so nothing was written: there is no transaction to lose."""
        import json
        import os
        import sys

        from policywatch.crawler.run import summarize

        summary = summarize([self.crawler])
        summary["unreachable"] = self.crawler.stats.get_value("policywatch/unreachable")
        sys.stdout.write(json.dumps(summary, sort_keys=True, default=str) + "\n")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EX_UNAVAILABLE)
