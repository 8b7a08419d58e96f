"""Scale-out benchmark: archive backfill with 1, 2 and 4 distributed workers vs one process.

The archive limits each client address, so distribution pays on the archive side.
A fake Wayback enforces a per-source-address budget the way the archive does
(a token bucket of N requests a minute per client address, 429 beyond); each
worker sends from its own loopback address (``--bind-address 127.0.0.1X``,
Scrapy's ``bindaddress``), so each has the whole budget. Measured:

1. backfill throughput (captures committed per second, first to last commit)
   with 1, 2 and 4 workers + the writer (goal: >= 0.9 x N of one worker);
2. the writer's sustained rate: the stream filled by 4 workers first, then drained;
3. overhead: one worker + writer against the single-process crawl on the same
   work and budget (goal: >= 0.8).

Needs redis-server. Writes the "## Scale-out" section of bench/README.md.

    python bench/scale_bench.py [--policies 24] [--snapshots 8] [--per-minute 480]
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policywatch.crawler import cluster  # noqa: E402
from policywatch.crawler.runner import run_crawl  # noqa: E402
from policywatch.crawler.stream_writer import run_writer  # noqa: E402
from policywatch.db.connection import open_database  # noqa: E402
from policywatch.db.policies import add_policy  # noqa: E402
from policywatch.testing.redis_server import RedisServer, redis_binary  # noqa: E402
from policywatch.testing.wayback import FakeWaybackServer, _Handler, markdown_page  # noqa: E402
from readme_section import write_section  # noqa: E402

PRACTICES = ["location", "contact", "payment", "usage", "device", "voice", "health", "biometric", "browsing",
             "purchase", "social", "travel", "camera", "microphone", "calendar", "photos"]


class BudgetHandler(_Handler):
    """The fake Wayback's handler behind a per-client-address token bucket (429 when empty)."""

    def do_GET(self) -> None:  # noqa: N802
        kind = "cdx" if self.path.startswith("/cdx/") else "content"
        if not self.server.take_token(self.client_address[0], kind):
            self.server.refused += 1
            self._send(429, b"Too Many Requests", {}, kind="content")
            return
        super().do_GET()


class BudgetWayback(FakeWaybackServer):
    """Per client address: N replays and M CDX queries a minute, small bursts, like the archive."""

    def __init__(self, per_minute: float, cdx_per_minute: float, burst: float = 10.0) -> None:
        super().__init__()
        self.RequestHandlerClass = BudgetHandler
        self.rates = {"content": per_minute / 60.0, "cdx": cdx_per_minute / 60.0}
        self.burst = burst
        self.buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self.refused = 0
        self.lock = threading.Lock()
        self.by_address: dict[str, int] = {}

    def take_token(self, address: str, kind: str) -> bool:
        with self.lock:
            now = time.monotonic()
            tokens, at = self.buckets.get((address, kind), (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rates[kind])
            if tokens < 1:
                self.buckets[(address, kind)] = (tokens, now)
                return False
            self.buckets[(address, kind)] = (tokens - 1, now)
            self.by_address[address] = self.by_address.get(address, 0) + 1
            return True


def build_archive(wayback: FakeWaybackServer, policies: int, snapshots: int) -> list[str]:
    urls = []
    for p in range(policies):
        url = f"https://site{p}.example/privacy"
        urls.append(url)
        for s in range(snapshots):
            practices = ", ".join(PRACTICES[: 3 + s % len(PRACTICES)])
            text = (f"# Privacy policy of site {p}\n\nWe collect {practices} data to run the service. "
                    f"Version {s}: we keep it for {s + 1} years and share it with our processors.\n\n"
                    "You may ask us to delete your personal data at any time. " * 6)
            wayback.archive.add(url, f"20{10 + s:02d}0{1 + p % 9}15000000", markdown_page(text))
    return urls


def fresh_db(directory: str, name: str, urls: list[str]) -> str:
    path = os.path.join(directory, f"{name}.db")
    db = open_database(path, create=True)
    for i, url in enumerate(urls):
        add_policy(db, url, name=f"p{i}")
    db.conn.close()
    return path


CDX_PER_MINUTE = 120.0  # the fake's CDX limit per address (the archive allows about 30)


def env_for(wayback_url: str, per_minute: float, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "POLICYWATCH_ALLOW_PRIVATE": "1", "POLICYWATCH_AUTOTHROTTLE": "0", "POLICYWATCH_DOWNLOAD_DELAY": "0",
        "POLICYWATCH_WAYBACK_URL": wayback_url, "POLICYWATCH_LOG_LEVEL": "WARNING",
        # Every archive budget set just under the fake's per-address limit: the budget is the bottleneck.
        "POLICYWATCH_CDX_PER_MINUTE": str(CDX_PER_MINUTE * 0.95),
        "POLICYWATCH_CAPTURES_PER_SECOND": str(per_minute * 0.95 / 60),
        "POLICYWATCH_ARCHIVE_429_PAUSE": "2", "POLICYWATCH_RETRY_BACKOFF_BASE": "0.5",
        "POLICYWATCH_CDX_CHAINS": "4", "POLICYWATCH_HEARTBEAT_TTL": "3",
    })
    env.update(extra)
    return env


def rate(captures: int, wayback: FakeWaybackServer, times: list[float]) -> float:
    """Captures committed per second, from the archive's first request to the last commit."""
    start = min((r.at for r in wayback.archive.log), default=None)
    return captures / (times[-1] - start) if times and start is not None and times[-1] > start else 0.0


def single_process(directory: str, wayback: BudgetWayback, urls: list[str], per_minute: float) -> dict[str, Any]:
    db = fresh_db(directory, "single", urls)
    times: list[float] = []

    def progress(event: dict[str, Any]) -> None:
        if event.get("event") == "capture":
            times.append(time.monotonic())

    wayback.refused = 0
    wayback.archive.reset_log()
    summary = run_crawl(db, archive=True, env=env_for(wayback.url, per_minute), progress=progress,
                        settings={"POLICYWATCH_PROGRESS": "1"}, timeout=1800)
    return {"captures": len(times), "rate": rate(len(times), wayback, times), "refused": wayback.refused,
            "returncode": summary.returncode}


def start_workers(redis_url: str, n: int, env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(n):
        address = f"127.0.0.{11 + i}"
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "policywatch", "worker", "--redis", redis_url, "--archive",
             "--bind-address", address, "--name", f"bench-{address}"],
            cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return procs


def wait(condition: Any, timeout: float = 1800) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("benchmark step timed out")
        time.sleep(0.05)


def distributed(directory: str, wayback: BudgetWayback, urls: list[str], per_minute: float, n: int,
                writer_first: bool = True) -> dict[str, Any]:
    """n archive workers (own addresses) + the writer; with writer_first False the writer starts
    only once every job is in the stream (its sustained rate)."""
    db = fresh_db(directory, f"dist{n}{'' if writer_first else '-drain'}", urls)
    env = env_for(wayback.url, per_minute)
    wayback.refused = 0
    wayback.archive.reset_log()
    with RedisServer() as redis:
        client = cluster.connect(redis.url)
        procs = start_workers(redis.url, n, env)
        times: list[float] = []
        writer_thread = None

        def start_writer() -> threading.Thread:
            thread = threading.Thread(target=run_writer, args=(db, redis.url), daemon=True,
                                      kwargs={"exit_when_idle": 1.0, "on_entry": lambda s: times.append(time.monotonic())})
            thread.start()
            return thread

        try:
            wait(lambda: all(client.exists(cluster.alive_key(f"bench-127.0.0.{11 + i}")) for i in range(n)), 120)
            if writer_first:
                writer_thread = start_writer()
            handle = open_database(db)
            cluster.enqueue(handle, client, live=False, archive=True)
            handle.conn.close()
            started = time.monotonic()
            if not writer_first:  # every job published: processing lists and queue empty, stream full
                wait(lambda: client.llen(cluster.ARCHIVE_QUEUE) == 0 and all(
                    client.llen(cluster.processing_key(f"bench-127.0.0.{11 + i}")) == 0 for i in range(n)))
                fill = time.monotonic() - started
                writer_thread = start_writer()
            wait(lambda: client.hlen(cluster.JOBS) == 0)
            assert writer_thread is not None
            writer_thread.join(timeout=60)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
    handle = open_database(db)
    captures = handle.execute("SELECT count(*) FROM captures").fetchone()[0]
    handle.conn.close()
    result = {"workers": n, "captures": captures, "rate": rate(captures, wayback, times), "refused": wayback.refused,
              "entries": len(times)}
    if not writer_first:  # the writer alone: entries drained per second
        result["fill_seconds"] = fill
        result["rate"] = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policies", type=int, default=64)
    parser.add_argument("--snapshots", type=int, default=6)
    parser.add_argument("--per-minute", type=float, default=480.0, help="the fake archive's budget per address")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    if redis_binary() is None:
        sys.exit("redis-server is not installed (apt-get install -y redis-server)")
    with tempfile.TemporaryDirectory() as directory, BudgetWayback(args.per_minute, CDX_PER_MINUTE) as wayback:
        urls = build_archive(wayback, args.policies, args.snapshots)
        total = args.policies * args.snapshots
        single = single_process(directory, wayback, urls, args.per_minute)
        print("single process:", single, flush=True)
        runs = []
        for n in (1, 2, 4):
            runs.append(distributed(directory, wayback, urls, args.per_minute, n))
            print(runs[-1], flush=True)
        drain = distributed(directory, wayback, urls, args.per_minute, 4, writer_first=False)
        print("writer drain:", drain, flush=True)
    one = runs[0]["rate"]
    rows = "\n".join(
        f"| {r['workers']} | {r['captures']} | {r['rate']:.2f} | {r['rate'] / one:.2f} (goal >= {0.9 * r['workers']:.1f}) "
        f"| {r['refused']} |" for r in runs)
    budget = args.per_minute / 60
    section = f"""`python bench/scale_bench.py` (Python {platform.python_version()}, {os.cpu_count()} cores shared with other jobs,
redis-server on loopback; {args.policies} policies x {args.snapshots} distinct archived versions = {total} captures plus
{args.policies} CDX queries). The fake Wayback allows {args.per_minute:.0f} requests a minute per client
address ({budget:.1f}/s) and {CDX_PER_MINUTE:.0f} CDX queries (token buckets holding 10 requests, 429 beyond); each worker sends from its own loopback address
(`--bind-address 127.0.0.1X`) with its budgets set to 95% of that limit. Rates are captures committed per
second from the archive's first request to the last commit (process start-up excluded).

| workers | captures | captures/s | vs 1 worker | 429s |
|---|---|---|---|---|
{rows}

- Writer, sustained: {drain['rate']:.1f} entries/s draining {drain['entries']} stream entries ({total} captures,
  each a new version, plus one "job done" entry per policy) that 4 workers had published beforehand.
  Extraction, segmentation and hashing run on the workers (about 6 ms a capture here); what stays on
  the writer is what needs the database: the diff and materiality judgement against the neighbouring
  versions (about two thirds of its time), the LZMA delta of the body and one transaction per
  capture. So one writer keeps up with about {drain['rate'] / budget:.0f} archive addresses at this budget
  when every capture is a new version; live checks that find no new text cost it far less.
- Overhead: single-process crawl {single['rate']:.2f} captures/s on the same work and budget; one worker +
  writer {one:.2f} captures/s: ratio {one / single['rate'] if single['rate'] else 0:.2f} (goal >= 0.8).
- The archive side scales with addresses because the budget, not CPU, is the bottleneck. Live checks
  are CPU-bound (extraction): on this 2-core machine they cannot scale past 2 workers, so no live
  figure is claimed here; `bench/crawl_bench.py` has the single-process live figures.
"""
    print(section)
    if not args.no_readme:
        write_section("Scale-out", section)


if __name__ == "__main__":
    main()
