"""What a command loads: ``compare`` of two Markdown files imports only what it needs.

Start-up is most of a ``policywatch compare`` process (bench/diff_bench.py, "Whole-process
budget"), so these tests pin the modules a command imports, by name (speed itself is measured
in bench/, never asserted here). Each command runs in its own interpreter, which writes the
names in ``sys.modules`` to a file when it exits.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from policywatch.cli.root import PolicywatchGroup

# The console script's work, plus a dump of sys.modules at exit (after click's sys.exit).
WRAPPER = (
    "import atexit, os, sys\n"
    "atexit.register(lambda: open(os.environ['MODULES_OUT'], 'w').write('\\n'.join(sorted(sys.modules))))\n"
    "from policywatch.cli import main\n"
    "main()\n"
)

# Never needed to compare two Markdown files (nor for --version): the HTML and PDF
# extraction steps and their libraries, the database, the crawler, the other commands.
HEAVY = (
    "policywatch.tracker.extract.page", "policywatch.tracker.extract.clean", "policywatch.tracker.extract.walker",
    "policywatch.tracker.extract.choose", "policywatch.tracker.extract.parts", "policywatch.tracker.extract.pdf",
    "lxml", "trafilatura", "pdfminer", "charset_normalizer", "markdown_it", "nh3",
    "sqlite3", "_sqlite3", "sqlite_utils", "policywatch.db",
    "scrapy", "twisted", "policywatch.crawler", "policywatch.schedules", "apscheduler", "redis", "warcio",
    "rich", "apprise", "policywatch.tracker.alerts", "policywatch.tracker.render", "policywatch.tracker.report",
    "policywatch.tracker.ingest", "policywatch.tracker.config",
    "policywatch.cli.store", "policywatch.cli.history", "policywatch.cli.crawl", "policywatch.cli.alerts",
    "policywatch.cli.run", "policywatch.cli.schedule", "policywatch.cli.archive", "policywatch.cli.distributed",
    "policywatch.cli.demo",
)

# A policy long enough to pass the extraction-failure guard, with one clause that starts selling.
_SECTIONS = [
    f"## {topic}\n\nThis section explains how we handle {topic.lower()} for every account holder. "
    f"We review this practice each year and describe any {topic.lower()} change in this notice."
    for topic in ("Collection", "Retention", "Security", "Your rights", "Children", "Contact")
]
OLD = "\n\n".join(["# Privacy Policy", "## Sharing\n\nWe share your email address with our payment processor "
                   "to bill you.", *_SECTIONS]) + "\n"
NEW = OLD.replace("to bill you.", "to bill you, and we sell it to data brokers.")
PAGE = "<html><head><title>Privacy</title></head><body><main><p>{}</p></main></body></html>"


def loaded_modules(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run ``policywatch ARGS`` in a fresh interpreter; its result and every module it imported."""
    out = tmp_path / "modules.txt"
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "MODULES_OUT": str(out)},
    )
    return proc, set(out.read_text(encoding="utf-8").split())


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_compare_of_markdown_files_imports_no_extraction_database_or_crawler(tmp_path: Path) -> None:
    (tmp_path / "old.md").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.md").write_text(NEW, encoding="utf-8")

    proc, modules = loaded_modules(tmp_path, "compare", "old.md", "new.md", "--format", "json")

    assert proc.returncode == 0, proc.stderr
    diff = json.loads(proc.stdout)
    assert [c["kind"] for c in diff["changes"]] == ["modified"] and diff["material"]
    # The work was done (so the list below is the whole command's, not an early exit's) ...
    assert {"policywatch.cli.documents", "policywatch.tracker.segment", "policywatch.tracker.materiality"} <= modules
    # ... without the HTML/PDF extraction, the database, the crawler or other commands' libraries.
    assert heavy(modules) == []


def test_compare_of_html_pages_loads_the_html_extraction(tmp_path: Path) -> None:
    """The other side of the lazy import: an HTML input does go through the HTML steps."""
    (tmp_path / "old.html").write_text(PAGE.format(OLD.replace("\n\n", "</p><p>")), encoding="utf-8")
    (tmp_path / "new.html").write_text(PAGE.format(NEW.replace("\n\n", "</p><p>")), encoding="utf-8")

    proc, modules = loaded_modules(tmp_path, "compare", "old.html", "new.html", "--format", "json")

    assert proc.returncode == 0, proc.stderr
    assert [c["kind"] for c in json.loads(proc.stdout)["changes"]] == ["modified"]
    assert {"policywatch.tracker.extract.page", "policywatch.tracker.extract.clean", "lxml"} <= modules
    assert "sqlite3" not in modules and "policywatch.db" not in modules


def test_version_loads_no_command_and_no_tracker(tmp_path: Path) -> None:
    proc, modules = loaded_modules(tmp_path, "--version")

    assert proc.returncode == 0 and "policywatch" in proc.stdout, proc.stderr
    assert heavy(modules) == []
    assert not [m for m in modules if m.startswith(("policywatch.tracker", "policywatch.cli.documents"))]


# --- the root group still turns a database error into one line without importing sqlite3 ---


def _group_raising(exc: Exception) -> click.Group:
    @click.group(cls=PolicywatchGroup)
    @click.pass_context
    def group(ctx: click.Context) -> None:
        ctx.ensure_object(dict)["db_path"] = "test.db"

    @group.command("boom")
    def boom() -> None:
        raise exc

    return group


def test_an_sqlite_error_escaping_a_command_is_one_line_and_exit_2() -> None:
    result = CliRunner().invoke(_group_raising(sqlite3.OperationalError("database or disk is full")), ["boom"])

    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: database test.db: database or disk is full; free some space and run the command again"
    )


@pytest.mark.parametrize("exc", [ValueError("a bug"), KeyError("missing")])
def test_other_exceptions_are_not_taken_for_database_errors(exc: Exception) -> None:
    result = CliRunner().invoke(_group_raising(exc), ["boom"])

    assert result.exit_code == 1 and result.exception is exc
