"""Distributed mode's Redis layout, the reconciler (``enqueue``) and ``workers status``.

Plain redis-py, no Scrapy: the CLI and the writer use it without a crawler.

Keys (prefix ``pw:``)::

    pw:live:shards           N, the number of live shards (set by enqueue --shards)
    pw:queue:live:K          live jobs of shard K (a registrable domain always maps to one K)
    pw:queue:archive         archive jobs, one queue shared by every archive worker
    pw:jobs                  hash job -> message: queued and not yet written (the de-duplication)
    pw:done:archive:P        an archive backfill of policy P finished (expires after --archive-every)
    pw:processing:W          list of jobs worker W took and has not published yet
    pw:workers, pw:alive:W   what each worker said about itself; its heartbeat (expires)
    pw:captures              the stream of captures; consumer group ``writers``
    pw:writer:lock           held by the one running writer

A job leaves ``pw:jobs`` only after the writer committed its last capture, so
re-running ``enqueue`` never pushes work that is queued, being fetched, or
waiting in the stream. What is due comes from the database (a live check older
than ``--live-every``; an archive backfill not finished within ``--archive-every``).
"""
from __future__ import annotations

import json
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from policywatch.errors import UsageError

PREFIX = "pw"
STREAM = f"{PREFIX}:captures"
GROUP = "writers"
JOBS = f"{PREFIX}:jobs"
SHARDS = f"{PREFIX}:live:shards"
ARCHIVE_QUEUE = f"{PREFIX}:queue:archive"
WORKERS = f"{PREFIX}:workers"
WRITER_LOCK = f"{PREFIX}:writer:lock"

# Push a job unless it is queued already (and younger than the lease): one atomic step.
_PUSH_JOB = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local queued = tonumber(cjson.decode(cur)['queued_at'])
  if queued and tonumber(ARGV[3]) - queued < tonumber(ARGV[4]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[2])
return 1
"""


def live_queue(shard: int) -> str:
    return f"{PREFIX}:queue:live:{shard}"


def processing_key(worker: str) -> str:
    return f"{PREFIX}:processing:{worker}"


def alive_key(worker: str) -> str:
    return f"{PREFIX}:alive:{worker}"


def archive_done_key(policy_id: int) -> str:
    return f"{PREFIX}:done:archive:{policy_id}"


def connect(url: str) -> Any:
    """A Redis client for ``url`` (redis://host:port/db or unix:///path); UsageError when unreachable."""
    import redis

    try:
        client = redis.Redis.from_url(url)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise UsageError(f"Cannot reach Redis at {url}: {exc}") from None
    return client


@lru_cache(maxsize=1)
def _extractor() -> Any:
    import tldextract

    # The snapshot bundled with tldextract: no download at run time.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def registrable_domain(url: str) -> str:
    """``https://www.example.co.uk/x`` -> ``example.co.uk``; an IP address or bare host stays itself."""
    from urllib.parse import urlsplit

    parts = _extractor()(url)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}".lower()
    return (urlsplit(url).hostname or "").lower()


def shard_of(url: str, shards: int) -> int:
    """The live shard owning this URL's site: stable across processes and machines (crc32)."""
    return zlib.crc32(registrable_domain(url).encode("utf-8")) % shards


def job_queue(job: dict[str, Any]) -> str:
    return live_queue(int(job["shard"])) if job["kind"] == "live" else ARCHIVE_QUEUE


@dataclass
class EnqueueReport:
    """What one reconciler pass did."""

    live: int = 0
    archive: int = 0
    already_queued: int = 0
    not_due: int = 0
    requeued: int = 0
    shards: int = 1

    def line(self) -> str:
        return (f"queued {self.live} live checks over {self.shards} shards and {self.archive} archive backfills; "
                f"{self.already_queued} already queued, {self.not_due} not due, "
                f"{self.requeued} taken back from dead workers")


def requeue_dead_workers(client: Any) -> int:
    """Put the unfinished jobs of workers whose heartbeat expired back at the head of their queues."""
    moved = 0
    for raw_name in client.hkeys(WORKERS):
        name = raw_name.decode()
        if client.exists(alive_key(name)):
            continue
        moved += requeue_own(client, name)
    return moved


def requeue_own(client: Any, worker: str) -> int:
    """Give back every job ``worker`` took (a restarted worker does this first)."""
    moved = 0
    while (raw := client.rpop(processing_key(worker))) is not None:
        client.lpush(job_queue(json.loads(raw)), raw)
        moved += 1
    return moved


def enqueue(db: Any, client: Any, *, live: bool, archive: bool, policy_ids: list[int] | None = None,
            groups: list[str] | None = None, shards: int | None = None, live_every: float = 20.0,
            archive_every: float = 24.0, lease: float = 24.0, now: datetime | None = None) -> EnqueueReport:
    """Push the due work of the selected policies (neither flag means both); hours for the periods."""
    from policywatch.db.crawl_state import live_validators_for, policies_to_enqueue

    if not (live or archive):
        live = archive = True
    report = EnqueueReport(requeued=requeue_dead_workers(client))
    if shards is not None:
        if shards < 1:
            raise UsageError(f"--shards must be at least 1 (got {shards}).")
        current = client.get(SHARDS)
        if current is not None and int(current) != shards and client.hlen(JOBS):
            raise UsageError(f"Live work is queued for {int(current)} shards; let it drain before changing to {shards}.")
        client.set(SHARDS, shards)
    report.shards = int(client.get(SHARDS) or 1)
    now = now or datetime.now(timezone.utc)
    stamp = now.timestamp()
    live_cutoff = (now - timedelta(hours=live_every)).strftime("%Y-%m-%dT%H:%M:%SZ")
    push = client.register_script(_PUSH_JOB)
    lease_s = lease * 3600
    for policy in policies_to_enqueue(db, policy_ids=policy_ids, groups=groups):
        pid = int(policy["id"])
        common = {"policy": pid, "select_css": policy["select_css"], "remove_css": policy["remove_css"],
                  "queued_at": stamp}
        if live:
            if policy["last_checked_at"] and policy["last_checked_at"] > live_cutoff:
                report.not_due += 1
            else:
                etag, last_modified = live_validators_for(db, pid, policy["url"])
                job = {**common, "kind": "live", "job": f"live:{pid}", "url": policy["url"], "etag": etag,
                       "last_modified": last_modified, "shard": shard_of(policy["url"], report.shards)}
                if push(keys=[JOBS, job_queue(job)], args=[job["job"], json.dumps(job), stamp, lease_s]):
                    report.live += 1
                else:
                    report.already_queued += 1
        if archive:
            if client.exists(archive_done_key(pid)):
                report.not_due += 1
                continue
            backfill = archive_job(db, pid)
            if backfill is None:  # every URL of it is blocked by the archive (recorded): nothing to ask
                report.not_due += 1
                continue
            backfill.update(common, done_ttl=int(archive_every * 3600))
            if push(keys=[JOBS, ARCHIVE_QUEUE], args=[backfill["job"], json.dumps(backfill), stamp, lease_s]):
                report.archive += 1
            else:
                report.already_queued += 1
    return report


def archive_job(db: Any, policy_id: int) -> dict[str, Any] | None:
    """An archive job: what the wayback spider reads from the database when it starts a
    listing, since a worker has none. Per URL (blocked ones left out, as the spider skips
    them): ``since``, ``previous`` and ``moved_at``; per policy: the digests stored and the
    rows recorded for good from the earliest ``since`` on (older rows are never listed)."""
    from policywatch.crawler.listing import listing_start
    from policywatch.db.crawl_state import archive_blocked_urls, archive_urls, done_wayback_digests
    from policywatch.db.crawl_state import recorded_wayback_rows

    blocked = archive_blocked_urls(db, policy_id)
    urls = [{"url": url, "moved_at": moved_at, **listing_start(db, policy_id, url, moved_at)}
            for url, moved_at in archive_urls(db, policy_id) if url not in blocked]
    if not urls:
        return None
    starts = [u["since"] for u in urls]
    first = None if None in starts else min(starts)
    recorded = sorted(row for row in recorded_wayback_rows(db, policy_id) if first is None or row[0] >= first)
    return {"policy": policy_id, "kind": "archive", "job": f"archive:{policy_id}", "urls": urls,
            "digests": sorted(done_wayback_digests(db, policy_id)), "recorded": recorded}


@dataclass
class Status:
    """``workers status``: queue depths, stream backlog, workers and writer seen."""

    queues: dict[str, int] = field(default_factory=dict)
    jobs: int = 0
    stream_length: int = 0
    pending: int = 0
    workers: list[dict[str, Any]] = field(default_factory=list)
    writer: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"queues": self.queues, "jobs": self.jobs, "stream_length": self.stream_length,
                "pending": self.pending, "workers": self.workers, "writer": self.writer}

    def lines(self) -> list[str]:
        out = [f"queue {name}: {depth}" for name, depth in sorted(self.queues.items())]
        out.append(f"jobs not yet written: {self.jobs}")
        out.append(f"stream: {self.stream_length} entries, {self.pending} delivered and not acknowledged")
        out.append(f"writer: {self.writer or 'none running'}")
        for w in self.workers:
            state = ("alive" if w["alive"] else "stopped" if w["stopped"] and not w["in_progress"]
                     else "DEAD (its jobs go back on the next enqueue)")
            out.append(f"worker {w['name']}: {state}, {w['in_progress']} jobs in progress, "
                       f"last seen {w.get('seen', '?')}, {w.get('role', '')}")
        return out


def status(client: Any) -> Status:
    result = Status(jobs=int(client.hlen(JOBS)))
    shards = int(client.get(SHARDS) or 1)
    result.queues["archive"] = int(client.llen(ARCHIVE_QUEUE))
    for k in range(shards):
        result.queues[f"live:{k}"] = int(client.llen(live_queue(k)))
    if client.exists(STREAM):
        result.stream_length = int(client.xlen(STREAM))
        try:
            result.pending = int(client.xpending(STREAM, GROUP)["pending"])
        except Exception:  # no group yet: no writer ever ran
            result.pending = 0
    holder = client.get(WRITER_LOCK)
    result.writer = holder.decode() if holder else None
    for raw_name, raw_info in sorted(client.hgetall(WORKERS).items()):
        name = raw_name.decode()
        info = json.loads(raw_info)
        seen = info.get("seen")
        result.workers.append({
            "name": name, "alive": bool(client.exists(alive_key(name))),
            "in_progress": int(client.llen(processing_key(name))), "role": info.get("role"),
            "stopped": bool(info.get("stopped")),
            "seen": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seen)) if seen else None,
        })
    return result
