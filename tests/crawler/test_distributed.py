"""Distributed mode on one machine: Redis, 3 fake sites, a fake Wayback, 3 workers and the writer.

Every policy gets exactly the captures a single-process crawl gets, the database
equals the single-process one row for row, and no host ever sees more requests
at once than the per-host limit.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from policywatch.crawler.runner import run_crawl
from policywatch.db.connection import open_database

from tests.crawler.conftest import query
from tests.crawler.distributed_world import (
    PER_HOST_LIMIT, canonical_rows, diff_tables, finish, needs_redis, policywatch, redis, run, world, worker_args,
    writer_args,
)

pytestmark = [needs_redis]


def fresh_db(tmp_path: Path, name: str) -> str:
    path = str(tmp_path / f"{name}.db")
    open_database(path, create=True).conn.close()
    return path


def test_three_workers_and_a_writer_match_a_single_process_crawl(tmp_path: Path) -> None:
    run_start = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with world() as w, redis() as r:
        single, dist = fresh_db(tmp_path, "single"), fresh_db(tmp_path, "dist")
        assert w.add_policies(single) == w.add_policies(dist)
        summary = run_crawl(single, env=w.env(), timeout=120)
        assert summary.returncode == 0, summary
        assert max(site.site.peak_in_flight for site in w.sites) <= PER_HOST_LIMIT  # one process keeps it too
        for site in w.sites:
            site.site.peak_in_flight, site.site.peak_requests = 0, []

        env = w.env()
        out = run(dist, "enqueue", "--redis", r.url, "--shards", "2", env=env)
        assert "queued 12 live checks over 2 shards and 12 archive backfills" in out
        again = run(dist, "enqueue", "--redis", r.url, env=env)
        assert "queued 0 live checks" in again and "0 archive backfills; 24 already queued" in again

        procs = [policywatch(dist, *worker_args(r.url, role), env=env) for role in ("0/2", "1/2", "archive")]
        procs.append(policywatch(dist, *writer_args(r.url), env=env))
        outputs = finish(procs)

        problems = diff_tables(canonical_rows(single, run_start), canonical_rows(dist, run_start))
        assert not problems, "\n".join(problems)
        per_policy = query(dist, "SELECT policy_id, source, count(*) AS n FROM captures GROUP BY 1, 2")
        assert sorted((r["source"], r["n"]) for r in per_policy) == [("live", 1)] * 12 + [("wayback", 3)] * 12
        assert max(site.site.peak_in_flight for site in w.sites) <= PER_HOST_LIMIT, (
            [(site.site.peak_in_flight, [r[:2] for r in site.site.peak_requests]) for site in w.sites],
            [line for out in outputs for line in out.splitlines() if "retry" in line.lower()])
        assert min(site.site.peak_in_flight for site in w.sites) >= 1

        # Done work is not queued again: live checks are recent in the database, backfills finished.
        after = run(dist, "enqueue", "--redis", r.url, env=env)
        assert "queued 0 live checks" in after and "0 archive backfills" in after and "24 not due" in after
        status = json.loads(run(dist, "workers", "status", "--redis", r.url, "--format", "json", env=env))
        assert status["jobs"] == 0 and status["pending"] == 0 and status["stream_length"] == 0
        assert sum(status["queues"].values()) == 0
        assert {w["name"] for w in status["workers"]} == {"w-0/2", "w-1/2", "w-archive"}
