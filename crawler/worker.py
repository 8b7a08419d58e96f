"""``policywatch worker``: one Scrapy process of distributed mode (see ``crawler.distributed``).

Runs in the calling process (a worker is long-running and started by systemd
or a shell, never restarted in-process). Live workers take shard K of N; an
archive worker takes the shared archive queue, sending from ``bind_address``.
"""
from __future__ import annotations

import os
import socket
from typing import Any

from policywatch.errors import UsageError


def worker_name(*, shard: int, shards: int, archive: bool, bind_address: str | None) -> str:
    """Default name: stable across restarts on one host, so a restart takes back its own jobs."""
    role = "archive" if archive else f"live-{shard}of{shards}"
    return f"{socket.gethostname()}-{role}" + (f"-{bind_address}" if bind_address else "")


def worker_settings(redis_url: str, *, bind_address: str | None = None,
                    overrides: dict[str, str] | None = None) -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "policywatch.crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.set("REDIS_URL", redis_url, priority="cmdline")
    settings.set("ITEM_PIPELINES", {"policywatch.crawler.distributed.StreamPipeline": 300}, priority="cmdline")
    settings.set("EXTENSIONS", {}, priority="cmdline")  # nothing is ingested here: no ingest side effects
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["policywatch.crawler.egress.BindAddressMiddleware"] = 40
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    settings.set("POLICYWATCH_LIMITER", "policywatch.crawler.egress.redis_limiter", priority="cmdline")
    if bind_address:
        settings.set("POLICYWATCH_BIND_ADDRESS", bind_address, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_worker(redis_url: str, *, shard: int = 0, shards: int = 1, archive: bool = False,
               bind_address: str | None = None, name: str | None = None,
               overrides: dict[str, str] | None = None) -> int:
    """Run one worker until stopped (or idle for POLICYWATCH_WORKER_MAX_IDLE s); 0 when it ended cleanly,
    69 when its first requests reached nothing (its jobs go back to the queue on restart)."""
    from policywatch.crawler import cluster

    client = cluster.connect(redis_url)
    if not archive:
        expected = int(client.get(cluster.SHARDS) or 1)
        if shards != expected:
            raise UsageError(f"Live work is queued for {expected} shards; start workers with --shard K/{expected}.")
    from scrapy.crawler import CrawlerProcess

    from policywatch.crawler.distributed import ArchiveWorkerSpider, LiveWorkerSpider

    settings = worker_settings(redis_url, bind_address=bind_address, overrides=overrides)
    process = CrawlerProcess(settings)
    spider = ArchiveWorkerSpider if archive else LiveWorkerSpider
    crawler = process.create_crawler(spider)
    worker = name or worker_name(shard=shard, shards=shards, archive=archive, bind_address=bind_address)
    process.crawl(crawler, shard=shard, shards=shards, worker=worker)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if stats.get("policywatch/unreachable"):  # the reachability watchdog closed it: nothing answered
        from policywatch.crawler.reachability import EX_UNAVAILABLE

        return EX_UNAVAILABLE
    return 0 if stats.get("finish_reason") == "finished" else 1
