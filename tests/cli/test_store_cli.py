"""init / add / list / import / changes / diff through the CLI, including bad input."""
from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys

import click
import pytest

from tests.conftest import DEMO_DATA

SOURCEHUT = DEMO_DATA / "sourcehut"


def test_init_is_idempotent(invoke, db_path):
    assert invoke("init").exit_code == 0
    result = invoke("init")
    assert result.exit_code == 0 and "ready" in result.output


def test_add_and_list(invoke):
    invoke("init")
    result = invoke("add", "https://example.org/privacy", "--name", "example")
    assert result.exit_code == 0 and "Tracking example" in result.output
    listed = json.loads(invoke("list", "--format", "json").output)
    assert [p["name"] for p in listed["policies"]] == ["example"]
    assert listed["policies"][0]["versions"] == 0


def test_add_refuses_non_http_url(invoke):
    result = invoke("add", "ftp://example.org/privacy")
    assert result.exit_code == 2 and "http(s)" in result.output


def test_import_twice_then_changes_and_diff(invoke):
    first = invoke("import", str(SOURCEHUT), "--name", "sourcehut")
    assert first.exit_code == 0, first.output
    second = invoke("import", str(SOURCEHUT), "--name", "sourcehut")
    assert "0 new versions" in second.output and "8 already stored" in second.output
    changes = json.loads(invoke("changes", "--policy", "sourcehut", "--format", "json").output)["changes"]
    assert changes and [c["to_time"] for c in changes] == sorted(c["to_time"] for c in changes)
    keys = {"policy", "from_version", "to_version", "from_time", "to_time", "cosmetic_only", "material",
            "severity", "categories", "summary", "clause_changes"}
    assert keys <= changes[0].keys()
    by_id = invoke("changes", "--policy", "1", "--format", "json")
    assert json.loads(by_id.output)["changes"] == changes
    shown = invoke("diff", "sourcehut")
    last = changes[-1]
    assert shown.exit_code == 0 and f"sourcehut: v{last['from_number']} (" in shown.output
    assert f"-> v{last['to_number']} (" in shown.output
    page = invoke("diff", "sourcehut", "--to", str(changes[0]["to_number"]), "--format", "html")
    assert page.output.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("args, message", [
    (("changes", "--policy", "nope"), "Unknown policy 'nope'"),
    (("diff", "nope"), "Unknown policy 'nope'"),
    (("changes", "--since", "yesterday"), "--since"),
])
def test_bad_usage_exits_2_with_one_line(invoke, args, message):
    invoke("init")
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_import_rejects_bad_folders_and_writes_nothing(invoke, tmp_path, db_path):
    invoke("init")
    bad_name = tmp_path / "bad_name"
    bad_name.mkdir()
    shutil.copy(next(SOURCEHUT.glob("*.md")), bad_name / "2024-01-01T00-00-00Z.md")
    (bad_name / "notes.md").write_text("hello")
    binary = tmp_path / "binary"
    binary.mkdir()
    (binary / "2024-01-01T00-00-00Z.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    for folder, message in ((bad_name, "file names must be UTC capture times"), (binary, "binary"),
                            (tmp_path / "missing", "does not exist")):
        result = invoke("import", str(folder), "--name", "x")
        assert result.exit_code == 2 and message in result.output
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM policies").fetchone()[0] == 0


def test_commands_on_missing_or_foreign_database_exit_2(runner, tmp_path):
    from policywatch.cli import cli

    missing = runner.invoke(cli, ["--db", str(tmp_path / "none.db"), "list"])
    assert missing.exit_code == 2 and "policywatch init" in missing.output
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    result = runner.invoke(cli, ["--db", str(foreign), "list"])
    assert result.exit_code == 2 and "not a policywatch database" in result.output


def test_every_command_has_help(runner):
    from policywatch.cli import cli

    def walk(group, prefix=()):
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            yield prefix + (name,), command
            if isinstance(command, click.Group):
                yield from walk(command, prefix + (name,))

    paths = [path for path, _ in walk(cli)]
    from policywatch.cli.root import COMMAND_MODULES

    assert set(COMMAND_MODULES) <= {p[0] for p in paths}
    for path, command in walk(cli):
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        assert command.help and len(command.help.strip()) > 20, f"{' '.join(path)} lacks a help text"


def test_console_script_reports_errors_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "policywatch", "--db", str(tmp_path / "x.db"), "segment", str(tmp_path / "missing.md")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr and result.stderr.strip()


@pytest.mark.parametrize("name, body", [("empty.md", b""), ("blank.md", b"  \n\n \n"), ("chrome.html", b"<html><body><nav>Home</nav></body></html>")])
def test_documents_without_text_are_bad_input(invoke, tmp_path, name, body):
    path = tmp_path / name
    path.write_bytes(body)
    other = next((DEMO_DATA / "sourcehut").glob("*.md"))
    for args in (("segment", str(path)), ("compare", str(path), str(other)), ("compare", str(other), str(path))):
        result = invoke(*args)
        assert result.exit_code == 2 and "no text found" in result.output


def test_import_counts_add_up_and_a_reimport_names_earlier_rejections(invoke, tmp_path):
    folder = tmp_path / "history"
    folder.mkdir()
    texts = sorted(SOURCEHUT.glob("*.md"))
    shutil.copy(texts[0], folder / "2024-01-01T00-00-00Z.md")
    shutil.copy(texts[1], folder / "2024-02-01T00-00-00Z.md")
    shutil.copy(texts[1], folder / "2024-03-01T00-00-00Z.md")  # unchanged since the last file
    (folder / "2024-04-01T00-00-00Z.md").write_text("Page not found")  # rejected: not a policy
    first = invoke("import", str(folder), "--name", "h")
    counts = [int(n) for n in re.findall(r"(\d+) (?:new versions|with the text|already stored|rejected)", first.output)]
    assert first.exit_code == 0 and sum(counts) == 4 and counts[0] == 2, first.output
    assert "1 with the text of a version already known" in first.output and "1 rejected (" in first.output
    second = invoke("import", str(folder), "--name", "h")
    assert "4 already stored (1 of them rejected by an earlier import" in second.output, second.output


def test_add_validates_hosts_and_refuses_private_addresses_at_once(invoke, monkeypatch):
    invoke("init")
    bad = invoke("add", "https://exa mple.org/x", "--name", "bad")
    assert bad.exit_code == 2 and "not a valid host name" in bad.output
    monkeypatch.delenv("POLICYWATCH_ALLOW_PRIVATE", raising=False)
    private = invoke("add", "http://10.0.0.7/privacy", "--name", "intranet")
    assert private.exit_code == 2 and "private address" in private.output
    assert "POLICYWATCH_ALLOW_PRIVATE=1" in private.output and "Traceback" not in private.output
    monkeypatch.setenv("POLICYWATCH_ALLOW_PRIVATE", "1")
    assert invoke("add", "http://10.0.0.7/privacy", "--name", "intranet").exit_code == 0
    listed = json.loads(invoke("list", "--format", "json").output)["policies"]
    assert [p["name"] for p in listed] == ["intranet"]


def test_add_warns_about_a_url_already_tracked(invoke):
    invoke("init")
    assert invoke("add", "https://example.org/privacy", "--name", "one").exit_code == 0
    again = invoke("add", "https://EXAMPLE.org/privacy/", "--name", "two")
    assert again.exit_code == 0 and "already tracked as one" in again.output
