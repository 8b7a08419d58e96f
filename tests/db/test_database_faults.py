"""Databases under faults: outdated, newer, read-only, full disk, corrupt page.

Every sqlite3 error reaching the CLI is one line on stderr and exit 2 (no
traceback), and a failed write leaves nothing half-written.
"""
from __future__ import annotations

import contextlib
import gc
import os
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlite_utils import Database

from policywatch.db.connection import known_migrations, open_database
from policywatch.db.schema import migrations
from policywatch.errors import DatabaseError
from tests.conftest import DEMO_DATA

SOURCEHUT = DEMO_DATA / "sourcehut"


def one_line_error(result) -> str:
    """The CLI failed cleanly: exit 2, a single 'Error:' line, no traceback."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_outdated_database_is_refused_until_init_migrates_it(db_path, invoke):
    db = Database(sqlite3.connect(db_path, isolation_level=None))
    migrations.apply(db, stop_before=known_migrations()[-1])
    db.close()
    with pytest.raises(DatabaseError, match=r"needs 1 schema migration.*policywatch --db .* init"):
        open_database(db_path)
    line = one_line_error(invoke("list"))
    assert "init" in line
    assert invoke("add", "https://example.org/privacy").exit_code == 2
    assert invoke("init").exit_code == 0
    assert invoke("list").exit_code == 0
    assert open_database(db_path) is not None


def test_opening_never_migrates(db_path):
    db = open_database(db_path, create=True)
    db.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [known_migrations()[-1]])
    db.close()
    with pytest.raises(DatabaseError, match="init"):
        open_database(db_path)
    with pytest.raises(DatabaseError, match="init"):
        open_database(db_path, create=True)  # `add` / `import` on an existing outdated file


def test_newer_database_is_never_written_but_can_be_read(db_path, invoke):
    db = open_database(db_path, create=True)
    db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('policywatch', 'm999_future', 'x')"
    )
    db.close()
    with pytest.raises(DatabaseError, match=r"newer policywatch.*schema version \d+.*policywatch \d"):
        open_database(db_path)
    line = one_line_error(invoke("add", "https://example.org/privacy", "--name", "x"))
    assert "newer policywatch" in line and "m999_future" in line
    assert invoke("init").exit_code == 2  # init does not "migrate" it either
    assert invoke("list").exit_code == 0  # reading is fine
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM policies").fetchone()[0] == 0


def test_read_only_commands_do_not_write(db_path, invoke):
    """`list` on a rollback-journal database used to switch it to WAL (a write)."""
    assert invoke("import", str(SOURCEHUT), "--name", "sourcehut").exit_code == 0
    gc.collect()  # the in-process CLI leaves its connection to the garbage collector
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before = db_path.read_bytes()
    for args in (("list",), ("changes",), ("diff", "sourcehut"), ("alerts", "list")):
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.output)
    assert db_path.read_bytes() == before
    assert not Path(f"{db_path}-wal").exists()


@contextlib.contextmanager
def tmpfs(size: str):
    """A small tmpfs (root only); skips the test where mounting is not allowed."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    path = Path(f"/tmp/pw-tmpfs-{uuid.uuid4().hex[:8]}")
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        path.rmdir()
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield path
    finally:
        gc.collect()  # close connections left to the garbage collector before unmounting
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)
        with contextlib.suppress(OSError):
            path.rmdir()


def test_read_only_file_system_can_be_listed(runner, tmp_path):
    from policywatch.cli import cli

    with tmpfs("4m") as mount:
        db_path = mount / "policywatch.db"
        assert runner.invoke(cli, ["--db", str(db_path), "import", str(SOURCEHUT), "--name", "sourcehut"]).exit_code == 0
        gc.collect()  # close the import's connection before the remount
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        for args in (("list",), ("changes",), ("diff", "sourcehut"), ("alerts", "list"),
                     ("report", "--out", str(tmp_path / "report"))):
            result = runner.invoke(cli, ["--db", str(db_path), *args])
            assert result.exit_code == 0, (args, result.output)
        result = runner.invoke(cli, ["--db", str(db_path), "add", "https://example.org/privacy"])
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert len([l for l in result.output.splitlines() if l.strip()]) == 1, result.output


def test_disk_full_is_one_line_and_leaves_nothing_half_written(runner, tmp_path):
    from policywatch.cli import cli

    many = tmp_path / "many"
    many.mkdir()
    text = (SOURCEHUT / sorted(os.listdir(SOURCEHUT))[-1]).read_text(encoding="utf-8")
    for day in range(1, 29):  # distinct texts: every file is a new version
        (many / f"2024-02-{day:02d}T00-00-00Z.md").write_text(
            text + f"\n\nRevision {day}: " + os.urandom(6000).hex(), encoding="utf-8"
        )
    with tmpfs("1m") as mount:
        db_path = mount / "policywatch.db"
        assert runner.invoke(cli, ["--db", str(db_path), "init"]).exit_code == 0
        result = runner.invoke(cli, ["--db", str(db_path), "import", str(many), "--name", "big"])
        line = one_line_error(result)
        assert "full" in line
        conn = sqlite3.connect(db_path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # every committed capture is whole: its version exists and has its clauses
        orphans = conn.execute(
            "SELECT count(*) FROM captures c LEFT JOIN versions v ON v.id = c.version_id "
            "WHERE c.outcome = 'ok' AND (v.id IS NULL OR NOT EXISTS "
            "(SELECT 1 FROM version_clauses vc WHERE vc.version_id = v.id))"
        ).fetchone()[0]
        assert orphans == 0
        conn.close()


def corrupt_table(db_path: Path, table: str) -> None:
    gc.collect()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
    conn.close()
    with open(db_path, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * page_size)


@pytest.mark.parametrize("args", [("changes",), ("diff", "sourcehut"), ("report", "--out", "REPORT")])
def test_corrupt_page_is_one_line_exit_2(invoke, db_path, tmp_path, args):
    assert invoke("import", str(SOURCEHUT), "--name", "sourcehut").exit_code == 0
    corrupt_table(db_path, "changes")
    args = tuple(str(tmp_path / "report") if a == "REPORT" else a for a in args)
    line = one_line_error(invoke(*args))
    assert "malformed" in line or "corrupt" in line


@pytest.mark.parametrize("args", [("alerts", "list"), ("alerts", "send"), ("run", "--no-live", "--archive")])
def test_corrupt_outbox_is_one_line_exit_2(invoke, db_path, args, monkeypatch):
    monkeypatch.setattr("policywatch.schedules.steps.default_crawl", lambda *a, **k: None)
    assert invoke("import", str(SOURCEHUT), "--name", "sourcehut").exit_code == 0
    db = open_database(db_path)
    db.execute(
        "INSERT INTO alerts (id, kind, policy_id, channel, status, next_attempt_at, created_at) "
        "VALUES ('a1', 'tracking_broken', 1, 'hook', 'pending', '2000-01-01T00:00:00Z', '2000-01-01T00:00:00Z')"
    )
    db.close()
    corrupt_table(db_path, "alerts")
    line = one_line_error(invoke(*args))
    assert "malformed" in line
