"""``python -m crawler.run``: one crawl in this process (the CLI runs it as a subprocess).

Scrapy's reactor cannot be restarted, so every crawl gets a fresh process.
Live and archive spiders run side by side in one CrawlerProcess (they share
the archive budget and the circuit breaker). The last stdout line is a JSON
summary (``{"event": "summary", ...}``); with ``--progress`` each capture is
also a JSON line before it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m crawler.run", description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--live", action="store_true")
    parser.add_argument("--archive", action="store_true")
    parser.add_argument("--discover", metavar="URL", help="discover the policy of this site instead")
    parser.add_argument("--at", help="with --discover: the archived home page at this date")
    parser.add_argument("--name", help="with --discover: the new policy's name")
    parser.add_argument("--since")
    parser.add_argument("--until")
    parser.add_argument("--policies", help="comma-separated policy ids")
    parser.add_argument("--shard", type=int, default=0)
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--config")
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--jobdir", help="Scrapy JOBDIR (pause/resume of the request queue)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    return parser.parse_args(argv)


def build_settings(args: argparse.Namespace) -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "policywatch.crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.set("POLICYWATCH_DB", str(Path(args.db).resolve()), priority="cmdline")
    if args.config:
        settings.set("POLICYWATCH_CONFIG", args.config, priority="cmdline")
    settings.set("POLICYWATCH_SAVE", "1" if args.save else settings.get("POLICYWATCH_SAVE"), priority="cmdline")
    if args.progress:
        settings.set("POLICYWATCH_PROGRESS", "1", priority="cmdline")
    if args.jobdir:
        settings.set("JOBDIR", args.jobdir, priority="cmdline")
    for pair in args.set:
        name, _, value = pair.partition("=")
        settings.set(name, value, priority="cmdline")
    return settings


def summarize(crawlers: list[Any]) -> dict[str, Any]:
    """Merge the ``policywatch/*`` stats of every crawler into the summary record."""
    outcomes: dict[str, int] = {}
    totals = {"new_versions": 0, "changes": 0, "alerts": 0, "moves": 0, "discovered": 0, "pauses": 0,
              "duplicates": 0, "cdx_failures": 0, "no_archived_text": 0, "not_archived": 0, "blocked_known": 0,
              "digest_mismatches": 0, "requests": 0, "responses": 0}
    finish = []
    unreachable = None
    for crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        for key, value in stats.items():
            if key.startswith("policywatch/captures/"):
                outcome = key.rsplit("/", 1)[1]
                outcomes[outcome] = outcomes.get(outcome, 0) + int(value)
            elif key.startswith("policywatch/pauses/"):
                totals["pauses"] += int(value)
            elif key.startswith("policywatch/") and key.split("/", 1)[1] in totals:
                totals[key.split("/", 1)[1]] += int(value)
        totals["requests"] += int(stats.get("downloader/request_count", 0))
        totals["responses"] += int(stats.get("downloader/response_count", 0))
        unreachable = unreachable or stats.get("policywatch/unreachable")
        unreachable = unreachable or (stats.get("policywatch/last_network_error") and
                                      f"last error: {stats['policywatch/last_network_error']}")
        finish.append(stats.get("finish_reason", "unknown"))
    return {"event": "summary", "outcomes": outcomes, **totals, "finish_reasons": finish,
            "unreachable": unreachable if totals["requests"] and not totals["responses"] else None}


def main(argv: list[str] | None = None) -> int:
    from policywatch.crawler.runner import die_with_parent

    die_with_parent()  # never outlive the `policywatch crawl/run` that started us
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    settings = build_settings(args)
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(settings)
    common = {"shard": args.shard, "shards": args.shards}
    if args.policies:
        common["policies"] = args.policies
    crawlers = []
    if args.discover:
        jobs = [("discover", {"url": args.discover, "at": args.at, "policy_name": args.name})]
    else:
        live, archive = (args.live, args.archive) if (args.live or args.archive) else (True, True)
        jobs = []
        if archive:
            jobs.append(("wayback", {**common, "since": args.since, "until": args.until}))
        if live:
            jobs.append(("live", dict(common)))
    for name, kwargs in jobs:
        crawler = process.create_crawler(name)
        crawlers.append(crawler)
        process.crawl(crawler, **{k: v for k, v in kwargs.items() if v is not None})
    process.start()
    summary = summarize(crawlers)
    sys.stdout.write(json.dumps(summary, sort_keys=True) + "\n")
    sys.stdout.flush()
    if summary["unreachable"]:
        return 69  # EX_UNAVAILABLE: requests were sent and none was answered
    return 0 if all(r == "finished" for r in summary["finish_reasons"]) else 1


if __name__ == "__main__":
    sys.exit(main())
