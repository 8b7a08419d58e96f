"""Scrapy settings of the policywatch crawler: the ONE place defaults live.

Code reads these with ``settings.getfloat(NAME)`` and no second default.

Politeness first: a clear User-Agent, AutoThrottle, a small per-host
concurrency, retries with backoff that honour Retry-After, and the Internet
Archive's published limits as budgets (``POLICYWATCH_CDX_PER_MINUTE``,
``POLICYWATCH_CAPTURES_PER_SECOND``). Every POLICYWATCH_* setting can also be
given as an environment variable of the same name (see ``_env``), which is how
the CLI and the tests tune a run without editing this file.
"""
from __future__ import annotations

import os

from policywatch.crawler.cdx import DEFAULT_BASE


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


BOT_NAME = "policywatch"
SPIDER_MODULES = ["policywatch.crawler.spiders"]
NEWSPIDER_MODULE = "policywatch.crawler.spiders"

USER_AGENT = "policywatch/0.1 (+https://github.com/policywatch; privacy-policy archiver)"
# Policies are public pages meant to be read; robots.txt rules written for search
# engines often exclude legal pages by accident. Politeness comes from the budgets.
ROBOTSTXT_OBEY = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = _env("POLICYWATCH_LOG_LEVEL", "INFO")

# --- concurrency and throttling -------------------------------------------------------
CONCURRENT_REQUESTS = int(_env("POLICYWATCH_CONCURRENT_REQUESTS", "32"))
CONCURRENT_REQUESTS_PER_DOMAIN = int(_env("POLICYWATCH_CONCURRENT_PER_HOST", "2"))
DOWNLOAD_DELAY = float(_env("POLICYWATCH_DOWNLOAD_DELAY", "0.5"))
AUTOTHROTTLE_ENABLED = _env("POLICYWATCH_AUTOTHROTTLE", "1") not in ("0", "false", "no", "off")
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Broad-crawl scheduling: take requests of the least busy slot first, so one host with
# hundreds of policies does not fill every concurrent request with its queue.
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
DOWNLOAD_TIMEOUT = int(_env("POLICYWATCH_DOWNLOAD_TIMEOUT", "60"))

# --- Internet Archive budgets (the politeness middleware enforces them) ---------------
POLICYWATCH_WAYBACK_URL = _env("POLICYWATCH_WAYBACK_URL", DEFAULT_BASE)
POLICYWATCH_CDX_PER_MINUTE = float(_env("POLICYWATCH_CDX_PER_MINUTE", "24"))
POLICYWATCH_CAPTURES_PER_SECOND = float(_env("POLICYWATCH_CAPTURES_PER_SECOND", "8"))
POLICYWATCH_SAVES_PER_MINUTE = float(_env("POLICYWATCH_SAVES_PER_MINUTE", "6"))
POLICYWATCH_CDX_LIMIT = int(_env("POLICYWATCH_CDX_LIMIT", "500"))
# Policies whose CDX pages are walked at the same time (see WaybackSpider.start).
POLICYWATCH_CDX_CHAINS = int(_env("POLICYWATCH_CDX_CHAINS", "2"))
# Slots are named by the politeness key. For the archive the limiter is the only gate:
# slot concurrency stays above what the budget can fill, so a request that passed the
# limiter is sent at once and never waits in a slot queue (where a 429 pause could not
# hold it back).
DOWNLOAD_SLOTS = {
    "archive:cdx": {"concurrency": 4, "delay": 0},
    "archive:capture": {"concurrency": int(_env("POLICYWATCH_ARCHIVE_CONCURRENCY", "16")), "delay": 0},
    "archive:save": {"concurrency": 2, "delay": 0},
}

# --- retries ---------------------------------------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = int(_env("POLICYWATCH_RETRY_TIMES", "5"))
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 520, 521, 522, 523, 524, 408]
POLICYWATCH_RETRY_BACKOFF_BASE = float(_env("POLICYWATCH_RETRY_BACKOFF_BASE", "2"))
POLICYWATCH_RETRY_BACKOFF_MAX = float(_env("POLICYWATCH_RETRY_BACKOFF_MAX", "120"))
# The archive's first block after ignoring a 429 is an hour: always wait at least this long.
POLICYWATCH_ARCHIVE_429_PAUSE = float(_env("POLICYWATCH_ARCHIVE_429_PAUSE", "60"))

# --- size limits -> too_large captures --------------------------------------------------
DOWNLOAD_MAXSIZE = int(_env("POLICYWATCH_DOWNLOAD_MAXSIZE", str(10 * 1024 * 1024)))
DOWNLOAD_WARNSIZE = int(_env("POLICYWATCH_DOWNLOAD_WARNSIZE", str(2 * 1024 * 1024)))

# --- safety ------------------------------------------------------------------------------
POLICYWATCH_ALLOW_PRIVATE = _env("POLICYWATCH_ALLOW_PRIVATE", "0")
# Checks the address each connection is made to (DNS rebinding), see crawler/safety.py.
TWISTED_DNS_RESOLVER = "policywatch.crawler.safety.SafeResolver"

# --- database and sink ------------------------------------------------------------------
POLICYWATCH_DB = _env("POLICYWATCH_DB", "policywatch.db")
POLICYWATCH_CONFIG = os.environ.get("POLICYWATCH_CONFIG")
# Dotted path of ``factory(db, config_path) -> sink`` (anything with ``put(capture)``);
# empty means tracker.ingest.Ingestor. The scale-out seam (e.g. a Redis stream writer).
POLICYWATCH_SINK = _env("POLICYWATCH_SINK", "")
POLICYWATCH_SAVE = _env("POLICYWATCH_SAVE", "0")
# Dotted path of ``factory(rates, settings) -> limiter``; empty means budget.Limiter (in-process).
POLICYWATCH_LIMITER = _env("POLICYWATCH_LIMITER", "")

# --- distributed mode (crawler.distributed; set by ``policywatch worker``) -----------------
REDIS_URL = _env("POLICYWATCH_REDIS_URL", "redis://127.0.0.1:6379/0")
# Jobs a worker holds at once; 0 means 10 x CONCURRENT_REQUESTS.
POLICYWATCH_REDIS_BATCH = int(_env("POLICYWATCH_REDIS_BATCH", "0"))
# Seconds a worker with nothing to do waits before it exits (0: runs until stopped).
POLICYWATCH_WORKER_MAX_IDLE = float(_env("POLICYWATCH_WORKER_MAX_IDLE", "0"))
# Seconds without a heartbeat after which a worker counts as dead (its jobs are given back).
POLICYWATCH_HEARTBEAT_TTL = int(_env("POLICYWATCH_HEARTBEAT_TTL", "15"))
# Source address of every request (one egress address per worker); archive budgets are per address.
POLICYWATCH_BIND_ADDRESS = _env("POLICYWATCH_BIND_ADDRESS", "")
POLICYWATCH_PROGRESS = _env("POLICYWATCH_PROGRESS", "0")

DOWNLOADER_MIDDLEWARES = {
    "policywatch.crawler.middlewares.SafetyMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "policywatch.crawler.middlewares.RetryAfterMiddleware": 550,
    "policywatch.crawler.middlewares.PolitenessMiddleware": 950,
    "policywatch.crawler.reachability.ReachabilityMiddleware": 990,
}
# A crawl that got no answer at all this long after it opened says so and stops (exit 69).
POLICYWATCH_UNREACHABLE_AFTER = float(_env("POLICYWATCH_UNREACHABLE_AFTER", "45"))
# Side effects of ingest (stats, progress lines, Save Page Now) listen to signals.
EXTENSIONS = {
    "policywatch.crawler.extensions.IngestStats": 500,
    "policywatch.crawler.extensions.Progress": 510,
    "policywatch.crawler.extensions.SavePageNow": 520,
}
ITEM_PIPELINES = {
    "policywatch.crawler.pipelines.DiscoveryPipeline": 200,
    "policywatch.crawler.pipelines.IngestPipeline": 300,
}
