"""Opening a policywatch database: pragmas, validation, schema version, migration.

sqlite-utils declares foreign keys but SQLite only enforces them when
``PRAGMA foreign_keys=ON`` is set on each connection, so every connection is
opened here.

Migrations run in exactly one place: ``policywatch init`` (``migrate=True``),
or when ``create`` makes a brand-new database. Any other open of a database
that lacks migrations refuses with the command to run, and a database carrying
migrations this policywatch does not know (written by a newer release) is
never opened for writing: one line names both versions. ``readonly`` opens use
``mode=ro``, never change the journal mode, and work on read-only files.
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from policywatch import __version__
from policywatch.db.schema import MIGRATION_SET, migrations
from policywatch.errors import DatabaseError


def _configure(db: Database, *, readonly: bool = False) -> None:
    db.execute("PRAGMA busy_timeout = 30000")
    if readonly:
        db.execute("PRAGMA query_only = ON")
        return
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")


def _is_policywatch(db: Database) -> bool:
    if "_sqlite_migrations" not in db.table_names():
        return False
    row = db.execute(
        "SELECT count(*) FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET]
    ).fetchone()
    return bool(row and row[0])


def known_migrations() -> list[str]:
    """Names of the migrations this release knows, in order (the schema version is their count)."""
    return [m.name for m in migrations._migrations]


def schema_state(db: Database) -> tuple[list[str], list[str]]:
    """(pending, unknown): migrations this release would apply, and applied ones it does not know."""
    applied = [m.name for m in migrations.applied(db)]
    known = known_migrations()
    return [n for n in known if n not in applied], [n for n in applied if n not in known]


def _readonly_uri(path: Path, *, immutable: bool = False) -> str:
    return path.resolve().as_uri() + ("?immutable=1" if immutable else "?mode=ro")


def _connect(path: Path, *, readonly: bool = False) -> Database:
    try:
        if readonly:
            try:
                conn = sqlite3.connect(_readonly_uri(path), uri=True, timeout=30, isolation_level=None)
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError:
                # A WAL database in a folder we cannot write (no -shm to create): nobody can be
                # writing it through this folder either, so read it as an immutable file.
                if os.access(path.parent, os.W_OK):
                    raise
                conn = sqlite3.connect(_readonly_uri(path, immutable=True), uri=True, isolation_level=None)
            db = Database(conn)
        else:
            conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
            db = Database(conn)
            db.execute("PRAGMA journal_mode = WAL")
        _configure(db, readonly=readonly)
        db.table_names()  # forces a read: fails here on a file that is not SQLite
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is not a usable SQLite database ({exc}).") from None
    return db


def _check_schema(db: Database, path: Path, *, readonly: bool, migrate: bool) -> None:
    """Refuse an outdated database (unless migrating) and writes to a newer one."""
    pending, unknown = schema_state(db)
    if unknown and not readonly:
        raise DatabaseError(
            f"{path} was written by a newer policywatch (schema version {len(known_migrations()) + len(unknown)}, "
            f"unknown migrations: {', '.join(unknown)}); this is policywatch {__version__} (schema version "
            f"{len(known_migrations())}): upgrade policywatch before writing to it."
        )
    if pending and not migrate:
        raise DatabaseError(
            f"{path} needs {len(pending)} schema migration(s) ({', '.join(pending)}): "
            f"run `policywatch --db {path} init` first."
        )


def open_database(
    path: str | Path, *, create: bool = False, readonly: bool = False, migrate: bool = False
) -> Database:
    """Open a policywatch database.

    - default: the file must exist, be a policywatch database and be up to date;
    - ``create``: a missing or empty file becomes a new, migrated database (an
      existing one is opened as by default);
    - ``migrate`` (``policywatch init``): create if missing, then apply pending migrations;
    - ``readonly``: ``mode=ro``, for commands that only read (works on a newer schema too).

    A typo in ``--db`` never silently creates an empty database.
    """
    path = Path(path)
    fresh = not path.exists() or path.stat().st_size == 0
    if fresh and not (create or migrate):
        raise DatabaseError(f"No database at {path}: run `policywatch init` first (or pass --db).")
    db = _connect(path, readonly=readonly and not fresh)
    if db.table_names() and not _is_policywatch(db):
        raise DatabaseError(
            f"{path} is not a policywatch database (an SQLite database that policywatch did not create): "
            "pass the right --db, or run `policywatch --db NEW_PATH init` for a new one."
        )
    _check_schema(db, path, readonly=readonly and not fresh, migrate=migrate or fresh)
    if migrate or fresh:
        try:
            migrations.apply(db)
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"Could not migrate {path}: {exc}") from None
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
