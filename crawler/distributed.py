"""Distributed crawl workers on scrapy-redis: the ONE module that imports ``scrapy_redis``.

A worker is a Scrapy process whose spider takes jobs from a Redis list
(``crawler.cluster`` has the layout and the reconciler that fills it), does the
expensive part of ingest (fetch, extraction, segmentation, hashing) and
publishes each capture to a Redis stream; ``crawler.stream_writer`` is the one
process that writes SQLite. scrapy-redis 0.9 (``RedisMixin``) gives the Redis
connection, the job decoding hook and the idle-signal refill; on current Scrapy
it lacks, and this module adds:

- async ``start()`` (Scrapy 2.16 removed ``start_requests``; scrapy-redis #305):
  the first batch is taken at start, not at the first idle signal;
- refill with back-off: a timer tops the jobs in flight up to the batch size
  as soon as one finishes (a slow host never stalls a batch, finding 5 in
  SCALE-OUT.md), polling an empty queue at 0.2 s doubling to 5 s;
- a batch size (``POLICYWATCH_REDIS_BATCH``) of 10 x CONCURRENT_REQUESTS for live
  jobs and of POLICYWATCH_CDX_CHAINS for archive jobs (each is a whole backfill);
- reliable take: ``LMOVE`` into the worker's own processing list, removed in the
  same MULTI as the job's last XADD, so a killed worker loses nothing (its jobs go
  back to the queue when it restarts or when ``enqueue`` sees it dead).

No scrapy-redis scheduler queue: a worker's pending requests are rebuilt from its
unfinished jobs, and live jobs are sharded by registrable domain, so one host is
always fetched by one process and per-host politeness holds across workers.
Archive budgets are per egress address: ``egress.RedisLimiter`` shares them among the
workers on one address (``--bind-address`` picks the address a worker sends from).
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy_redis.spiders import RedisMixin
from twisted.python.failure import Failure

from policywatch.crawler.outcomes import failed_request
from policywatch.crawler import cluster
from policywatch.crawler.items import ArchivedRepeat, Capture, PolicyFound, PolicyMoved
from policywatch.crawler.spiders.live import LiveSpider
from policywatch.crawler.spiders.wayback import WaybackSpider
from policywatch.errors import UsageError

logger = logging.getLogger(__name__)


@dataclass
class JobDone:
    """Everything of ``job`` has been yielded; ``capture`` (live) is published with the marker."""

    job: str
    kind: str
    policy: int
    capture: Capture | None = None


class RedisJobs(RedisMixin):
    """Take JSON jobs from a Redis list reliably and turn them into requests (scrapy-redis hooks)."""

    worker_name: str
    jobs: dict[str, bytes]

    def setup_jobs(self, crawler: Any, queue: str, name: str) -> None:
        settings = crawler.settings
        self.redis_key = queue
        self.redis_batch_size = settings.getint("POLICYWATCH_REDIS_BATCH") or self.default_batch(settings)
        self.setup_redis(crawler)  # scrapy-redis: connection (REDIS_URL), batch size, idle signal
        self.fetch_data = self.take_jobs
        self.count_size = self.server.llen
        self.worker_name = name
        self.jobs = {}
        self.policy_opts: dict[int, dict[str, Any]] = {}
        self.max_idle = settings.getfloat("POLICYWATCH_WORKER_MAX_IDLE")
        self.heartbeat_ttl = settings.getint("POLICYWATCH_HEARTBEAT_TTL")
        self._idle_since: float | None = None
        self._poll, self._next_poll, self._beat = 0.2, 0.0, 0.0
        self._claim_name()
        crawler.signals.connect(self._opened, signal=signals.spider_opened)
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    def _claim_name(self) -> None:
        """One live process per worker name; a restart first gives back what the dead one took."""
        deadline = time.monotonic() + self.heartbeat_ttl + 2
        while not self.server.set(cluster.alive_key(self.worker_name), os.getpid(), nx=True, ex=self.heartbeat_ttl):
            if time.monotonic() > deadline:
                raise UsageError(f"A worker named {self.worker_name!r} is running; give this one another --name.")
            time.sleep(0.5)
        requeued = cluster.requeue_own(self.server, self.worker_name)
        if requeued:
            logger.warning("Gave back %d unfinished jobs of the previous %s", requeued, self.worker_name)

    def _opened(self, spider: Any = None) -> None:
        from twisted.internet.task import LoopingCall

        self._timer = LoopingCall(self._tick)
        self._timer.start(0.1, now=False)

    def _closed(self, spider: Any = None) -> None:
        if getattr(self, "_timer", None) is not None and self._timer.running:
            self._timer.stop()
        self.server.delete(cluster.alive_key(self.worker_name))
        self.server.hset(cluster.WORKERS, self.worker_name, json.dumps(
            {"seen": time.time(), "role": self.role(), "pid": os.getpid(), "host": socket.gethostname(),
             "stopped": True}))

    def _tick(self) -> None:
        """Heartbeat, and refill when the jobs in flight fall below half a batch (with back-off)."""
        now = time.monotonic()
        if now - self._beat >= 1.0:
            self._beat = now
            self.server.set(cluster.alive_key(self.worker_name), os.getpid(), ex=self.heartbeat_ttl)
            self.server.hset(cluster.WORKERS, self.worker_name, json.dumps(
                {"seen": time.time(), "role": self.role(), "pid": os.getpid(), "host": socket.gethostname()}))
        if now < self._next_poll or len(self.jobs) >= self.redis_batch_size:
            return
        found = False
        for request in self.next_requests():
            self.crawler.engine.crawl(request)
            found = True
        self._poll = 0.2 if found else min(5.0, self._poll * 2)
        self._next_poll = now + self._poll

    def role(self) -> str:
        return self.redis_key

    def default_batch(self, settings: Any) -> int:
        """Jobs held at once: 10 x CONCURRENT_REQUESTS (a live job is one request)."""
        return 10 * settings.getint("CONCURRENT_REQUESTS")

    async def start(self) -> Any:
        """Async start (scrapy-redis only knows ``start_requests``): the first batch at once."""
        for request in self.next_requests():
            yield request

    def take_jobs(self, key: str, batch: int) -> list[bytes]:
        """Move up to ``batch`` jobs (minus those in flight) into this worker's processing list."""
        room = max(0, batch - len(self.jobs))
        taken = []
        for _ in range(room):
            raw = self.server.lmove(key, cluster.processing_key(self.worker_name), "LEFT", "RIGHT")
            if raw is None:
                break
            taken.append(raw)
        return taken

    def make_request_from_data(self, data: bytes) -> list[scrapy.Request]:
        job = json.loads(data)
        if job["job"] in self.jobs:  # the same job twice (re-pushed after a lease): one run is enough
            self.server.lrem(cluster.processing_key(self.worker_name), 1, data)
            return []
        self.jobs[job["job"]] = data
        self.policy_opts[int(job["policy"])] = {"select_css": job.get("select_css"), "remove_css": job.get("remove_css")}
        return list(self.job_requests(job))

    def job_requests(self, job: dict[str, Any]) -> Iterator[scrapy.Request]:
        raise NotImplementedError

    def spider_idle(self) -> None:
        """Stay open while jobs may come; close after POLICYWATCH_WORKER_MAX_IDLE s with nothing (0: never)."""
        self._next_poll = 0.0
        self._tick()
        if self.jobs or self.server.llen(self.redis_key):
            self._idle_since = None
            raise DontCloseSpider
        self._idle_since = self._idle_since or time.monotonic()
        if not self.max_idle or time.monotonic() - self._idle_since < self.max_idle:
            raise DontCloseSpider


class LiveWorkerSpider(RedisJobs, LiveSpider):
    """The live spider, fed by shard K's queue; a job is done with its policy's first capture."""

    name = "live-worker"

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, worker: str = "", **kwargs: Any) -> "LiveWorkerSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup_jobs(crawler, cluster.live_queue(spider.shard), worker)
        return spider

    def job_requests(self, job: dict[str, Any]) -> Iterator[scrapy.Request]:
        request = self.policy_request(int(job["policy"]), job["url"], etag=job.get("etag"),
                                      last_modified=job.get("last_modified"))
        request.meta["job"] = job["job"]
        yield request

    def _with_job(self, meta: dict[str, Any], outputs: Iterator[Any]) -> Iterator[Any]:
        job = meta.get("job")
        for out in outputs:
            if job and isinstance(out, Capture):
                yield JobDone(job, "live", int(out.policy), capture=out)
                job = None
            else:
                yield out

    def parse_policy(self, response: Response) -> Iterator[Any]:
        yield from self._with_job(response.meta, super().parse_policy(response))

    def policy_failed(self, failure: Failure) -> Iterator[Any]:
        yield from self._with_job(failed_request(failure).meta, super().policy_failed(failure))


class ArchiveWorkerSpider(RedisJobs, WaybackSpider):
    """The wayback spider, fed by the shared archive queue; a job is done when all its
    listings ended and every capture of them was released (in CDX order).

    A worker has no database: what the spider reads from it when a listing starts
    (stored digests, rows recorded for good, ``since``/``previous`` per URL, the move
    time) comes with the job, computed by ``cluster.enqueue``. Everything the spider
    yields goes to the stream; the writer does what needs the database (rebuilding a
    repeat from its stored body, recording an archived move)."""

    name = "wayback-worker"

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, worker: str = "", **kwargs: Any) -> "ArchiveWorkerSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup_jobs(crawler, cluster.ARCHIVE_QUEUE, worker)
        spider._job_streams, spider._open_streams, spider._chains = {}, set(), 0
        return spider

    @property
    def db(self) -> Any:
        """None here: the database is on the writer's machine (the job carries what is needed)."""
        raise RuntimeError("an archive worker has no database; cluster.enqueue must put this in the job")

    def digests(self, policy_id: int) -> tuple[set[str], set[str]]:
        return self._stored.setdefault(policy_id, set()), self._seen.setdefault(policy_id, set())

    def default_batch(self, settings: Any) -> int:
        """An archive job is a whole backfill: hold only as many as CDX chains run at once, so
        the shared queue spreads policies over the workers instead of the first one taking all."""
        return max(1, settings.getint("POLICYWATCH_CDX_CHAINS"))

    def job_requests(self, job: dict[str, Any]) -> Iterator[scrapy.Request]:
        pid = int(job["policy"])
        self._stored[pid], self._seen[pid] = set(job["digests"]), set()  # known from the database
        self._recorded[pid] = {(ts, digest) for ts, digest in job.get("recorded", [])}
        streams = set()
        for entry in job["urls"]:
            self._queue.append({"id": pid, **entry})
            streams.add((pid, entry["url"]))
        self._job_streams[job["job"]] = (pid, streams)
        self._open_streams |= streams
        yield from self._start_chains()

    def _start_chains(self) -> Iterator[scrapy.Request]:
        while self._queue and self._chains < max(1, self.settings.getint("POLICYWATCH_CDX_CHAINS")):
            entry = self._queue.popleft()
            self._chains += 1
            yield self.open_listing(entry["id"], entry["url"], entry.get("moved_at"), entry.get("since"),
                                    entry.get("previous"))

    def next_policy(self, ended: Any = None) -> Iterator[scrapy.Request]:
        """Called by the wayback spider when a listing's CDX chain ends: start the next one."""
        if ended is not None:
            self._open_streams.discard(ended.stream)
            self._listings.pop(ended.stream, None)  # its fetches have all been answered
        self._chains -= 1
        yield from self._start_chains()

    def parse_cdx(self, response: Response) -> Iterator[Any]:
        yield from super().parse_cdx(response)
        yield from self._finished()

    def cdx_failed(self, failure: Failure) -> Iterator[Any]:
        yield from super().cdx_failed(failure)
        yield from self._finished()

    def parse_capture(self, response: Response) -> Iterator[Any]:
        yield from super().parse_capture(response)
        yield from self._finished()

    def parse_digest_rows(self, response: Response) -> Iterator[Any]:
        yield from super().parse_digest_rows(response)
        yield from self._finished()

    def capture_failed(self, failure: Failure) -> Iterator[Any]:
        yield from super().capture_failed(failure)
        yield from self._finished()

    def _finished(self) -> Iterator[JobDone]:
        for job, (pid, streams) in list(self._job_streams.items()):
            if not (streams & self._open_streams) and not any(self.release.pending(s) for s in streams):
                del self._job_streams[job]
                for state in (self._stored, self._seen, self._recorded):
                    state.pop(pid, None)
                yield JobDone(job, "archive", pid)


class StreamPipeline:
    """Publish items to the capture stream, in order, from one thread (extraction runs there too)."""

    def __init__(self, crawler: Any) -> None:
        from twisted.python.threadpool import ThreadPool
        from twisted.internet import reactor

        self.crawler = crawler
        self.client = cluster.connect(crawler.settings.get("REDIS_URL"))
        self._pool = ThreadPool(1, 1, name="policywatch-publisher")
        self._pool.start()
        reactor.addSystemEventTrigger("during", "shutdown", self._pool.stop)  # type: ignore[arg-type]  # zope interface stubs count self as an argument

    @classmethod
    def from_crawler(cls, crawler: Any) -> "StreamPipeline":
        return cls(crawler)

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        from twisted.internet import reactor
        from twisted.internet.threads import deferToThreadPool

        spider = self.crawler.spider
        raw = spider.jobs.get(item.job) if isinstance(item, JobDone) else None
        await maybe_deferred_to_future(deferToThreadPool(reactor, self._pool, self._publish, item, raw,
                                                         spider.policy_opts, spider.worker_name))
        if isinstance(item, JobDone):
            spider.jobs.pop(item.job, None)
        self.crawler.stats.inc_value("policywatch/published")
        return item

    def _publish(self, item: Any, raw: bytes | None, opts: dict[int, dict[str, Any]], worker: str) -> None:
        """Publisher thread: one XADD per item; a job's marker, its live capture and the release
        of the job from the processing list go in ONE transaction (never half of it)."""
        if isinstance(item, JobDone):
            with self.client.pipeline(transaction=True) as tx:
                if item.capture is not None:
                    self._xadd(tx, capture_message(item.capture, opts.get(int(item.capture.policy), {})))
                done = {"type": "done", "job": item.job, "kind": item.kind, "policy": item.policy}
                if raw is not None:
                    done["done_ttl"] = json.loads(raw).get("done_ttl", 0)
                self._xadd(tx, done)
                if raw is not None:
                    tx.lrem(cluster.processing_key(worker), 1, raw)
                tx.execute()
        elif isinstance(item, Capture):
            self._xadd(self.client, capture_message(item, opts.get(int(item.policy), {})))
        elif isinstance(item, ArchivedRepeat):
            self._xadd(self.client, {"type": "repeat", **asdict(item)})
        elif isinstance(item, PolicyMoved):
            self._xadd(self.client, {"type": "moved", **asdict(item)})
        elif isinstance(item, PolicyFound):
            logger.warning("Discovery is not distributed; ignoring %s", item.url)

    def _xadd(self, client: Any, message: dict[str, Any]) -> None:
        client.xadd(cluster.STREAM, {"m": json.dumps(message)})


def capture_message(capture: Capture, policy_opts: dict[str, Any]) -> dict[str, Any]:
    """A capture as a stream message, with its extraction done here rather than on the writer."""
    from policywatch.tracker.ingest import extract_and_prepare

    extracted = extract_and_prepare(capture, policy_opts).to_json() if capture.outcome == "ok" else None
    return {"type": "capture", "capture": capture.to_json(), "extracted": extracted}
