"""Backfills against the stricter fake archive (issue 10): each numbered point of the issue.

Every history here has what the real Internet Archive sends: varying ``original``
forms, exact duplicate rows, same-second twins, revisits, archived redirects with
the three Location forms, archived 429s, error pages, blocked sites.
"""
from __future__ import annotations

import pytest

from policywatch.crawler.runner import run_crawl
from policywatch.testing.wayback import FakeWaybackServer
from tests.crawler.conftest import add_policy, fast_env, query
from tests.crawler.test_archive_crawl import text

pytestmark = [pytest.mark.network, pytest.mark.slow, pytest.mark.timeout(180)]
URL = "https://www.policies.example/privacy"
FORMS = [URL, "http://policies.example/privacy", "http://www.policies.example:80/privacy/",
         "https://policies.example/privacy?"]


def twins_history(server: FakeWaybackServer) -> set[str]:
    """Twins, duplicates, revisits, a latin-1 page and a BOM; returns the digests replay can serve."""
    archive = server.archive
    a = archive.add(FORMS[0], "20200101120000", text(0))
    archive.add(FORMS[1], "20200101120000", text(1))           # twin of A: only served from 2020-03
    archive.add(FORMS[2], "20200201120000", text(2))
    archive.add(FORMS[2], "20200201120000", text(2))           # an exact duplicate row
    archive.add(FORMS[3], "20200301120000", text(1))
    archive.add(FORMS[0], "20200401120000", text(3))
    archive.add(FORMS[1], "20200401120000", text(4))           # twin nobody serves: a digest mismatch
    archive.add_revisit(FORMS[2], "20200501120000", of=a)      # warc/revisit of A, status "-"
    latin = text(5).replace("Privacy Policy", "Politique de confidentialité").encode("latin-1", "replace")
    archive.add(FORMS[3], "20200601120000", latin, content_type="text/html")  # latin-1, no charset
    archive.add(FORMS[0], "20200701120000", "\ufeff" + text(6), content_type="text/html; charset=utf-8")
    archive.add(FORMS[1], "20200701120000", text(7))           # twin, served again later
    archive.add(FORMS[0], "20200801120000", text(7))
    return archive.servable_digests(URL)


def stored_digests(db_path: str) -> set[str]:
    rows = query(db_path, "SELECT DISTINCT wayback_digest AS d FROM captures WHERE source = 'wayback' "
                          "AND blob_sha256 IS NOT NULL")
    return {r["d"] for r in rows}


@pytest.mark.parametrize("limit", ["3", "500"])
def test_twins_lose_no_version_and_a_second_run_fetches_nothing(wayback, db_path, limit) -> None:
    servable = twins_history(wayback)
    add_policy(db_path, URL, "example")
    env = fast_env(wayback.url, POLICYWATCH_CDX_LIMIT=limit)
    summary = run_crawl(db_path, archive=True, env=env, timeout=120)
    assert summary.returncode == 0
    assert stored_digests(db_path) == servable  # every digest the archive can serve, counted from its rows
    assert wayback.archive.count("content") == len(servable)  # one content request per stored digest
    mismatch = query(db_path, "SELECT capture_time, detail, blob_sha256 FROM captures WHERE outcome = 'digest_mismatch'")
    assert [m["capture_time"] for m in mismatch] == ["2020-04-01T12:00:00Z"] and mismatch[0]["blob_sha256"] is None
    revisit = query(db_path, "SELECT outcome, blob_sha256 IS NOT NULL AS body FROM captures "
                             "WHERE capture_time = '2020-05-01T12:00:00Z'")
    assert revisit == [{"outcome": "ok", "body": 1}]  # the revisit resolved to A's stored body
    urls = {r["url"] for r in query(db_path, "SELECT DISTINCT url FROM captures")}
    assert urls == {URL}  # varying `original` forms are one page
    clauses = [r["text"] for r in query(db_path, "SELECT text FROM clause_texts")]
    assert any("confidentialité" in c for c in clauses)  # latin-1 without a charset read right
    assert not any("Ã" in c or "\ufeff" in c for c in clauses)  # no mojibake, no BOM in the text
    times = [r["capture_time"] for r in query(db_path, "SELECT capture_time FROM captures ORDER BY id")]
    assert times == sorted(times) and len(times) == len(set(times)) + 3  # twins at three seconds

    wayback.archive.reset_log()
    again = run_crawl(db_path, archive=True, env=env, timeout=120)
    assert again.returncode == 0 and wayback.archive.count("content") == 0
    assert sum(again.outcomes.values()) == 0


def test_archived_429_is_content_recorded_once_not_throttling(wayback, db_path) -> None:
    wayback.archive.add(URL, "20200101000000", text(0))
    wayback.archive.add(URL, "20200201000000", "<html><h1>Too Many Requests</h1></html>", status=429)
    wayback.archive.add(URL, "20200301000000", "<html>Service Unavailable</html>", status=503)
    wayback.archive.add(URL, "20200401000000", text(1))
    add_policy(db_path, URL, "example")
    env = fast_env(wayback.url, POLICYWATCH_ARCHIVE_429_PAUSE="30")
    summary = run_crawl(db_path, archive=True, env=env, timeout=120)
    assert summary.returncode == 0 and summary.pauses == 0  # the archive never throttled us
    rows = query(db_path, "SELECT capture_time, outcome, http_status FROM captures ORDER BY capture_time")
    assert [(r["outcome"], r["http_status"]) for r in rows] == [("ok", 200), ("archived_error", 429),
                                                                ("archived_error", 503), ("ok", 200)]
    assert wayback.archive.count("content") == 4  # no retries of archived errors
    wayback.archive.reset_log()
    assert run_crawl(db_path, archive=True, env=env, timeout=120).returncode == 0
    assert wayback.archive.count("content") == 0
    assert "from=20200401000000" in wayback.archive.log[0].path  # the 429 does not pin the resume point


def test_resume_point_is_the_cdx_row_time_not_the_redirect_target(wayback, db_path) -> None:
    new = "https://policies.example/legal/privacy"
    wayback.archive.add(URL, "20200101000000", status=301, redirect_to=new, location="relative")
    for month in range(2, 6):
        wayback.archive.add(URL, f"2020{month:02d}01000000", text(month))
    wayback.archive.add(new, "20200901000000", text(9))  # where the archived redirect's navigation lands
    add_policy(db_path, URL, "example")
    env = fast_env(wayback.url)
    assert run_crawl(db_path, archive=True, until="20200101", env=env, timeout=120).returncode == 0
    (first,) = query(db_path, "SELECT capture_time, outcome, final_url FROM captures")
    assert first == {"capture_time": "2020-01-01T00:00:00Z", "outcome": "redirect", "final_url": new}
    wayback.archive.reset_log()
    assert run_crawl(db_path, archive=True, env=env, timeout=120).returncode == 0
    assert "from=20200101000000" in wayback.archive.log[0].path
    times = [r["capture_time"] for r in query(db_path, "SELECT capture_time FROM captures ORDER BY capture_time")]
    assert times == [f"2020-{m:02d}-01T00:00:00Z" for m in range(1, 6)]


def test_redirect_only_history_records_redirects_and_offers_the_move(wayback, db_path) -> None:
    new = "https://policies.example/legal/privacy-notice"
    for i, style in enumerate(["absolute", "relative", "scheme-relative"]):
        wayback.archive.add(FORMS[i], f"2021010{i + 1}000000", status=301 + (i % 2), redirect_to=new, location=style)
    second = wayback.archive.rows_for(URL)[1]
    wayback.archive.add_revisit(URL, "20210201000000", of=second)  # a revisit of the 302 (status "-")
    wayback.archive.add(new, "20210301000000", text(3))
    pid = add_policy(db_path, URL, "example")
    summary = run_crawl(db_path, archive=True, env=fast_env(wayback.url), timeout=120)
    assert summary.returncode == 0
    rows = query(db_path, "SELECT outcome, final_url, url FROM captures ORDER BY capture_time")
    assert [r["outcome"] for r in rows] == ["redirect"] * 4
    assert {r["final_url"] for r in rows} == {new} and {r["url"] for r in rows} == {URL}
    assert summary.moves == 1 and summary.no_archived_text == 1
    assert "no policy text" in summary.line()
    (policy,) = query(db_path, "SELECT url FROM policies WHERE id = ?", [pid])
    assert policy["url"] == new
    assert query(db_path, "SELECT old_url, new_url FROM policy_moves") == [{"old_url": URL, "new_url": new}]


def test_blocked_site_is_permanent_and_error_pages_are_not_policy_text(wayback, db_path) -> None:
    blocked = "https://blocked.example/privacy"
    wayback.archive.block(blocked)
    wayback.archive.add(URL, "20200101000000", text(0))
    wayback.archive.add(URL, "20200201000000", text(1), replay="error_page")
    add_policy(db_path, blocked, "blocked")
    add_policy(db_path, URL, "example")
    add_policy(db_path, "https://never.example/privacy", "never archived")
    summary = run_crawl(db_path, archive=True, env=fast_env(wayback.url), timeout=120)
    assert summary.returncode == 0
    assert summary.outcomes.get("blocked_by_archive") == 1
    line = summary.line()
    assert "blocked by the archive (permanent" in line and "re-run to resume" not in line
    assert summary.not_archived == 1 and "1 URLs the archive has no capture of" in line  # never silence
    rows = query(db_path, "SELECT url, outcome, blob_sha256 IS NOT NULL AS body FROM captures ORDER BY id")
    assert {(r["url"], r["outcome"]) for r in rows} == {(blocked, "blocked_by_archive"), (URL, "ok"),
                                                         (URL, "archive_error")}
    assert len(query(db_path, "SELECT id FROM versions")) == 1  # the error page made no version
    wayback.archive.reset_log()
    again = run_crawl(db_path, archive=True, env=fast_env(wayback.url), timeout=120)
    cdx = [r.path for r in wayback.archive.log if r.kind == "cdx"]
    assert not any("blocked.example" in p for p in cdx)  # never asked again
    assert again.blocked_known == 1 and "blocked by the archive" in again.line()
    assert wayback.archive.count("content") == 1  # the archive's error page is retried, nothing else
