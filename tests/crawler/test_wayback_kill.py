"""kill -9 at random moments of a messy backfill: the resumed database equals an uninterrupted one."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import time

import pytest

from policywatch.crawler.runner import child_env, crawl_command, run_crawl
from policywatch.testing.histories import messy_history
from policywatch.testing.wayback import FakeWaybackServer
from tests.crawler.conftest import add_policy, fast_env, query
from tests.crawler.test_archive_crawl import db_state, text

pytestmark = [pytest.mark.network, pytest.mark.slow, pytest.mark.timeout(600)]
URL = "https://policies.example/privacy"
TRIALS = 10


def distinct(n: int) -> str:
    return text(n % 16).replace("Privacy Policy", f"Privacy Policy (edition {n})")


def fresh_db(path: str) -> str:
    from policywatch.db.connection import open_database

    open_database(path, create=True).conn.close()
    add_policy(path, URL, "example")
    return path


def count(path: str) -> int:
    try:
        return query(path, "SELECT count(*) AS n FROM captures")[0]["n"]
    except Exception:  # the database is being created or locked for a moment
        return 0


def test_kill_9_at_random_moments_resumes_to_the_same_database(tmp_path) -> None:
    rng = random.Random(10)
    with FakeWaybackServer() as server:
        messy_history(server.archive, URL, 46, distinct)  # twins, redirects, archived 429/503, revisits
        env = fast_env(server.url, POLICYWATCH_CDX_LIMIT="9", POLICYWATCH_ARCHIVE_CONCURRENCY="3")
        clean = fresh_db(str(tmp_path / "clean.db"))
        assert run_crawl(clean, archive=True, env=env, timeout=120).returncode == 0
        expected = db_state(clean)
        total = len(expected["captures"])
        assert {"redirect", "archived_error", "digest_mismatch", "ok"} <= {c["outcome"] for c in expected["captures"]}
        partial = 0
        for trial in range(TRIALS):
            path = fresh_db(str(tmp_path / f"killed{trial}.db"))
            server.archive.latency = 0.03
            proc = subprocess.Popen(crawl_command(path, archive=True), env=child_env(env), cwd=os.getcwd(),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            target = rng.randint(1, total - 1)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None and count(path) < target:
                time.sleep(rng.uniform(0.005, 0.05))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            partial += int(0 < count(path) < total)
            server.archive.latency = 0
            assert run_crawl(path, archive=True, env=env, timeout=120).returncode == 0
            got = db_state(path)
            for part in ("captures", "versions", "changes"):
                missing = [r for r in expected[part] if r not in got[part]]
                extra = [r for r in got[part] if r not in expected[part]]
                assert not missing and not extra, f"trial {trial} ({target} captures): {part} {missing} {extra}"
        assert partial >= TRIALS // 2  # most kills really landed mid-backfill
