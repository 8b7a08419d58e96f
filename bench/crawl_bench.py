"""Crawl benchmark: the live spider vs a sequential loop, and archive requests per version.

1. Live check of 1,000 policies spread over 50 hosts (loopback addresses
   127.0.0.2-51, one threaded server each, 50-150 ms latency per response),
   with policywatch's live spider (subprocess crawl, real ingest) under the
   shipped polite settings and under a fast profile, against a sequential
   ``urllib`` loop over the same URLs in the same run.
2. Archive backfill: policies with many captures but few distinct texts on the
   fake Wayback Machine; content requests per distinct version vs fetching
   every CDX row.
3. Wayback fidelity (issue 10): messy histories as the real archive lists them
   (same-second twins, archived redirects, archived 429/503, revisits, duplicate
   rows, varying ``original``): content requests per distinct stored digest
   (goal 1.00) and digests lost (goal 0), counted from the fake's own rows.

Writes the figures to the "## Crawl" and "## Wayback fidelity" sections of bench/README.md.

    python bench/crawl_bench.py [--hosts 50] [--per-host 20] [--quick] [--fidelity-only]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import urllib.request
from typing import Any
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policywatch.crawler.runner import run_crawl  # noqa: E402
from policywatch.db.connection import open_database  # noqa: E402
from policywatch.db.policies import add_policy  # noqa: E402
from policywatch.testing.histories import messy_history  # noqa: E402
from policywatch.testing.live_site import FakeSiteServer, policy_html  # noqa: E402
from policywatch.testing.wayback import FakeWaybackServer  # noqa: E402
from readme_section import write_section  # noqa: E402

PRACTICES = ["location", "contact", "payment", "usage", "device", "voice", "health", "biometric", "browsing",
             "purchase", "social", "travel"]


class NullSink:
    """Counts captures and stores nothing: isolates crawling from ingest cost."""

    def __init__(self, db: object = None, config_path: str | None = None) -> None:
        self.count = 0

    def put(self, capture: Any) -> Any:
        from policywatch.tracker.ingest import IngestResult

        self.count += 1
        return IngestResult(0, capture.outcome)


def fresh_db(directory: str, name: str) -> str:
    path = os.path.join(directory, f"{name}.db")
    open_database(path, create=True).conn.close()
    return path


def start_hosts(hosts: int, per_host: int, latency: tuple[float, float]) -> tuple[list[FakeSiteServer], list[str]]:
    servers, urls = [], []
    for h in range(hosts):
        server = FakeSiteServer(host=f"127.0.0.{2 + h}").start()
        server.site.latency_range = latency
        for p in range(per_host):
            path = f"/policy/{p}/privacy"
            server.site.policy(path, title=f"Privacy Policy of site {h} product {p}",
                               paragraphs=[f"Site {h} product {p} collects {PRACTICES[p % len(PRACTICES)]} data."])
            urls.append(server.url + path)
        servers.append(server)
    return servers, urls


def track(db_path: str, urls: list[str]) -> None:
    db = open_database(db_path)
    with db.atomic():
        for n, url in enumerate(urls):
            add_policy(db, url, name=f"p{n}")
    db.conn.close()


def env_for(profile: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ, POLICYWATCH_ALLOW_PRIVATE="1", POLICYWATCH_LOG_LEVEL="ERROR")
    env.pop("POLICYWATCH_CONFIG", None)
    if profile == "fast":
        env.update(POLICYWATCH_AUTOTHROTTLE="0", POLICYWATCH_DOWNLOAD_DELAY="0")
    env.update(extra)
    return env


def spider_run(directory: str, name: str, urls: list[str], env: dict[str, str]) -> tuple[float, int]:
    db_path = fresh_db(directory, name)
    track(db_path, urls)
    started = time.perf_counter()
    summary = run_crawl(db_path, live=True, env=env, timeout=1800)
    elapsed = time.perf_counter() - started
    if summary.returncode != 0:
        raise SystemExit(f"crawl {name} failed (exit {summary.returncode})")
    captured = summary.captures
    if env.get("POLICYWATCH_SINK"):
        captured = len(urls)  # NullSink stores nothing; the crawl ran to completion
    return elapsed, captured


def sequential_run(urls: list[str]) -> float:
    started = time.perf_counter()
    for url in urls:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
    return time.perf_counter() - started


def backfill(directory: str, policies: int, captures: int, texts: int) -> dict[str, float]:
    """Policies with ``captures`` archive captures cycling through ``texts`` texts (runs and flips)."""
    with FakeWaybackServer() as server:
        db_path = fresh_db(directory, "backfill")
        db = open_database(db_path)
        rows = 0
        for p in range(policies):
            url = f"https://site{p}.example/privacy"
            add_policy(db, url, name=f"archived{p}")
            for i in range(captures):
                n = (i // 7) % texts if i < captures // 2 else (i // 5) % texts  # runs, then flips back
                clauses = [f"Practice {k}: we collect {PRACTICES[k]} data." for k in range(n + 1)]
                server.archive.add(url, f"20{10 + i // 300:02d}{1 + (i // 25) % 12:02d}{1 + i % 25:02d}000000",
                                   policy_html(f"Privacy Policy {p}", clauses))
            rows += len(server.archive.cdx_rows({"url": [url], "filter": ["statuscode:200"], "collapse": ["digest"]}))
        db.conn.close()
        env = env_for("fast", POLICYWATCH_CDX_PER_MINUTE="600", POLICYWATCH_CAPTURES_PER_SECOND="50",
                      POLICYWATCH_WAYBACK_URL=server.url)
        started = time.perf_counter()
        summary = run_crawl(db_path, archive=True, env=env, timeout=1800)
        elapsed = time.perf_counter() - started
        content, cdx = server.archive.count("content"), server.archive.count("cdx")
        server.archive.reset_log()
        run_crawl(db_path, archive=True, env=env, timeout=1800)
        rerun_content, rerun_cdx = server.archive.count("content"), server.archive.count("cdx")
    db = open_database(db_path)
    versions = db.execute("SELECT count(*) FROM versions WHERE current = 1").fetchone()[0]
    distinct = db.execute("SELECT count(DISTINCT wayback_digest) FROM captures").fetchone()[0]
    texts = db.execute("SELECT count(DISTINCT policy_id || text_sha256) FROM versions WHERE current = 1").fetchone()[0]
    db.conn.close()
    return {"policies": policies, "captures": policies * captures, "cdx_rows": rows, "distinct_digests": distinct,
            "versions": versions, "texts": texts, "content_requests": content, "cdx_requests": cdx, "seconds": elapsed,
            "rerun_content": rerun_content, "rerun_cdx": rerun_cdx, "captures_recorded": summary.captures}


def fidelity(directory: str, policies: int, rows: int, limit: int) -> dict[str, float]:
    """Backfill messy histories; count digests from the fake's rows and from the database."""
    def text_of(p: int) -> object:
        def text(n: int) -> str:
            clauses = [f"Practice {k}: we collect {PRACTICES[k % len(PRACTICES)]} data." for k in range(1 + n % 9)]
            return policy_html(f"Privacy Policy {p} (edition {n})", clauses)
        return text

    with FakeWaybackServer() as server:
        db_path = fresh_db(directory, f"fidelity{limit}")
        db = open_database(db_path)
        servable: set[tuple[int, str]] = set()
        listed = 0
        for p in range(policies):
            url = f"https://site{p}.example/privacy"
            pid = add_policy(db, url, name=f"messy{p}")["id"]
            messy_history(server.archive, url, rows, text_of(p))
            servable |= {(pid, d) for d in server.archive.servable_digests(url)}
            listed += len(server.archive.rows_for(url))
        db.conn.close()
        env = env_for("fast", POLICYWATCH_CDX_PER_MINUTE="600", POLICYWATCH_CAPTURES_PER_SECOND="50",
                      POLICYWATCH_WAYBACK_URL=server.url, POLICYWATCH_CDX_LIMIT=str(limit))
        started = time.perf_counter()
        summary = run_crawl(db_path, archive=True, env=env, timeout=1800)
        elapsed = time.perf_counter() - started
        content, cdx = server.archive.count("content"), server.archive.count("cdx")
        server.archive.reset_log()
        run_crawl(db_path, archive=True, env=env, timeout=1800)
        rerun_content = server.archive.count("content")
    db = open_database(db_path)
    stored = {(r[0], r[1]) for r in db.execute(
        "SELECT policy_id, wayback_digest FROM captures WHERE source = 'wayback' AND "
        "(blob_sha256 IS NOT NULL OR outcome IN ('redirect', 'archived_error'))")}
    mismatches = db.execute("SELECT count(*) FROM captures WHERE outcome = 'digest_mismatch'").fetchone()[0]
    db.conn.close()
    return {"policies": policies, "rows": listed, "servable": len(servable), "stored": len(stored & servable),
            "lost": len(servable - stored), "content": content, "cdx": cdx, "mismatches": mismatches,
            "captures": summary.captures, "pauses": summary.pauses, "seconds": elapsed, "rerun_content": rerun_content,
            "limit": limit}


def fidelity_text(runs: list[dict[str, float]]) -> str:
    first = runs[0]
    lines = [
        f"`python bench/crawl_bench.py --fidelity-only` on {platform.python_implementation()} "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d', time.gmtime())}: {first['policies']} policies, "
        f"{first['rows']} CDX rows in all, each history with same-second twins (some served from another "
        "second, some never), archived redirects (absolute, relative, scheme-relative Locations), archived "
        "429/503 pages, `warc/revisit` rows, exact duplicate rows and varying `original` forms. Servable digests "
        "are counted from the fake archive's own rows (a digest some replay URL actually serves).",
        "",
        "| CDX page size | servable digests | stored | **lost** | content requests | **requests per stored digest** "
        "| ... without probes of twins nobody serves | digest mismatches recorded | CDX requests | throttle pauses "
        "| second run content requests | time (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(f"| {r['limit']} | {r['servable']} | {r['stored']} | **{r['lost']}** | {r['content']} | "
                     f"**{r['content'] / max(1, r['stored']):.2f}** | "
                     f"{(r['content'] - r['mismatches']) / max(1, r['stored']):.2f} | {r['mismatches']} | {r['cdx']} | {r['pauses']} | "
                     f"{r['rerun_content']} | {r['seconds']:.1f} |")
    lines += [
        "",
        "Requests above one per stored digest are probes of a twin's second that answer with the other twin's "
        "body (the archive serves one body per second; which one is only known by asking). A twin digest the "
        "archive serves nowhere is then looked up with one `filter=digest:` CDX query (hence CDX requests above "
        "the page count) and recorded as `digest_mismatch`, never as stored: it is not lost by the crawler, "
        "the archive cannot serve it. Every other digest costs exactly one content request.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--per-host", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="10 hosts x 5 policies, small backfill (smoke run)")
    parser.add_argument("--no-write", action="store_true", help="print, do not update bench/README.md")
    parser.add_argument("--fidelity-only", action="store_true", help="only the Wayback fidelity backfill")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        size = (2, 60) if args.quick else (10, 240)
        runs = [fidelity(directory, *size, limit) for limit in (500, 50)]
    for run in runs:
        print(run, flush=True)
    text = fidelity_text(runs)
    print(text)
    if not args.no_write:
        write_section("Wayback fidelity", text)
    if args.fidelity_only:
        return
    hosts, per_host = (10, 5) if args.quick else (args.hosts, args.per_host)
    latency = (0.05, 0.15)
    with tempfile.TemporaryDirectory() as directory:
        servers, urls = start_hosts(hosts, per_host, latency)
        try:
            results = {}
            for label, env in [
                ("spider, shipped polite settings (2/host, 0.5 s delay, AutoThrottle), real ingest", env_for("polite")),
                ("spider, fast profile (2/host, no delay), real ingest", env_for("fast")),
                ("spider, fast profile, null sink (fetch only)",
                 env_for("fast", POLICYWATCH_SINK="bench.crawl_bench.NullSink")),
            ]:
                results[label] = spider_run(directory, f"live{len(results)}", urls, env)
                print(f"{label}: {results[label][0]:.1f} s, {results[label][1]} captures", flush=True)
            sequential = sequential_run(urls)
            print(f"sequential urllib loop: {sequential:.1f} s", flush=True)
        finally:
            for server in servers:
                server.stop()
        fill = backfill(directory, *((2, 60, 4) if args.quick else (10, 200, 6)))
        print(fill, flush=True)

    lines = [
        f"`python bench/crawl_bench.py` on {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores shared with other jobs, {time.strftime('%Y-%m-%d', time.gmtime())}.",
        "",
        f"### Live check: {len(urls)} policies on {hosts} hosts (127.0.0.2-{1 + hosts}), "
        f"{int(latency[0] * 1000)}-{int(latency[1] * 1000)} ms per response",
        "",
        "| run | time (s) | pages/s | speed-up vs sequential |",
        "|---|---:|---:|---:|",
        f"| sequential `urllib` loop (fetch only) | {sequential:.1f} | {len(urls) / sequential:.1f} | 1.0x |",
    ]
    for label, (elapsed, captured) in results.items():
        lines.append(f"| {label} | {elapsed:.1f} | {captured / elapsed:.1f} | {sequential / elapsed:.1f}x |")
    lines += [
        "",
        "Spider times include the subprocess start (about 1 s) and, for the ingest rows, extraction, "
        "segmentation and the SQLite writes of every capture. The polite profile is bounded by design: "
        "2 requests at a time per host with AutoThrottle delays, so 20 pages per host take several seconds "
        "whatever the bandwidth.",
        "",
        f"### Archive backfill: {fill['policies']} policies x {fill['captures'] // fill['policies']} captures, "
        f"few distinct texts",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| archive captures (CDX rows before collapsing) | {fill['captures']} |",
        f"| CDX rows after `collapse=digest` (adjacent duplicates only) | {fill['cdx_rows']} |",
        f"| distinct digests | {fill['distinct_digests']} |",
        f"| distinct versions (texts) | {fill['texts']} |",
        f"| version rows incl. flips back to an earlier text | {fill['versions']} |",
        f"| CDX requests | {fill['cdx_requests']} |",
        f"| content (`id_`) requests | {fill['content_requests']} |",
        f"| **content requests per distinct version** | **{fill['content_requests'] / max(1, fill['texts']):.2f}** |",
        f"| ... if every capture were fetched | {fill['captures'] / max(1, fill['texts']):.1f} |",
        f"| ... with collapse=digest alone (flips fetched again) | {fill['cdx_rows'] / max(1, fill['texts']):.1f} |",
        f"| backfill time (s, budgets raised to 600 CDX/min, 50 captures/s) | {fill['seconds']:.1f} |",
        f"| second run: CDX / content requests | {fill['rerun_cdx']} / {fill['rerun_content']} |",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("Crawl", text)


if __name__ == "__main__":
    main()
