"""Kill -9 a worker, and separately the writer, in the middle of a distributed run (several trials).

After a restart the run completes, and the database equals a single-process
crawl of the same sites: nothing lost, nothing duplicated.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pytest
import redis as redis_client

from policywatch.crawler import cluster
from policywatch.crawler.runner import run_crawl

from tests.crawler.conftest import query
from tests.crawler.distributed_world import (
    canonical_rows, diff_tables, finish, needs_redis, policywatch, redis, run, world, worker_args, writer_args,
)
from tests.crawler.test_distributed import fresh_db

pytestmark = [needs_redis, pytest.mark.slow]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def kill9(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("victim", ["live worker", "archive worker", "writer", "writer again"])
def test_kill_9_mid_run_loses_and_duplicates_nothing(tmp_path: Path, victim: str) -> None:
    run_start = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with world(latency=0.5) as w, redis() as r:
        w.wayback.archive.latency = 0.1
        single, dist = fresh_db(tmp_path, "single"), fresh_db(tmp_path, "dist")
        w.add_policies(single)
        w.add_policies(dist)
        assert run_crawl(single, env=w.env(), timeout=120).returncode == 0
        env = w.env(POLICYWATCH_CAPTURES_PER_SECOND="8", POLICYWATCH_CONCURRENT_PER_HOST="1")
        run(dist, "enqueue", "--redis", r.url, "--shards", "2", env=env)
        client = redis_client.Redis.from_url(r.url)
        roles = {"live worker": "0/2", "archive worker": "archive"}
        procs = {role: policywatch(dist, *worker_args(r.url, role), env=env) for role in ("0/2", "1/2", "archive")}
        procs["writer"] = policywatch(dist, *writer_args(r.url), env=env)

        if victim in roles:
            name = f"w-{roles[victim]}"
            # Mid-run: the worker holds unfinished jobs and has published part of its work.
            wait_for(lambda: client.llen(cluster.processing_key(name)) > 0 and client.xlen(cluster.STREAM) > 0
                     or client.llen(cluster.processing_key(name)) > 0
                     and len(query(dist, "SELECT 1 FROM captures")) > 0, f"{name} to be busy")
            kill9(procs[roles[victim]])
            procs[roles[victim]] = policywatch(dist, *worker_args(r.url, roles[victim]), env=env)
        else:
            # Mid-run: some captures committed, more delivered or waiting in the stream.
            wait_for(lambda: len(query(dist, "SELECT 1 FROM captures")) >= 5, "the writer to commit captures")
            kill9(procs["writer"])
            assert client.xlen(cluster.STREAM) > 0 or client.hlen(cluster.JOBS) > 0
            procs["writer"] = policywatch(dist, *writer_args(r.url), env=env)
        finish(list(procs.values()))

        problems = diff_tables(canonical_rows(single, run_start), canonical_rows(dist, run_start))
        assert not problems, "\n".join(problems)
        twins = query(dist, "SELECT policy_id, source, url, capture_time, count(*) AS n FROM captures "
                            "WHERE source = 'wayback' GROUP BY 1, 2, 3, 4 HAVING n > 1")
        assert twins == []
        live = query(dist, "SELECT policy_id, count(*) AS n FROM captures WHERE source = 'live' GROUP BY 1")
        assert [row["n"] for row in live] == [1] * 12
        assert client.hlen(cluster.JOBS) == 0 and client.xlen(cluster.STREAM) == 0
