"""Live checks and discovery in subprocess crawls against a fake site on loopback."""
from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from policywatch.crawler.runner import run_crawl, run_discover
from tests.crawler.conftest import add_policy, fast_env, query
from policywatch.testing.live_site import policy_html

pytestmark = [pytest.mark.network, pytest.mark.slow, pytest.mark.timeout(120)]


def outcomes(db_path: str) -> dict[str, str]:
    rows = query(db_path, "SELECT p.name, c.outcome FROM captures c JOIN policies p ON p.id = c.policy_id ORDER BY c.id")
    return {r["name"]: r["outcome"] for r in rows}


def test_live_outcomes_and_conditional_requests(site, db_path) -> None:
    s = site.site
    s.policy("/privacy")
    s.home([("/about", "About")])
    s.pdf("/privacy.pdf")
    s.huge("/huge", 300_000)
    s.redirect("/old-privacy", "/", 302)
    s.soft_404("/gone")
    s.redirect("/moved", "/privacy", 301)
    for name, path in [("ok", "/privacy"), ("pdf", "/privacy.pdf"), ("huge", "/huge"), ("home", "/old-privacy"),
                       ("soft", "/gone"), ("missing", "/nothing-here"), ("perm", "/moved")]:
        add_policy(db_path, site.url + path, name)
    refusing = socket.socket()  # bound to a port from the OS, never listening: connections are refused
    refusing.bind(("127.0.0.1", 0))
    add_policy(db_path, f"http://127.0.0.1:{refusing.getsockname()[1]}/privacy", "refused")
    env = fast_env(POLICYWATCH_DOWNLOAD_MAXSIZE="100000", POLICYWATCH_RETRY_TIMES="1")
    with refusing:
        summary = run_crawl(db_path, live=True, env=env, timeout=90)
    assert summary.returncode == 0
    got = outcomes(db_path)
    # The fake serves a corrupt PDF: the crawler accepts the type, the tracker finds no text.
    assert got == {"ok": "ok", "pdf": "extraction_failure", "huge": "too_large", "home": "not_a_policy",
                   "soft": "soft_404", "missing": "http_error", "perm": "ok", "refused": "network_error"}
    assert s.user_agents == {"policywatch/0.1 (+https://github.com/policywatch; privacy-policy archiver)"}
    perm = query(db_path, "SELECT url FROM policies WHERE name = 'perm'")[0]["url"]
    assert perm == site.url + "/privacy"  # a 301 is a move of the same policy
    assert query(db_path, "SELECT final_url FROM captures WHERE final_url IS NOT NULL")

    # second pass: the unchanged policy costs a 304 thanks to the stored validators
    run_crawl(db_path, live=True, policies=[1], env=env, timeout=90)
    assert s.conditional_hits["/privacy"] == 1
    last = query(db_path, "SELECT outcome, http_status FROM captures WHERE policy_id = 1 ORDER BY id DESC LIMIT 1")
    assert last == [{"outcome": "not_modified", "http_status": 304}]


def test_private_addresses_are_blocked_by_default(site, db_path) -> None:
    site.site.policy("/privacy")
    add_policy(db_path, site.url + "/privacy", "loopback")
    env = fast_env(POLICYWATCH_ALLOW_PRIVATE="0")
    run_crawl(db_path, live=True, env=env, timeout=90)
    assert outcomes(db_path) == {"loopback": "blocked"}
    assert site.site.hits["/privacy"] == 0


def test_policy_that_starts_404ing_is_rediscovered_as_a_move(site, db_path) -> None:
    s = site.site
    s.policy("/privacy", paragraphs=["We collect your email address to send receipts and share nothing else."])
    s.home([("/privacy", "Privacy"), ("/terms", "Terms")])
    pid = add_policy(db_path, site.url + "/privacy", "example")
    env = fast_env()
    run_crawl(db_path, live=True, env=env, timeout=90)
    # the site reorganises: the old address 404s, the home page links the new one
    s.remove("/privacy")
    s.policy("/legal/privacy-notice", paragraphs=["We collect your email address to send receipts and share nothing else."])
    s.home([("/legal/privacy-notice", "Privacy Notice"), ("/cookies", "Cookie settings"), ("/terms", "Terms")])
    summary = run_crawl(db_path, live=True, env=env, timeout=90)
    assert summary.moves == 1
    moves = query(db_path, "SELECT policy_id, old_url, new_url FROM policy_moves")
    assert moves == [{"policy_id": pid, "old_url": site.url + "/privacy", "new_url": site.url + "/legal/privacy-notice"}]
    assert query(db_path, "SELECT count(*) AS n FROM policies")[0]["n"] == 1  # same policy, not a new one
    rows = query(db_path, "SELECT url, outcome FROM captures WHERE policy_id = ? ORDER BY id", [pid])
    assert [r["outcome"] for r in rows] == ["ok", "http_error", "ok"]
    assert rows[-1]["url"] == site.url + "/legal/privacy-notice"


@pytest.mark.parametrize("label, path", [("Datenschutzerklärung", "/de/datenschutz"),
                                         ("Política de privacidad", "/es/privacidad"),
                                         ("Politique de confidentialité", "/fr/confidentialite")])
def test_discover_adds_the_policy(site, db_path, label, path) -> None:
    s = site.site
    s.home([("/impressum", "Impressum"), ("/cookies", "Cookie-Einstellungen"), (path, label)])
    s.policy(path, title=label)
    summary = run_discover(db_path, site.url + "/", name="site", env=fast_env(), timeout=90)
    assert summary.discovered == 1
    assert query(db_path, "SELECT name, url FROM policies") == [{"name": "site", "url": site.url + path}]


def test_discover_at_an_archived_date(wayback, db_path) -> None:
    home = "https://shop.example/"
    wayback.archive.add(home, "20190301000000", "<html><body><footer><a href='/datenschutz'>Datenschutz</a>"
                                                "<a href='/agb'>AGB</a></footer></body></html>")
    wayback.archive.add("https://shop.example/datenschutz", "20190302000000", policy_html("Datenschutz"))
    summary = run_discover(db_path, home, at="20190315", env=fast_env(wayback.url, POLICYWATCH_ALLOW_PRIVATE="0"),
                           timeout=90)
    assert summary.discovered == 1
    assert query(db_path, "SELECT url FROM policies") == [{"url": "https://shop.example/datenschutz"}]


def test_cli_crawl_prints_a_summary_and_rejects_bad_dates(site, db_path, monkeypatch) -> None:
    from policywatch.cli import cli

    site.site.policy("/privacy")
    add_policy(db_path, site.url + "/privacy", "example")
    for key, value in fast_env().items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", db_path, "crawl", "--live", "--policy", "example"])
    assert result.exit_code == 0, result.output
    assert "1 captures (ok 1); 1 new versions" in result.output
    bad = runner.invoke(cli, ["--db", db_path, "crawl", "--since", "2024-13"])
    assert bad.exit_code == 2 and "--since" in bad.output
    unknown = runner.invoke(cli, ["--db", db_path, "crawl", "--policy", "nope"])
    assert unknown.exit_code == 2 and "Unknown policy" in unknown.output


def test_save_page_now_and_a_jobdir_run(site, wayback, db_path, tmp_path) -> None:
    import subprocess

    from policywatch.crawler.runner import child_env, crawl_command

    site.site.policy("/privacy")
    add_policy(db_path, site.url + "/privacy", "example")
    wayback.archive.add(site.url + "/privacy", "20200101000000", policy_html("Privacy Policy"))
    cmd = crawl_command(db_path, save=True, settings={"JOBDIR": str(tmp_path / "job"), "LOG_LEVEL": "INFO"})
    done = subprocess.run(cmd, env=child_env(fast_env(wayback.url)), capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Unable to serialize" not in done.stderr  # every request fits a disk queue
    assert wayback.archive.count("save") == 1  # the live page's new text was sent to Save Page Now
    rows = query(db_path, "SELECT source, outcome FROM captures ORDER BY source")
    assert rows == [{"source": "live", "outcome": "ok"}, {"source": "wayback", "outcome": "ok"}]


def test_cli_discover_reports_what_it_tracked(site, db_path, monkeypatch) -> None:
    from policywatch.cli import cli

    site.site.home([("/privacy-notice", "Privacy Notice")])
    site.site.policy("/privacy-notice")
    for key, value in fast_env().items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    ok = runner.invoke(cli, ["--db", db_path, "discover", site.url + "/", "--name", "site"])
    assert ok.exit_code == 0 and "1 discovered" in ok.output
    site.site.home([("/about", "About")])
    none = runner.invoke(cli, ["--db", db_path, "discover", site.url + "/", "--name", "other"])
    assert none.exit_code == 2 and "No privacy policy was added" in none.output


def test_save_page_now_429_trips_the_archive_breaker(site, wayback, db_path) -> None:
    site.site.policy("/privacy")
    add_policy(db_path, site.url + "/privacy", "example")
    wayback.archive.fail("save", 429)
    summary = run_crawl(db_path, live=True, save=True, env=fast_env(wayback.url), timeout=90)
    assert summary.returncode == 0 and summary.outcomes == {"ok": 1}
    assert wayback.archive.count("save", status=429) == 1
    assert summary.pauses == 1


def test_a_soft_404_found_by_the_tracker_triggers_rediscovery(site, db_path) -> None:
    s = site.site
    s.policy("/privacy")
    pid = add_policy(db_path, site.url + "/privacy", "example")
    run_crawl(db_path, live=True, env=fast_env(), timeout=90)
    s.soft_404("/privacy")  # status 200, "page not found" text: only the tracker can tell
    s.policy("/en/privacy-policy")
    s.home([("/en/privacy-policy", "Privacy Policy")])
    summary = run_crawl(db_path, live=True, env=fast_env(), timeout=90)
    assert summary.moves == 1
    assert query(db_path, "SELECT url FROM policies WHERE id = ?", [pid]) == [{"url": site.url + "/en/privacy-policy"}]
    outcomes = [r["outcome"] for r in query(db_path, "SELECT outcome FROM captures ORDER BY id")]
    assert outcomes == ["ok", "soft_404", "ok"]


def test_cli_crawl_checks_the_config_it_will_use(db_path, tmp_path, monkeypatch) -> None:
    from policywatch.cli import cli

    monkeypatch.delenv("POLICYWATCH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policywatch.toml").write_text("bogus = 1\n")
    result = CliRunner().invoke(cli, ["--db", db_path, "crawl", "--live"])
    assert result.exit_code == 2 and "bogus" in result.output


def test_a_busy_site_is_retried_after_its_retry_after(site, db_path) -> None:
    site.site.policy("/privacy")
    site.site.fail("/privacy", 503, count=2, retry_after="1")
    add_policy(db_path, site.url + "/privacy", "example")
    summary = run_crawl(db_path, live=True, env=fast_env(POLICYWATCH_RETRY_BACKOFF_MAX="5"), timeout=90)
    assert summary.outcomes == {"ok": 1}
    times = [t for t, path, _ in site.site.log if path == "/privacy"]
    assert len(times) == 3
    assert all(b - a >= 0.95 for a, b in zip(times, times[1:]))  # Retry-After: 1 honoured each time
