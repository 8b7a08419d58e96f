"""Item pipelines: hand captures to the sink, record discoveries and moves. Nothing else.

Both pipelines sit on ``WriterPipeline``: they run their database work on the
process's one writer thread (``crawler.writer``). What follows a stored capture
(stats, progress lines, Save Page Now) is announced with the
``capture_ingested`` signal and handled by extensions (``crawler.extensions``),
so a side effect that fails never stops tracking.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future

from policywatch.crawler.extensions import capture_ingested, policy_discovered
from policywatch.crawler.items import ArchivedRepeat, Capture, PolicyFound, PolicyMoved
from policywatch.crawler.writer import Sink, Writer, writer_for
from policywatch.errors import PolicywatchError, SinkUnusable
from policywatch.tracker.ingest import IngestResult

logger = logging.getLogger(__name__)


class WriterPipeline:
    """Base: holds the process's writer from open to close of the spider."""

    crawler: Any
    writer: Writer

    @classmethod
    def from_crawler(cls, crawler: Any) -> Any:
        pipeline = cls()
        pipeline.crawler = crawler
        return pipeline

    async def open_spider(self, spider: Any = None) -> None:
        self.writer = writer_for(self.crawler)
        await maybe_deferred_to_future(self.writer.opened)

    async def close_spider(self, spider: Any = None) -> None:
        await self.writer.release_async()

    async def on_writer(self, func: Any, *args: Any) -> Any:
        return await maybe_deferred_to_future(self.writer.call(func, *args))


class DiscoveryPipeline(WriterPipeline):
    """Track policies found by discovery (add_policy) and record moves (record_move)."""

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, PolicyFound):
            try:
                policy = await self.on_writer(self._add, item)
            except PolicywatchError as exc:  # e.g. the name already tracks another URL
                logger.error("Found %s but could not track it: %s", item.url, exc)
                raise DropItem(str(exc)) from None
            self.crawler.stats.inc_value("policywatch/discovered")
            logger.info("Tracking %s as %s (link %r, score %.1f)", item.url, policy["name"], item.link_text, item.score)
            self.crawler.signals.send_catch_log(signal=policy_discovered, policy=policy, url=item.url)
        elif isinstance(item, PolicyMoved):
            if await self.on_writer(record_moved, self.writer.db, item):
                self.crawler.stats.inc_value("policywatch/moves")
                logger.warning("Policy %s moved: %s -> %s (%s)", item.policy_id, item.old_url, item.new_url, item.reason)
        return item

    def _add(self, item: PolicyFound) -> dict[str, Any]:
        from policywatch.db import policies as policy_db

        return policy_db.add_policy(self.writer.db, item.url, name=item.name)


def record_moved(db: Any, item: PolicyMoved) -> bool:
    """Record a move unless the policy already has the new URL (idempotent); True when recorded."""
    from policywatch.db import policies as policy_db

    if policy_db.get_policy(db, item.policy_id)["url"] == item.new_url:
        return False
    policy_db.record_move(db, item.policy_id, item.old_url, item.new_url, item.reason)
    return True


class IngestPipeline(WriterPipeline):
    """Put each capture into the sink (on the writer thread), then announce it."""

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, (Capture, ArchivedRepeat)):
            return item
        try:
            capture, result = await self.on_writer(self._ingest, item)
        except RepeatUnavailable as exc:
            self.crawler.stats.inc_value("policywatch/repeats_unavailable")
            raise DropItem(str(exc)) from None
        except SinkUnusable as exc:
            self._stop_crawl("sink_error")
            raise DropItem(f"sink unusable, crawl stopped: {exc}") from exc
        if isinstance(item, ArchivedRepeat):
            self.crawler.stats.inc_value("policywatch/repeats_reused")
        self.crawler.signals.send_catch_log(signal=capture_ingested, capture=capture, result=result)
        self._follow_up(capture, result)
        return capture

    def _follow_up(self, capture: Capture, result: IngestResult) -> None:
        """Let the spider react to what only the tracker can see (e.g. a soft 404 with status 200)."""
        hook = getattr(self.crawler.spider, "after_ingest", None)
        if hook is None:
            return
        for request in hook(capture, result.outcome):
            self.crawler.engine.crawl(request)

    def _ingest(self, item: Capture | ArchivedRepeat) -> tuple[Capture, IngestResult]:
        """Writer thread: resolve a repeat from the database, then put the capture."""
        assert self.writer.sink is not None
        capture = repeat_capture(self.writer.db, item) if isinstance(item, ArchivedRepeat) else item
        return capture, put_or_fallback(self.writer.sink, capture, on_error=self._count_error)

    def _count_error(self) -> None:
        self.crawler.stats.inc_value("policywatch/ingest_errors")

    def _stop_crawl(self, reason: str) -> None:
        engine = self.crawler.engine
        if hasattr(engine, "close_spider_async"):  # Scrapy >= 2.14
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason=reason))
        else:
            engine.close_spider(self.crawler.spider, reason)


def put_or_fallback(sink: Sink, capture: Capture, on_error: Any = None) -> IngestResult:
    """Hand one capture to the sink; never let a capture vanish silently.

    Archive results are released in order and the next run resumes after the
    newest stored one, so a capture the sink refused must still be stored (as an
    ``extraction_failure`` with its body, for ``reprocess``). If even that fails
    the sink is unusable (SinkUnusable): stop rather than skip ahead.
    """
    try:
        return sink.put(capture)
    except Exception as exc:
        logger.exception("Ingest failed for %s at %s", capture.url, capture.capture_time)
        if on_error is not None:
            on_error()
        fallback = Capture(**{**capture.__dict__, "outcome": "extraction_failure",
                              "detail": f"ingest error: {type(exc).__name__}: {exc}"[:500]})
        try:
            return sink.put(fallback)
        except Exception as again:
            raise SinkUnusable(str(again)) from exc


class RepeatUnavailable(PolicywatchError):
    """The first copy of an archive digest failed transiently: nothing to rebuild from yet."""


def repeat_capture(db: Any, item: ArchivedRepeat) -> Capture:
    """Rebuild an archive capture of a known digest from its stored body."""
    from policywatch.db.crawl_state import stored_wayback_body

    stored = stored_wayback_body(db, item.policy_id, item.wayback_digest)
    if stored is None:  # the next run goes back to it
        raise RepeatUnavailable(f"no stored body for digest {item.wayback_digest} of policy {item.policy_id}")
    # With a body the tracker judges the text again (outcome "ok"); without one, the
    # crawler's earlier verdict on this digest (e.g. not_a_policy) stands.
    has_body = stored["body"] is not None
    return Capture(
        policy=item.policy_id,
        source="wayback",
        url=item.url,
        capture_time=item.capture_time,
        body=stored["body"],
        http_status=stored["http_status"],
        content_type=stored["content_type"],
        outcome="ok" if has_body else stored["outcome"],
        detail=None if has_body else stored["detail"],
        final_url=stored["final_url"],
        wayback_digest=item.wayback_digest,
        http_status_line=stored["http_status_line"],
        http_headers=[tuple(p) for p in json.loads(stored["http_headers"])] if stored["http_headers"] else None,
    )
