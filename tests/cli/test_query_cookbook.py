"""The README's sqlite-utils cookbook runs as written against a real database."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO_DATA, ROOT

SQLITE_UTILS = Path(sys.executable).with_name("sqlite-utils")


def cookbook_commands() -> list[str]:
    """The `sqlite-utils ...` commands in the README's cookbook block, joined across lines."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Query cookbook", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands, current = [], ""
    for line in block.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        current = f"{current} {line.strip()}" if current else line.strip()
        if current.count('"') % 2 == 0:
            commands.append(current)
            current = ""
    return commands


@pytest.fixture
def imported_db(tmp_path):
    from policywatch.db.connection import open_database
    from policywatch.tracker.folder_import import import_directory

    path = tmp_path / "policywatch.db"
    db = open_database(path, create=True)
    import_directory(db, DEMO_DATA / "sourcehut", "sourcehut")
    db.close()
    return path


def test_every_cookbook_command_runs(imported_db):
    if not SQLITE_UTILS.exists():
        pytest.skip("sqlite-utils console script not installed next to this interpreter")
    commands = cookbook_commands()
    assert len(commands) >= 6
    for command in commands:
        argv = [str(SQLITE_UTILS), *re.findall(r'"[^"]*"|\S+', command)[1:]]
        argv = [a[1:-1] if a.startswith('"') else a for a in argv]
        argv = [str(imported_db) if a == "policywatch.db" else a for a in argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{command}\n{result.stderr}"


def test_timeline_and_counts_show_the_history(imported_db):
    if not SQLITE_UTILS.exists():
        pytest.skip("sqlite-utils console script not installed next to this interpreter")
    rows = json.loads(subprocess.run(
        [str(SQLITE_UTILS), "query", str(imported_db), "select * from policy_timeline"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout)
    assert len(rows) >= 6 and rows[0]["policy"] == "sourcehut"
    counts = subprocess.run([str(SQLITE_UTILS), "tables", str(imported_db), "--counts"],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    assert '"table": "versions"' in counts
