"""WARC round trip: crawl (archive + live) -> export -> import into a fresh database -> same history."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from policywatch.crawler.runner import run_crawl
from policywatch.testing.live_site import policy_html
from tests.crawler.conftest import add_policy, fast_env, query
from tests.crawler.test_archive_crawl import URL, load_history, stamp

pytestmark = [pytest.mark.network, pytest.mark.slow, pytest.mark.timeout(180)]


def history(db_path: str | Path, name: str) -> dict[str, list[tuple]]:
    """What a round trip must keep: the version chain and the changes between its versions."""
    versions = query(str(db_path), """SELECT v.capture_time, v.text_sha256, v.flip_of IS NOT NULL AS flip
                                       FROM versions v JOIN policies p ON p.id = v.policy_id
                                       WHERE p.name = ? AND v.current = 1 ORDER BY v.capture_time""", [name])
    changes = query(str(db_path), """SELECT fv.capture_time AS f, tv.capture_time AS t, c.material, c.severity,
                                            c.categories, c.summary, c.cosmetic_only, c.is_flip
                                     FROM changes c JOIN policies p ON p.id = c.policy_id
                                     JOIN versions fv ON fv.id = c.from_version_id
                                     JOIN versions tv ON tv.id = c.to_version_id
                                     WHERE p.name = ? AND c.superseded = 0 ORDER BY tv.capture_time""", [name])
    return {"versions": [tuple(r.values()) for r in versions], "changes": [tuple(r.values()) for r in changes]}


def records(path: Path) -> list[tuple[str, dict[str, str], object]]:
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as stream:
        return [(r.rec_type, dict(r.rec_headers.headers), r.http_headers) for r in ArchiveIterator(stream)]


def test_crawled_history_survives_export_and_import(wayback, site, db_path, tmp_path, invoke_at) -> None:
    # archive: 3 texts and a flip back (the CDX collapses adjacent repeats: rows 0, 2, 4, 5 are fetched)
    load_history(wayback, [0, 0, 1, 1, 0, 2, 2, 2])
    archived_id = add_policy(db_path, URL, "archived")
    site.site.policy("/privacy", paragraphs=["We collect your email address to run the service."])
    live_id = add_policy(db_path, site.url + "/privacy", "live")
    env = fast_env(wayback.url)
    assert run_crawl(db_path, archive=True, policies=[archived_id], env=env, timeout=90).returncode == 0
    assert run_crawl(db_path, live=True, policies=[live_id], env=env, timeout=90).returncode == 0
    site.site.policy("/privacy", paragraphs=["We collect your email address and sell it to data brokers."])
    assert run_crawl(db_path, live=True, policies=[live_id], env=env, timeout=90).returncode == 0

    out = tmp_path / "export.warc.gz"
    result = invoke_at(db_path, "export", "--warc", str(out), env={"POLICYWATCH_WAYBACK_URL": wayback.url})
    assert result.exit_code == 0, result.output
    assert "Wrote 6 captures" in result.output

    check = subprocess.run([sys.executable, "-c", "from warcio.cli import main; main()", "check", "-v", str(out)],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest failed" not in check.stdout and check.stdout.count("digest pass") == 6  # warcinfo + 5 responses

    found = records(out)
    assert found[0][0] == "warcinfo"
    types = [t for t, _, _ in found[1:]]
    assert types.count("response") == 5 and types.count("revisit") == 1  # the flip back repeats a body
    archived = [h for _, h, _ in found if h.get("WARC-Policywatch-Source") == "wayback"]
    assert [h["WARC-Date"] for h in archived] == [f"{s[:4]}-{s[4:6]}-{s[6:8]}T12:00:00Z" for s in map(stamp, (0, 2, 4, 5))]
    assert all(h["WARC-Target-URI"] == URL for h in archived)
    assert archived[0]["WARC-Source-URI"] == f"{wayback.url}/web/{stamp(0)}id_/{URL}"
    archived_http = next(http for _, h, http in found if h.get("WARC-Policywatch-Source") == "wayback")
    assert archived_http.get_header("Content-Type") == "text/html"
    assert archived_http.get_header("Memento-Datetime") is None  # the archive's own headers are left out
    live = [(h, http) for _, h, http in found if h.get("WARC-Policywatch-Source") == "live"]
    assert live[0][1].statusline == "200 OK" and live[0][1].get_header("ETag")  # as recorded at capture time
    assert "WARC-Policywatch-HTTP-Headers" not in live[0][0]

    fresh = tmp_path / "fresh.db"
    for name in ("archived", "live"):
        imported = invoke_at(fresh, "import", "--warc", str(out), "--name", name)
        assert imported.exit_code == 0, imported.output
        assert history(fresh, name) == history(db_path, name)
    assert len(history(fresh, "archived")["versions"]) == 4  # 0, 1, 0 (a flip), 2
    assert query(str(fresh), "SELECT DISTINCT source FROM captures") == [{"source": "warc"}]
    assert query(str(fresh), "SELECT count(*) AS n FROM alerts") == [{"n": 0}]  # a first import is quiet
    again = invoke_at(fresh, "import", "--warc", str(out), "--name", "archived")
    assert "0 new versions, 4 already stored" in again.output


@pytest.fixture
def invoke_at(runner, monkeypatch):
    """Run the CLI against a given database file."""
    from policywatch.cli import cli

    monkeypatch.delenv("POLICYWATCH_CONFIG", raising=False)

    def run(db: str | Path, *args: str, env: dict[str, str] | None = None):
        return runner.invoke(cli, ["--db", str(db), *args], env=env, catch_exceptions=False)

    return run
