"""Item pipelines: hand captures to the tracker's sink, record discoveries and moves.

The sink is ``tracker.ingest.Ingestor`` (one transaction per capture,
idempotent per capture key); anything with a ``put(capture)`` method can
replace it (``POLICYWATCH_SINK``; e.g. a Redis stream feeding one SQLite
writer when crawling scales out). Counts go to the crawl stats under
``policywatch/...``; with ``POLICYWATCH_PROGRESS=1`` each capture is also
printed as a JSON line on stdout for the CLI's progress bar.

All database writes of a crawl process go through ONE writer thread
(``Writer``): ingest is CPU and disk work that would stall every download on
the reactor thread, and a single writer connection means the live and archive
crawlers never race each other for SQLite's write lock.
"""
from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred, DeferredList

from policywatch.crawler.items import ArchivedRepeat, Capture, PolicyFound, PolicyMoved
from policywatch.crawler.safety import env_flag
from policywatch.errors import SinkUnusable

logger = logging.getLogger(__name__)


def open_sink(db: Any, config_path: str | None) -> Any:
    """The default sink: an Ingestor on ``db`` with the configured alert channels."""
    from policywatch.tracker.config import load_config
    from policywatch.tracker.ingest import Ingestor

    return Ingestor(db, channels=load_config(config_path).channels)


def progress_line(event: dict[str, Any]) -> None:
    """One JSON line on stdout: the CLI reads them to draw progress."""
    sys.stdout.write(json.dumps(event, sort_keys=True) + "\n")
    sys.stdout.flush()


class Writer:
    """The process's single database writer: one thread, one connection, one sink, FIFO.

    Shared by every pipeline of every crawler in the process (reference counted),
    so work submitted in order is written in order.
    """

    _shared: dict[tuple[str, str | None, Any], "Writer"] = {}

    def __init__(self, db_path: str, config_path: str | None, sink_factory: Callable[[Any, str | None], Any]) -> None:
        from twisted.internet import reactor
        from twisted.python.threadpool import ThreadPool

        self.db_path, self.config_path, self.sink_factory = db_path, config_path, sink_factory
        self.db: Any = None
        self.sink: Any = None
        self.users = 0
        self._pool = ThreadPool(1, 1, name="policywatch-writer")
        self._pool.start()
        reactor.addSystemEventTrigger("during", "shutdown", self._pool.stop)
        self._opened = self.call(self._open)

    @classmethod
    def acquire(cls, db_path: str, config_path: str | None, sink_factory: Callable[[Any, str | None], Any]) -> "Writer":
        key = (db_path, config_path, sink_factory)
        if key not in cls._shared:
            cls._shared[key] = cls(db_path, config_path, sink_factory)
        writer = cls._shared[key]
        writer.users += 1
        return writer

    async def release_async(self) -> None:
        """Drop one user; the last one closes the connection (after pending writes)."""
        self.users -= 1
        if self.users == 0:
            for key, writer in list(self._shared.items()):  # reactor thread: no race with acquire
                if writer is self:
                    del self._shared[key]
            await maybe_deferred_to_future(self.call(self._close))

    def call(self, func: Callable[..., Any], *args: Any) -> Deferred:
        """Run ``func(*args)`` on the writer thread (after everything submitted before)."""
        from twisted.internet import reactor
        from twisted.internet.threads import deferToThreadPool

        return deferToThreadPool(reactor, self._pool, func, *args)

    def _open(self) -> None:
        from policywatch.db.connection import open_database

        self.db = open_database(self.db_path)
        self.sink = self.sink_factory(self.db, self.config_path)

    def _close(self) -> None:
        if self.db is not None:
            finish = getattr(self.sink, "finish", None)
            if finish is not None:
                finish()  # the crawl ended normally: first histories are now seeded
            self.db.conn.close()
            self.db = None


def _writer_for(crawler: Any) -> Writer:
    settings = crawler.settings
    factory: Callable[[Any, str | None], Any] = open_sink
    if settings.get("POLICYWATCH_SINK"):
        from scrapy.utils.misc import load_object

        factory = load_object(settings.get("POLICYWATCH_SINK"))
    return Writer.acquire(settings.get("POLICYWATCH_DB"), settings.get("POLICYWATCH_CONFIG"), factory)


class DiscoveryPipeline:
    """Track policies found by discovery (add_policy) and record moves (record_move)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> "DiscoveryPipeline":
        pipeline = cls()
        pipeline.crawler = crawler
        return pipeline

    async def open_spider(self, spider: Any = None) -> None:
        self.writer = _writer_for(self.crawler)
        await maybe_deferred_to_future(self.writer._opened)

    async def close_spider(self, spider: Any = None) -> None:
        await self.writer.release_async()

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, PolicyFound):
            from policywatch.errors import PolicywatchError

            try:
                policy = await maybe_deferred_to_future(self.writer.call(self._add, item))
            except PolicywatchError as exc:  # e.g. the name already tracks another URL
                logger.error("Found %s but could not track it: %s", item.url, exc)
                raise DropItem(str(exc)) from None
            self.crawler.stats.inc_value("policywatch/discovered")
            logger.info("Tracking %s as %s (link %r, score %.1f)", item.url, policy["name"], item.link_text, item.score)
            if env_flag(self.crawler.settings.get("POLICYWATCH_PROGRESS")):
                progress_line({"event": "discovered", "policy": policy["name"], "url": item.url})
        elif isinstance(item, PolicyMoved):
            moved = await maybe_deferred_to_future(self.writer.call(self._move, item))
            if moved:
                self.crawler.stats.inc_value("policywatch/moves")
                logger.warning("Policy %s moved: %s -> %s (%s)", item.policy_id, item.old_url, item.new_url, item.reason)
        return item

    def _add(self, item: PolicyFound) -> dict[str, Any]:
        from policywatch.db import policies as policy_db

        return policy_db.add_policy(self.writer.db, item.url, name=item.name)

    def _move(self, item: PolicyMoved) -> bool:
        from policywatch.db import policies as policy_db

        current = policy_db.get_policy(self.writer.db, item.policy_id)
        if current["url"] == item.new_url:
            return False
        policy_db.record_move(self.writer.db, item.policy_id, item.old_url, item.new_url, item.reason)
        return True


class IngestPipeline:
    """Put each capture into the sink (on the writer thread) and count what it produced."""

    def __init__(self, *, save: bool, progress: bool) -> None:
        self.save = save
        self.progress = progress
        self._saves: list[Deferred] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> "IngestPipeline":
        s = crawler.settings
        pipeline = cls(save=env_flag(s.get("POLICYWATCH_SAVE", "0")), progress=env_flag(s.get("POLICYWATCH_PROGRESS", "0")))
        pipeline.crawler = crawler
        return pipeline

    async def open_spider(self, spider: Any = None) -> None:
        self.writer = _writer_for(self.crawler)
        await maybe_deferred_to_future(self.writer._opened)

    async def close_spider(self, spider: Any = None) -> None:
        if self._saves:
            await maybe_deferred_to_future(DeferredList(self._saves, consumeErrors=True))
        await self.writer.release_async()

    @property
    def db(self) -> Any:
        return self.writer.db

    @property
    def sink(self) -> Any:
        return self.writer.sink

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, (Capture, ArchivedRepeat)):
            return item
        try:
            capture, result = await maybe_deferred_to_future(self.writer.call(self._ingest, item))
        except SinkUnusable as exc:
            self._stop_crawl("sink_error")
            raise DropItem(f"sink unusable, crawl stopped: {exc}") from exc
        self._count(capture, result)
        self._follow_up(capture, result)
        if self.save and capture.source == "live" and getattr(result, "new_version", False):
            self._saves.append(self._save_page(capture.final_url or capture.url))
        return capture

    def _follow_up(self, capture: Capture, result: Any) -> None:
        """Let the spider react to what only the tracker can see (e.g. a soft 404 with status 200)."""
        hook = getattr(self.crawler.spider, "after_ingest", None)
        if hook is None:
            return
        for request in hook(capture, getattr(result, "outcome", capture.outcome)):
            self.crawler.engine.crawl(request)

    def _ingest(self, item: Capture | ArchivedRepeat) -> tuple[Capture, Any]:
        """Writer thread: resolve a repeat from the database, then put the capture."""
        capture = self._repeat_capture(item) if isinstance(item, ArchivedRepeat) else item
        return capture, self._put(capture)

    def _put(self, capture: Capture) -> Any:
        """Hand one capture to the sink; never let a capture vanish silently.

        Archive results are released in order and the next run resumes after the
        newest stored one, so a capture the sink refused must still be stored
        (as an ``extraction_failure`` with its body, for ``reprocess``). If even
        that fails the sink is unusable: stop the crawl rather than skip ahead.
        """
        try:
            return self.sink.put(capture)
        except Exception as exc:
            logger.exception("Ingest failed for %s at %s", capture.url, capture.capture_time)
            self.crawler.stats.inc_value("policywatch/ingest_errors")
            fallback = Capture(**{**capture.__dict__, "outcome": "extraction_failure",
                                  "detail": f"ingest error: {type(exc).__name__}: {exc}"[:500]})
            try:
                return self.sink.put(fallback)
            except Exception as again:
                raise SinkUnusable(str(again)) from exc

    def _stop_crawl(self, reason: str) -> None:
        engine = self.crawler.engine
        if hasattr(engine, "close_spider_async"):  # Scrapy >= 2.14
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason=reason))
        else:
            engine.close_spider(self.crawler.spider, reason)

    def _repeat_capture(self, item: ArchivedRepeat) -> Capture:
        """Rebuild an archive capture of a known digest from its stored body."""
        from policywatch.db.crawl_state import stored_wayback_body

        stored = stored_wayback_body(self.db, item.policy_id, item.wayback_digest)
        if stored is None:
            # The first copy of this digest failed transiently; the next run goes back to it.
            self.crawler.stats.inc_value("policywatch/repeats_unavailable")
            raise DropItem(f"no stored body for digest {item.wayback_digest} of policy {item.policy_id}")
        self.crawler.stats.inc_value("policywatch/repeats_reused")
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

    def _count(self, capture: Capture, result: Any) -> None:
        stats = self.crawler.stats
        outcome = getattr(result, "outcome", capture.outcome)
        duplicate = bool(getattr(result, "duplicate", False))
        if duplicate:  # already stored by an earlier run: not a new capture
            stats.inc_value("policywatch/duplicates")
        else:
            stats.inc_value(f"policywatch/captures/{outcome}")
        if getattr(result, "new_version", False):
            stats.inc_value("policywatch/new_versions")
        stats.inc_value("policywatch/changes", len(getattr(result, "change_ids", []) or []))
        stats.inc_value("policywatch/alerts", len(getattr(result, "alert_ids", []) or []))
        if self.progress:
            progress_line({
                "event": "capture", "policy": capture.policy, "source": capture.source, "outcome": outcome,
                "time": capture.capture_time, "duplicate": duplicate,
                "new_version": bool(getattr(result, "new_version", False)),
            })

    def _save_page(self, url: str) -> Deferred:
        """Ask Save Page Now to archive a page whose text changed (waybackpy, off the reactor)."""
        from policywatch.crawler.budget import ARCHIVE_SAVE
        from policywatch.crawler.middlewares import archive_base, limiter_for, sleep
        from scrapy.utils.defer import deferred_from_coro

        limiter = limiter_for(self.crawler.settings)
        base = archive_base(self.crawler.settings)
        user_agent = self.crawler.settings.get("USER_AGENT")
        stats = self.crawler.stats
        timeout = self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 60) * 2
        pause_after_429 = max(300.0, self.crawler.settings.getfloat("POLICYWATCH_ARCHIVE_429_PAUSE", 60))

        async def run() -> None:
            await sleep(limiter.reserve(ARCHIVE_SAVE))
            while (pause := limiter.pause_remaining(ARCHIVE_SAVE)) > 0:
                await sleep(pause)
            from twisted.internet import reactor
            from waybackpy.exceptions import TooManyRequestsError

            try:
                pending = in_daemon_thread(save_page_now, url, base, user_agent)
                pending.addTimeout(timeout, reactor)
                archived = await maybe_deferred_to_future(pending)
                stats.inc_value("policywatch/saved")
                logger.info("Saved %s to the archive: %s", url, archived)
            except TooManyRequestsError as exc:  # the archive's 429: pause ALL archive traffic
                limiter.trip(ARCHIVE_SAVE, pause_after_429)
                stats.inc_value("policywatch/pauses/archive")
                logger.warning("Save Page Now refused %s (429): archive paused %.0fs: %s", url, pause_after_429, exc)
            except Exception as exc:  # a failed save never stops tracking
                stats.inc_value("policywatch/save_errors")
                logger.warning("Save Page Now failed for %s: %s", url, exc)

        return deferred_from_coro(run())


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
