"""Schema, migrations and database validation."""
from __future__ import annotations

import sqlite3

import pytest

from policywatch.db.connection import open_database
from policywatch.errors import DatabaseError

EXPECTED_TABLES = {
    "policies", "captures", "blobs", "versions", "clause_texts", "version_clauses", "changes",
    "clause_changes", "alerts", "alert_attempts", "policy_moves", "runs", "clause_texts_fts",
}


def test_init_creates_every_table_and_view(db_path):
    db = open_database(db_path, create=True)
    assert EXPECTED_TABLES <= set(db.table_names())
    assert {"material_changes", "policy_timeline", "schema_migrations"} <= set(db.view_names())
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_init_twice_applies_nothing_new_and_keeps_data(db_path):
    db = open_database(db_path, create=True)
    db.execute("INSERT INTO policies (name, url, created_at) VALUES ('x', 'https://x.org/p', '2024-01-01T00:00:00Z')")
    before = list(db.query("SELECT * FROM schema_migrations"))
    db.close()
    db = open_database(db_path, create=True)
    assert list(db.query("SELECT * FROM schema_migrations")) == before
    assert db.execute("SELECT count(*) FROM policies").fetchone()[0] == 1


def test_foreign_keys_are_enforced(fresh_db):
    with pytest.raises(sqlite3.IntegrityError):
        fresh_db.execute(
            "INSERT INTO captures (capture_key, policy_id, source, url, capture_time, fetched_at, outcome) "
            "VALUES ('k', 999, 'live', 'u', 't', 't', 'ok')"
        )


def test_missing_database_is_refused_without_creating_it(tmp_path):
    path = tmp_path / "nope.db"
    with pytest.raises(DatabaseError, match="policywatch init"):
        open_database(path)
    assert not path.exists()


def test_corrupt_file_is_refused(tmp_path):
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(DatabaseError, match="not a usable SQLite database"):
        open_database(path)
    with pytest.raises(DatabaseError):
        open_database(path, create=True)
    assert path.read_bytes().startswith(b"this is not sqlite")


def test_foreign_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="not a policywatch database"):
        open_database(path)
    with pytest.raises(DatabaseError, match="did not create"):
        open_database(path, create=True)
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["customers"]
