"""Opening a policywatch database: pragmas, validation and migration.

sqlite-utils declares foreign keys but SQLite only enforces them when
``PRAGMA foreign_keys=ON`` is set on each connection, so every connection is
opened here.
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from policywatch.db.schema import MIGRATION_SET, migrations
from policywatch.errors import DatabaseError

DEFAULT_DB = "policywatch.db"


def default_db_path() -> str:
    """``POLICYWATCH_DB`` if set, else ``./policywatch.db`` (DESIGN.md)."""
    return os.environ.get("POLICYWATCH_DB") or DEFAULT_DB


def _configure(db: Database) -> None:
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA synchronous = NORMAL")


def _is_policywatch(db: Database) -> bool:
    if "_sqlite_migrations" not in db.table_names():
        return False
    row = db.execute(
        "SELECT count(*) FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET]
    ).fetchone()
    return bool(row and row[0])


def _connect(path: str | Path) -> Database:
    try:
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        db = Database(conn)
        db.execute("PRAGMA journal_mode = WAL")
        _configure(db)
        db.table_names()  # forces a read: fails here on a file that is not SQLite
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is not a usable SQLite database ({exc}).") from None
    return db


def open_database(path: str | Path, *, create: bool = False) -> Database:
    """Open (and with ``create`` make or upgrade) a policywatch database.

    Without ``create`` the file must exist and carry policywatch's migrations,
    so a typo in ``--db`` never silently creates an empty database.
    """
    path = Path(path)
    if not create and not path.exists():
        raise DatabaseError(f"No database at {path}: run `policywatch init` first (or pass --db).")
    if create and path.exists() and path.stat().st_size > 0:
        db = _connect(path)
        tables = set(db.table_names())
        if tables and not _is_policywatch(db):
            raise DatabaseError(
                f"{path} is an SQLite database that policywatch did not create; "
                "choose another --db path."
            )
    else:
        db = _connect(path)
    if create:
        try:
            migrations.apply(db)
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"Could not migrate {path}: {exc}") from None
    elif not _is_policywatch(db):
        raise DatabaseError(
            f"{path} is not a policywatch database: run `policywatch init --db {path}` "
            "on a new path, or pass the right --db."
        )
    elif migrations.pending(db):
        migrations.apply(db)
    return db


def memory_database() -> Database:
    """A migrated in-memory database, for tests and one-off comparisons."""
    db = Database(memory=True)
    _configure(db)
    migrations.apply(db)
    return db


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A transaction that takes the write lock up front (``BEGIN IMMEDIATE``).

    With several writer processes (crawl shards, a manual import during a
    scheduled pass) a deferred transaction that reads first and writes later can
    fail with "database is locked" without waiting; an immediate one waits for
    the lock (busy_timeout) instead. Nested use falls back to a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
