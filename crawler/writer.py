"""The process's single database writer: one thread, one connection, one sink.

Ingest is CPU and disk work that would stall every download on the reactor
thread, and a single writer connection means the live and archive crawlers of a
process never race each other for SQLite's write lock. Every pipeline of every
crawler in the process shares it (reference counted), so work submitted in
order is written in order. Distributed mode has one writer for the whole
cluster instead (``policywatch writer``, ``crawler.distributed``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from policywatch.tracker.ingest import IngestResult
from policywatch.tracker.model import Capture


@runtime_checkable
class Sink(Protocol):
    """Where captures go: ``tracker.ingest.Ingestor`` by default (DESIGN.md "Ready to scale out").

    ``put`` stores one capture idempotently and says what it produced;
    ``finish`` (called when a crawl ends normally) may seal the session.
    """

    def put(self, capture: Capture) -> IngestResult: ...

    def finish(self) -> None: ...


SinkFactory = Callable[[Any, "str | None"], Sink]


def open_sink(db: Any, config_path: str | None) -> Sink:
    """The default sink: an Ingestor on ``db`` with the configured alert channels."""
    from policywatch.tracker.config import load_config
    from policywatch.tracker.ingest import Ingestor

    return Ingestor(db, channels=load_config(config_path).channels)


class Writer:
    """One thread, one connection, one sink, FIFO; shared by the process's pipelines."""

    _shared: dict[tuple[str, str | None, Any], "Writer"] = {}

    def __init__(self, db_path: str, config_path: str | None, sink_factory: SinkFactory) -> None:
        from twisted.internet import reactor
        from twisted.python.threadpool import ThreadPool

        self.db_path, self.config_path, self.sink_factory = db_path, config_path, sink_factory
        self.db: Any = None
        self.sink: Sink | None = None
        self.users = 0
        self._pool = ThreadPool(1, 1, name="policywatch-writer")
        self._pool.start()
        reactor.addSystemEventTrigger("during", "shutdown", self._pool.stop)  # type: ignore[arg-type]  # zope interface stubs count self as an argument
        self.opened = self.call(self._open)

    @classmethod
    def acquire(cls, db_path: str, config_path: str | None, sink_factory: SinkFactory) -> "Writer":
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
            finish = getattr(self.sink, "finish", None)  # optional in third-party sinks
            if finish is not None:
                finish()  # the crawl ended normally: first histories are now seeded
            self.db.conn.close()
            self.db = None


def writer_for(crawler: Any) -> Writer:
    """The writer of this crawler's database and sink (``POLICYWATCH_SINK`` picks the factory)."""
    settings = crawler.settings
    factory: SinkFactory = open_sink
    if settings.get("POLICYWATCH_SINK"):
        from scrapy.utils.misc import load_object

        factory = load_object(settings.get("POLICYWATCH_SINK"))
    return Writer.acquire(settings.get("POLICYWATCH_DB"), settings.get("POLICYWATCH_CONFIG"), factory)
