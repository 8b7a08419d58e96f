"""``policywatch writer``: the only process that writes the SQLite database in distributed mode.

It reads the capture stream with a consumer group, stores each entry in one
transaction (``Ingestor.put``, idempotent by content hash), then acknowledges
it. A crash between commit and acknowledgement redelivers the entry, which then
changes nothing. On start it claims what a dead writer left pending
(XAUTOCLAIM) and re-reads its own pending entries first. A lock in Redis keeps
a second writer from starting; the database stays on this machine (WAL does not
work over network filesystems).
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from policywatch.crawler import cluster
from policywatch.crawler.items import ArchivedRepeat, Capture, PolicyMoved
from policywatch.errors import PolicywatchError

logger = logging.getLogger(__name__)
LOCK_TTL = 30.0  # seconds a writer's lock outlives it (a restart after kill -9 waits this long at most)


class WriterBusy(PolicywatchError):
    """Another writer holds the lock."""

    exit_code = 75


@dataclass
class WriterSummary:
    entries: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    new_versions: int = 0
    jobs_done: int = 0
    claimed: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        rate = self.entries / self.seconds if self.seconds else 0.0
        return (f"wrote {self.entries} stream entries ({rate:.1f}/s): "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
                + f"; {self.new_versions} new versions, {self.duplicates} already stored, "
                  f"{self.jobs_done} jobs done, {self.claimed} claimed from a dead writer")


class StreamWriter:
    """Apply stream entries to the database; one ``handle`` per entry, acknowledged after commit."""

    def __init__(self, db: Any, client: Any, *, channels: Sequence[Any] | None = None, consumer: str = "writer",
                 lock_ttl: float = LOCK_TTL) -> None:
        self.db, self.client, self.channels, self.consumer = db, client, list(channels or []), consumer
        self.lock_ttl = lock_ttl
        self.summary = WriterSummary()
        self.token = f"{socket.gethostname()}:{os.getpid()}:{consumer}"

    def lock(self) -> None:
        """Take the writer lock, waiting out the lock of a writer that died without releasing it."""
        deadline = time.monotonic() + self.lock_ttl + 2
        while not self.client.set(cluster.WRITER_LOCK, self.token, nx=True, px=int(self.lock_ttl * 1000)):
            if time.monotonic() > deadline:
                holder = self.client.get(cluster.WRITER_LOCK)
                raise WriterBusy(f"Another writer is running ({holder.decode() if holder else '?'}); "
                                 f"only one process may write the database.")
            time.sleep(0.2)

    def renew(self) -> None:
        if self.client.get(cluster.WRITER_LOCK) not in (None, self.token.encode()):
            raise WriterBusy("The writer lock was taken by another writer; stopping.")
        self.client.set(cluster.WRITER_LOCK, self.token, px=int(self.lock_ttl * 1000))

    def unlock(self) -> None:
        if self.client.get(cluster.WRITER_LOCK) == self.token.encode():
            self.client.delete(cluster.WRITER_LOCK)

    def prepare_group(self) -> None:
        """Create the group (reading from the stream's start) and claim a dead writer's entries."""
        import redis

        try:
            self.client.xgroup_create(cluster.STREAM, cluster.GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        start = "0-0"
        while True:  # the lock says we are the only writer: every pending entry is ours now
            start, claimed, *_ = self.client.xautoclaim(cluster.STREAM, cluster.GROUP, self.consumer,
                                                        min_idle_time=0, start_id=start, count=500)
            self.summary.claimed += len(claimed)
            if start in (b"0-0", "0-0"):
                break

    def read(self, pending: bool, count: int, block_ms: int) -> list[tuple[bytes, dict[bytes, bytes]]]:
        reply = self.client.xreadgroup(cluster.GROUP, self.consumer, {cluster.STREAM: "0" if pending else ">"},
                                       count=count, block=None if pending else block_ms)
        return reply[0][1] if reply else []

    def handle(self, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        """Store one entry (one transaction), then its Redis bookkeeping, then acknowledge it."""
        message = json.loads(fields[b"m"])
        kind = message.pop("type")
        if kind == "capture":
            self._capture(Capture.from_json(message["capture"]), message.get("extracted"))
        elif kind == "repeat":
            from policywatch.crawler.pipelines import RepeatUnavailable, repeat_capture

            try:
                self._capture(repeat_capture(self.db, ArchivedRepeat(**message)), None)
            except RepeatUnavailable as exc:  # as in one process: the next backfill goes back to it
                logger.warning("%s", exc)
        elif kind == "moved":
            from policywatch.crawler.pipelines import record_moved

            record_moved(self.db, PolicyMoved(**message))
        elif kind == "done":
            self._done(message)
        with self.client.pipeline(transaction=True) as tx:
            tx.xack(cluster.STREAM, cluster.GROUP, entry_id)
            tx.xdel(cluster.STREAM, entry_id)
            tx.execute()
        self.summary.entries += 1

    def _capture(self, capture: Capture, extracted: dict[str, Any] | None) -> None:
        from policywatch.crawler.pipelines import put_or_fallback
        from policywatch.tracker.ingest import Extracted, Ingestor

        # A fresh Ingestor per capture: whether a policy's history is seeded (may alert)
        # is read from the database, which a "done" entry of another job may have changed.
        ingestor = Ingestor(self.db, channels=self.channels)
        ready = Extracted.from_json(extracted) if extracted else None

        class _Prepared:  # the Sink seen by put_or_fallback: the worker's extraction, then the writer's
            def put(self, c: Capture) -> Any:
                return ingestor.put(c, ready if c.outcome == "ok" else None)

            def finish(self) -> None:
                pass

        result = put_or_fallback(_Prepared(), capture)
        if result.duplicate:
            self.summary.duplicates += 1
        else:
            self.summary.outcomes[result.outcome] = self.summary.outcomes.get(result.outcome, 0) + 1
        self.summary.new_versions += int(result.new_version)

    def _done(self, message: dict[str, Any]) -> None:
        """A job's last entry: its policy's history is complete (seeded), and it may be queued again."""
        from policywatch.db.policies import mark_seeded

        mark_seeded(self.db, [int(message["policy"])])
        with self.client.pipeline(transaction=True) as tx:
            tx.hdel(cluster.JOBS, message["job"])
            if message["kind"] == "archive" and message.get("done_ttl"):
                tx.set(cluster.archive_done_key(int(message["policy"])), 1, ex=int(message["done_ttl"]))
            tx.execute()
        self.summary.jobs_done += 1


def run_writer(db_path: str, redis_url: str, *, config_path: str | None = None, consumer: str = "writer",
               batch: int = 100, block_ms: int = 500, exit_when_idle: float = 0.0, lock_ttl: float = LOCK_TTL,
               on_entry: Callable[[WriterSummary], None] | None = None) -> WriterSummary:
    """Run the writer until stopped (or until idle for ``exit_when_idle`` seconds with no jobs left)."""
    from policywatch.db.connection import open_database
    from policywatch.tracker.config import load_config

    client = cluster.connect(redis_url)
    db = open_database(db_path)
    writer = StreamWriter(db, client, channels=load_config(config_path).channels, consumer=consumer,
                          lock_ttl=lock_ttl)
    writer.lock()
    started = time.monotonic()
    try:
        writer.prepare_group()
        pending, idle_since, renewed = True, None, time.monotonic()
        while True:
            entries = writer.read(pending, batch, block_ms)
            if pending and not entries:
                pending = False  # our own unacknowledged entries are done: read new ones
                continue
            for entry_id, fields in entries:
                writer.handle(entry_id, fields)
                if on_entry is not None:
                    on_entry(writer.summary)
            if time.monotonic() - renewed > lock_ttl / 3:
                writer.renew()
                renewed = time.monotonic()
            if entries:
                idle_since = None
            elif exit_when_idle:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= exit_when_idle and not client.hlen(cluster.JOBS):
                    break
    finally:
        writer.summary.seconds = time.monotonic() - started
        writer.unlock()
        db.conn.close()
    return writer.summary
