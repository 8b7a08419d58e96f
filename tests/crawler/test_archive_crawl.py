"""Archive backfills in subprocess crawls against the fake Wayback Machine."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from policywatch.crawler.runner import child_env, crawl_command, run_crawl
from tests.crawler.conftest import add_policy, fast_env, query
from policywatch.testing.live_site import policy_html
from policywatch.testing.wayback import FakeWaybackServer

pytestmark = [pytest.mark.network, pytest.mark.slow, pytest.mark.timeout(120)]
URL = "https://policies.example/privacy"


def text(n: int) -> str:
    """Distinct policy texts: version n adds one practice clause."""
    clauses = [f"Practice {i}: we collect {w} data to operate the service and share it only with processors."
               for i, w in zip(range(n + 1), ["location", "contact", "payment", "usage", "device", "voice",
                                              "health", "biometric", "browsing", "purchase", "social", "travel",
                                              "school", "employment", "vehicle", "energy"])]
    return policy_html("Privacy Policy", clauses)


def stamp(i: int) -> str:
    return f"2020{1 + i // 28:02d}{1 + i % 28:02d}120000"


def load_history(server: FakeWaybackServer, digests: list[int]) -> None:
    """One capture per entry; entry k is the text number of capture k."""
    for i, n in enumerate(digests):
        server.archive.add(URL, stamp(i), text(n))


def db_state(db_path: str) -> dict[str, object]:
    """What must be identical between an interrupted+resumed and an uninterrupted crawl."""
    versions = query(db_path, "SELECT capture_time, text_sha256, current, flip_of IS NOT NULL AS flip FROM versions")
    changes = query(db_path, """SELECT fv.capture_time AS f, tv.capture_time AS t, c.superseded, c.material, c.severity
                                FROM changes c JOIN versions fv ON fv.id = c.from_version_id
                                JOIN versions tv ON tv.id = c.to_version_id""")
    captures = query(db_path, """SELECT source, url, capture_time, outcome, blob_sha256, wayback_digest, version_id IS NOT NULL AS v
                                 FROM captures""")
    key = lambda r: tuple(str(v) for v in r.values())  # noqa: E731
    return {"versions": sorted(versions, key=key), "changes": sorted(changes, key=key),
            "captures": sorted(captures, key=key)}


def test_backfill_fetches_each_digest_once_in_capture_order(wayback, db_path) -> None:
    # 24 captures, 5 distinct texts, with runs and flips back (collapse=digest only drops adjacent ones)
    history = [0, 0, 0, 1, 1, 0, 0, 2, 2, 2, 1, 3, 3, 3, 3, 4, 4, 4, 2, 2, 4, 4, 4, 4]
    load_history(wayback, history)
    add_policy(db_path, URL, "example")
    summary = run_crawl(db_path, archive=True, env=fast_env(wayback.url, POLICYWATCH_CDX_LIMIT="4"), timeout=90)
    assert summary.returncode == 0
    assert wayback.archive.count("content") == 5  # exactly one request per distinct digest
    collapsed = [n for i, n in enumerate(history) if i == 0 or history[i - 1] != n]
    # every row is listed (twins hide behind collapse=digest); each page starts again at the
    # previous page's last second, so a twin of that second is never skipped
    assert wayback.archive.count("cdx") == 1 + -(-(len(history) - 4) // 3)
    captures = query(db_path, "SELECT capture_time, outcome FROM captures WHERE source = 'wayback' ORDER BY id")
    assert [c["capture_time"] for c in captures] == sorted(c["capture_time"] for c in captures)  # ingest order
    assert len(captures) == len(collapsed) and {c["outcome"] for c in captures} == {"ok"}
    versions = query(db_path, "SELECT id, capture_time FROM versions WHERE current = 1 ORDER BY id")
    assert [v["capture_time"] for v in versions] == sorted(v["capture_time"] for v in versions)
    assert summary.new_versions == len(versions) >= 5
    assert summary.alerts == 0  # a first backfill never alerts

    # second run: incremental CDX query from the last capture, nothing downloaded
    wayback.archive.reset_log()
    again = run_crawl(db_path, archive=True, env=fast_env(wayback.url), timeout=90)
    assert wayback.archive.count("content") == 0
    assert wayback.archive.count("cdx") == 1
    assert f"from={stamp(len(history) - 4)}" in wayback.archive.log[0].path
    assert again.new_versions == 0 and sum(again.outcomes.values()) == 0

    # new captures appear in the archive: only they are fetched
    wayback.archive.add(URL, "20211201120000", text(5))
    wayback.archive.add(URL, "20211202120000", text(4))  # back to a known text: no download
    wayback.archive.reset_log()
    third = run_crawl(db_path, archive=True, env=fast_env(wayback.url), timeout=90)
    assert wayback.archive.count("content") == 1
    assert third.new_versions >= 1


def test_since_and_until_bound_the_query(wayback, db_path) -> None:
    load_history(wayback, [0, 1, 2, 3, 4, 5])
    add_policy(db_path, URL, "example")
    run_crawl(db_path, archive=True, since="20200102", until="20200104", env=fast_env(wayback.url), timeout=90)
    cdx = wayback.archive.log[0].path
    assert "from=20200102" in cdx and "to=20200104" in cdx
    times = [r["capture_time"] for r in query(db_path, "SELECT capture_time FROM captures ORDER BY capture_time")]
    assert times == ["2020-01-02T12:00:00Z", "2020-01-03T12:00:00Z", "2020-01-04T12:00:00Z"]


def test_429_pauses_all_archive_traffic_and_bursts_lose_nothing(wayback, db_path) -> None:
    load_history(wayback, list(range(12)))
    add_policy(db_path, URL, "example")
    add_policy(db_path, "https://other.example/privacy", "other")
    for i in range(4):
        wayback.archive.add("https://other.example/privacy", f"2021010{i + 1}000000", text(i))
    wayback.archive.fail("cdx", 503, count=2)                       # a 503 burst on the index
    wayback.archive.fail("content", 429, count=1, retry_after="2", after=3)
    wayback.archive.fail("content", 503, count=3, after=6)          # a 503 burst on captures
    # small CDX pages keep index queries going while captures download
    env = fast_env(wayback.url, POLICYWATCH_CDX_LIMIT="3", POLICYWATCH_CDX_PER_MINUTE="300")
    summary = run_crawl(db_path, archive=True, env=env, timeout=90)
    assert summary.returncode == 0
    ok = query(db_path, "SELECT count(*) AS n FROM captures WHERE outcome = 'ok'")[0]["n"]
    assert ok == 16  # nothing lost
    assert summary.pauses >= 1
    log = wayback.archive.log
    (hit,) = [r for r in log if r.status == 429]
    # Only lower bounds on gaps in the server's request log (a busy machine only makes them
    # longer; requests already in flight when the 429 came may still land right after it):
    # the refused replay was retried no sooner than its Retry-After (2 s), and before that retry
    # the archive saw a quiet second with no request of ANY kind (index queries, paced 0.2 s
    # apart while they run, paused too).
    retry = next(r for r in log if r.at > hit.at and r.path == hit.path)
    assert retry.at - hit.at >= 1.9, f"the refused replay was retried {retry.at - hit.at:.2f} s after the 429"
    times = sorted(r.at for r in log if hit.at <= r.at <= retry.at)
    longest = max(b - a for a, b in zip(times, times[1:]))
    assert longest >= 1.0, f"archive requests during the pause: {[r for r in log if hit.at < r.at < retry.at]}"


def test_killed_crawl_resumes_to_the_same_database(tmp_path) -> None:
    from policywatch.db.connection import open_database

    history = [0, 1, 1, 2, 3, 2, 4, 5, 6, 6, 7, 8, 9, 3, 10, 11]
    paths = {}
    for label in ("killed", "clean"):
        paths[label] = str(tmp_path / f"{label}.db")
        open_database(paths[label], create=True).conn.close()
        add_policy(paths[label], URL, "example")
    with FakeWaybackServer() as server:
        load_history(server, history)
        server.archive.latency = 0.15
        env = fast_env(server.url, POLICYWATCH_ARCHIVE_CONCURRENCY="3")
        cmd = crawl_command(paths["killed"], archive=True)
        proc = subprocess.Popen(cmd, env=child_env(env), cwd=os.getcwd(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if query(paths["killed"], "SELECT count(*) AS n FROM captures")[0]["n"] >= 4:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        partial = query(paths["killed"], "SELECT count(*) AS n FROM captures")[0]["n"]
        assert 4 <= partial < len(history)
        server.archive.latency = 0
        assert run_crawl(paths["killed"], archive=True, env=env, timeout=90).returncode == 0
        assert run_crawl(paths["clean"], archive=True, env=env, timeout=90).returncode == 0
    assert db_state(paths["killed"]) == db_state(paths["clean"])


def test_slow_index_budget_does_not_starve_replays(wayback, db_path) -> None:
    urls = [f"https://site{n}.example/privacy" for n in range(5)]
    for n, url in enumerate(urls):
        add_policy(db_path, url, f"p{n}")
        for i in range(2):
            wayback.archive.add(url, f"2020010{i + 1}000000", text(n + i))
    env = fast_env(wayback.url, POLICYWATCH_CDX_PER_MINUTE="150")  # 0.4 s between index queries
    assert run_crawl(db_path, archive=True, env=env, timeout=90).returncode == 0
    log = wayback.archive.log
    cdx_times = [r.at for r in log if r.kind == "cdx"]
    content_times = [r.at for r in log if r.kind == "content"]
    assert len(cdx_times) == 5 and len(content_times) == 10
    assert cdx_times[-1] - cdx_times[0] >= 4 * 0.4 - 0.05  # the index budget was honoured
    assert min(content_times) < cdx_times[-1]  # replays ran while index queries waited for budget


def test_history_under_a_former_url_is_backfilled(wayback, db_path) -> None:
    from policywatch.db.connection import open_database
    from policywatch.db.policies import record_move

    old, new = "https://policies.example/privacy", "https://policies.example/legal/privacy-notice"
    for i in range(3):
        wayback.archive.add(old, f"2019010{i + 1}000000", text(i))
    for i in range(2):
        wayback.archive.add(new, f"2021010{i + 1}000000", text(3 + i))
    pid = add_policy(db_path, old, "example")
    db = open_database(db_path)
    record_move(db, pid, old, new, "rediscovered")
    db.conn.close()
    assert run_crawl(db_path, archive=True, env=fast_env(wayback.url), timeout=90).returncode == 0
    rows = query(db_path, "SELECT url, capture_time FROM captures ORDER BY capture_time")
    assert [r["url"] for r in rows] == [old] * 3 + [new] * 2
    assert wayback.archive.count("content") == 5
    cdx = [r.path for r in wayback.archive.log if r.kind == "cdx"]
    assert any("legal%2Fprivacy-notice" in p for p in cdx) and any("to=" in p for p in cdx)
    versions = query(db_path, "SELECT capture_time FROM versions WHERE current = 1 ORDER BY capture_time")
    assert len(versions) == 5

    wayback.archive.reset_log()
    assert run_crawl(db_path, archive=True, env=fast_env(wayback.url), timeout=90).returncode == 0
    assert wayback.archive.count("content") == 0 and wayback.archive.count("cdx") == 2
    resumed = sorted(r.path for r in wayback.archive.log)
    assert "from=20190103000000" in resumed[0] + resumed[1] and "from=20210102000000" in resumed[0] + resumed[1]
