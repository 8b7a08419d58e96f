"""Distributed archive backfill of messy histories equals the single-process backfill.

Histories as the real archive lists them (``messy_history``: same-second twins, some
served from another second and some never, archived redirects, archived 429/503 pages,
revisits, duplicate rows), plus a policy whose newest capture is an archived move and
one on a site the archive blocks. Two rounds: a full backfill, then (after the archive
gained rows) an incremental one, which needs each job's resume point, collapsed
previous digest, recorded rows, stored digests, former URLs and blocked URLs, all
computed by ``enqueue`` because workers have no database.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import redis as redis_client

from policywatch.crawler import cluster
from policywatch.crawler.runner import run_crawl
from policywatch.db.connection import open_database
from policywatch.db.crawl_state import done_wayback_digests
from policywatch.testing.histories import messy_history
from policywatch.testing.wayback import FakeWaybackServer

from tests.crawler.conftest import add_policy, fast_env, query
from tests.crawler.distributed_world import (
    canonical_rows, diff_tables, finish, needs_redis, policywatch, redis, run, writer_args,
)
from tests.crawler.test_archive_crawl import text

pytestmark = [needs_redis]
MESSY = ("https://policies.example/privacy", "https://shop.example/legal/privacy")
MOVING = "https://moving.example/privacy"
MOVED_TO = "https://moving.example/legal/privacy-notice"
BLOCKED = "https://excluded.example/privacy"


def edition(offset: int):
    return lambda n: text(n % 16).replace("Privacy Policy", f"Privacy Policy (edition {n + offset})")


def build_archive(server: FakeWaybackServer) -> None:
    for i, url in enumerate(MESSY):
        messy_history(server.archive, url, 46, edition(100 * i))
    server.archive.add(MOVING, "20180101000000", text(1))
    server.archive.add(MOVING, "20190101000000", text(2))
    server.archive.add(MOVING, "20200101000000", status=301, redirect_to=MOVED_TO)
    server.archive.add(MOVED_TO, "20200102000000", text(3))
    server.archive.add(BLOCKED, "20200101000000", text(4))
    server.archive.block(BLOCKED)


def grow_archive(server: FakeWaybackServer) -> None:
    """New rows after the first round: the incremental round starts from each resume point."""
    for i, url in enumerate(MESSY):
        messy_history(server.archive, url, 20, edition(100 * i + 50), start="20170101000000")
    server.archive.add(MOVED_TO, "20210101000000", text(5))


def requests(server: FakeWaybackServer, run_start: str) -> Counter[tuple[str, str]]:
    """What the archive was asked; a former URL's ``to`` (when the move was recorded) is the run's."""
    cutoff = "".join(ch for ch in run_start if ch.isdigit())
    with server.archive.lock:
        return Counter((r.kind, re.sub(r"to=(\d{14})", lambda m: "to=<run>" if m.group(1) >= cutoff else m.group(0),
                                       r.path)) for r in server.archive.log)


def fresh_db(tmp_path: Path, name: str) -> str:
    path = str(tmp_path / f"{name}.db")
    open_database(path, create=True).conn.close()
    for n, url in enumerate((*MESSY, MOVING, BLOCKED)):
        add_policy(path, url, f"p{n}")
    return path


def distributed_round(db: str, redis_url: str, env: dict[str, str]) -> str:
    out = run(db, "enqueue", "--redis", redis_url, "--archive", "--archive-every", "0", env=env)
    procs = [policywatch(db, "worker", "--redis", redis_url, "--archive", "--exit-when-idle", "3",
                         "--name", name, env=env) for name in ("archive-a", "archive-b")]
    procs.append(policywatch(db, *writer_args(redis_url), env=env))
    return out + finish(procs)[-1]


def test_messy_histories_backfill_the_same_in_distributed_mode(tmp_path: Path) -> None:
    run_start = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with FakeWaybackServer() as server, redis() as r:
        build_archive(server)
        env = fast_env(server.url, POLICYWATCH_CDX_LIMIT="9", POLICYWATCH_ARCHIVE_CONCURRENCY="3",
                       POLICYWATCH_HEARTBEAT_TTL="3", POLICYWATCH_CDX_CHAINS="2")
        single, dist = fresh_db(tmp_path, "single"), fresh_db(tmp_path, "dist")
        client = redis_client.Redis.from_url(r.url)
        for round_ in (1, 2):
            if round_ == 2:
                grow_archive(server)
            server.archive.reset_log()
            assert run_crawl(single, archive=True, env=env, timeout=180).returncode == 0
            asked_single = requests(server, run_start)
            server.archive.reset_log()
            out = distributed_round(dist, r.url, env)
            # The same CDX queries and replays: each job started where the single crawl did.
            assert requests(server, run_start) == asked_single, f"round {round_}"
            assert "3 archive backfills" in out if round_ == 2 else "4 archive backfills" in out, out
            assert " 0 already stored" in out, out  # no row answered twice: the job knew the recorded rows
            problems = diff_tables(canonical_rows(single, run_start), canonical_rows(dist, run_start))
            assert not problems, f"round {round_}:\n" + "\n".join(problems)
            assert client.hlen(cluster.JOBS) == 0 and client.xlen(cluster.STREAM) == 0

        outcomes = {row["outcome"] for row in query(dist, "SELECT DISTINCT outcome FROM captures")}
        assert {"ok", "redirect", "archived_error", "digest_mismatch", "blocked_by_archive"} <= outcomes
        moves = query(dist, "SELECT old_url, new_url FROM policy_moves")
        assert [(m["old_url"], m["new_url"]) for m in moves] == [(MOVING, MOVED_TO)]
        assert query(dist, "SELECT count(*) AS n FROM captures WHERE url = ?", [MOVED_TO])[0]["n"] == 2
        db = open_database(dist)
        try:  # every digest the archive can serve is stored, each once
            for pid, url in enumerate(MESSY, start=1):
                assert server.archive.servable_digests(url) <= done_wayback_digests(db, pid)
        finally:
            db.conn.close()
        twice = query(dist, "SELECT wayback_digest, count(*) AS n FROM captures WHERE source = 'wayback' "
                            "AND blob_sha256 IS NOT NULL GROUP BY policy_id, capture_time, wayback_digest HAVING n > 1")
        assert twice == []
