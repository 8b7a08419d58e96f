"""`policywatch export --warc` and `policywatch import --warc`: round trip, filters, exit codes."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tests.conftest import DEMO_DATA

SOURCEHUT = DEMO_DATA / "sourcehut"


def chain(db_path: Path) -> dict[str, list[tuple]]:
    from policywatch.db.connection import open_database

    db = open_database(db_path)
    try:
        return {
            "versions": db.execute("SELECT capture_time, text_sha256 FROM versions WHERE current = 1 "
                                   "ORDER BY capture_time").fetchall(),
            "changes": db.execute("SELECT f.capture_time, t.capture_time, c.material, c.severity, c.summary "
                                  "FROM changes c JOIN versions f ON f.id = c.from_version_id "
                                  "JOIN versions t ON t.id = c.to_version_id WHERE c.superseded = 0 "
                                  "ORDER BY t.capture_time").fetchall(),
        }
    finally:
        db.close()


@pytest.fixture
def exported(invoke, db_path, tmp_path) -> Path:
    """The demo's sourcehut history imported from its folder and exported as a WARC."""
    assert invoke("import", str(SOURCEHUT), "--name", "sourcehut").exit_code == 0
    out = tmp_path / "sourcehut.warc.gz"
    result = invoke("export", "--warc", str(out))
    assert result.exit_code == 0 and "Wrote 8 captures" in result.output
    return out


def test_folder_import_round_trips_through_a_warc(invoke, runner, db_path, exported, tmp_path) -> None:
    from policywatch.cli import cli

    fresh = tmp_path / "fresh.db"
    result = runner.invoke(cli, ["--db", str(fresh), "import", "--warc", str(exported), "--name", "sourcehut"])
    assert result.exit_code == 0, result.output
    assert "Imported 8 WARC records into sourcehut" in result.output and "7 new versions" in result.output
    assert chain(fresh) == chain(db_path)
    assert len(chain(fresh)["changes"]) == 6


def test_export_filters_by_policy_and_date(invoke, exported, tmp_path) -> None:
    out = tmp_path / "recent.warc.gz"
    result = invoke("export", "--warc", str(out), "--policy", "sourcehut", "--since", "2024")
    assert result.exit_code == 0
    count = int(result.output.split()[1])
    assert 0 < count < 8
    assert gzip.decompress(out.read_bytes()).count(b"WARC-Type: resource") == count
    assert invoke("export", "--warc", str(out), "--policy", "nope").exit_code == 2
    assert invoke("export", "--warc", str(out), "--since", "last week").exit_code == 2


def test_truncated_warc_keeps_good_records_and_exits_2(invoke, runner, exported, tmp_path) -> None:
    from policywatch.cli import cli

    data = exported.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    result = runner.invoke(cli, ["--db", str(tmp_path / "cut.db"), "import", "--warc", str(cut), "--name", "sourcehut"])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("Error: cut.warc.gz: record at offset ")
    assert "truncated" in errors[0] and "Traceback" not in result.output
    assert "new versions" in result.stdout  # what was before the cut is kept


def test_import_usage_errors(invoke, exported, tmp_path) -> None:
    both = invoke("import", str(SOURCEHUT), "--warc", str(exported), "--name", "x")
    assert both.exit_code == 2 and "either a DIRECTORY or --warc" in both.output
    assert invoke("import", "--name", "x").exit_code == 2
    assert invoke("import", str(SOURCEHUT), "--name", "x", "--url-filter", "a").exit_code == 2
    bad_regex = invoke("import", "--warc", str(exported), "--name", "x", "--url-filter", "(")
    assert bad_regex.exit_code == 2 and "not a valid regular expression" in bad_regex.stderr
    none = invoke("import", "--warc", str(exported), "--name", "unknown")
    assert none.exit_code == 2 and "--url or --url-filter" in none.stderr
    missing = invoke("import", "--warc", str(tmp_path / "missing.warc.gz"), "--name", "x", "--url", "https://a.example/")
    assert missing.exit_code == 2 and "Cannot read" in missing.stderr
    unwritable = invoke("export", "--warc", str(tmp_path / "no" / "such" / "dir.warc.gz"))
    assert unwritable.exit_code == 2 and "Cannot write" in unwritable.stderr


def test_url_filter_selects_records(invoke, exported, tmp_path) -> None:
    result = invoke("import", "--warc", str(exported), "--name", "early", "--url-filter", r"/2023-")
    assert result.exit_code == 0, result.output
    assert "Imported 2 WARC records into early (6 of other URLs skipped)" in result.output
