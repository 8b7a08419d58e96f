"""The policywatch schema, as forward-only sqlite-utils migrations.

Every table is created here and nowhere else. Migrations are recorded by
sqlite-utils in ``_sqlite_migrations`` (exposed as the ``schema_migrations``
view), so ``policywatch init`` on an existing database only applies what is new.
"""
from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATION_SET = "policywatch"
migrations = Migrations(MIGRATION_SET)


@migrations()
def m001_core_tables(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE policies (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL,
            type TEXT NOT NULL DEFAULT 'privacy_policy',
            policy_group TEXT,
            select_css TEXT,
            remove_css TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            last_checked_at TEXT,
            last_outcome TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            tracking_status TEXT NOT NULL DEFAULT 'ok',
            seeded_at TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE policy_moves (
            id INTEGER PRIMARY KEY,
            policy_id INTEGER NOT NULL REFERENCES policies(id),
            old_url TEXT NOT NULL,
            new_url TEXT NOT NULL,
            moved_at TEXT NOT NULL,
            reason TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            compression TEXT NOT NULL DEFAULT 'zlib',
            base_sha256 TEXT REFERENCES blobs(sha256),
            depth INTEGER NOT NULL DEFAULT 0,
            content BLOB NOT NULL
        )"""
    )
    db.execute(
        """
        CREATE TABLE clause_texts (
            id INTEGER PRIMARY KEY,
            digest BLOB NOT NULL UNIQUE,
            text TEXT NOT NULL,
            categories TEXT NOT NULL DEFAULT '[]'
        )"""
    )
    db.execute(
        """
        CREATE TABLE headings (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE
        )"""
    )
    db.execute(
        """
        CREATE TABLE versions (
            id INTEGER PRIMARY KEY,
            policy_id INTEGER NOT NULL REFERENCES policies(id),
            capture_time TEXT NOT NULL,
            text_sha256 TEXT NOT NULL,
            first_capture_id INTEGER,
            effective_date TEXT,
            clause_count INTEGER NOT NULL,
            word_count INTEGER NOT NULL,
            extractor_version TEXT NOT NULL,
            flip_of INTEGER REFERENCES versions(id),
            technical_upgrade INTEGER NOT NULL DEFAULT 0,
            current INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_versions_policy_time ON versions(policy_id, current, capture_time)")
    db.execute("CREATE INDEX idx_versions_text ON versions(policy_id, text_sha256)")
    db.execute(
        """
        CREATE TABLE version_clauses (
            version_id INTEGER NOT NULL REFERENCES versions(id),
            ordinal INTEGER NOT NULL,
            clause_id INTEGER NOT NULL REFERENCES clause_texts(id),
            kind TEXT NOT NULL,
            heading_id INTEGER NOT NULL REFERENCES headings(id),
            PRIMARY KEY (version_id, ordinal)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """
        CREATE TABLE captures (
            id INTEGER PRIMARY KEY,
            capture_key TEXT NOT NULL UNIQUE,
            policy_id INTEGER NOT NULL REFERENCES policies(id),
            source TEXT NOT NULL,
            url TEXT NOT NULL,
            final_url TEXT,
            capture_time TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            http_status INTEGER,
            content_type TEXT,
            outcome TEXT NOT NULL,
            detail TEXT,
            blob_sha256 TEXT REFERENCES blobs(sha256),
            etag TEXT,
            last_modified TEXT,
            wayback_digest TEXT,
            version_id INTEGER REFERENCES versions(id)
        )"""
    )
    db.execute("CREATE INDEX idx_captures_policy_time ON captures(policy_id, capture_time)")
    db.execute("CREATE INDEX idx_captures_digest ON captures(policy_id, wayback_digest)")
    db.execute(
        """
        CREATE TABLE changes (
            id INTEGER PRIMARY KEY,
            policy_id INTEGER NOT NULL REFERENCES policies(id),
            from_version_id INTEGER NOT NULL REFERENCES versions(id),
            to_version_id INTEGER NOT NULL REFERENCES versions(id),
            cosmetic_only INTEGER NOT NULL,
            material INTEGER NOT NULL,
            severity TEXT NOT NULL,
            categories TEXT NOT NULL DEFAULT '[]',
            summary TEXT NOT NULL,
            clause_change_count INTEGER NOT NULL,
            is_flip INTEGER NOT NULL DEFAULT 0,
            technical_upgrade INTEGER NOT NULL DEFAULT 0,
            superseded INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            UNIQUE (from_version_id, to_version_id)
        )"""
    )
    db.execute("CREATE INDEX idx_changes_policy ON changes(policy_id, superseded)")
    db.execute(
        """
        CREATE TABLE clause_changes (
            id INTEGER PRIMARY KEY,
            change_id INTEGER NOT NULL REFERENCES changes(id),
            position INTEGER NOT NULL,
            kind TEXT NOT NULL,
            old_ordinal INTEGER,
            new_ordinal INTEGER,
            old_clause_id INTEGER REFERENCES clause_texts(id),
            new_clause_id INTEGER REFERENCES clause_texts(id),
            heading_id INTEGER NOT NULL REFERENCES headings(id),
            categories TEXT NOT NULL DEFAULT '[]',
            direction TEXT NOT NULL,
            severity TEXT NOT NULL,
            material INTEGER NOT NULL,
            cosmetic INTEGER NOT NULL DEFAULT 0,
            reason TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_clause_changes_change ON clause_changes(change_id)")
    db.execute(
        """
        CREATE TABLE alerts (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            change_id INTEGER REFERENCES changes(id),
            policy_id INTEGER NOT NULL REFERENCES policies(id),
            channel TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT,
            detail TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        )"""
    )
    db.execute("CREATE UNIQUE INDEX idx_alerts_change_channel ON alerts(change_id, channel) WHERE change_id IS NOT NULL")
    db.execute("CREATE INDEX idx_alerts_status ON alerts(status, next_attempt_at)")
    db.execute(
        """
        CREATE TABLE alert_attempts (
            id INTEGER PRIMARY KEY,
            alert_id TEXT NOT NULL REFERENCES alerts(id),
            attempted_at TEXT NOT NULL,
            ok INTEGER NOT NULL,
            error TEXT,
            response_status INTEGER
        )"""
    )
    db.execute(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running',
            summary TEXT
        )"""
    )


@migrations()
def m002_full_text_search(db: Database) -> None:
    db.table("clause_texts").enable_fts(["text"], create_triggers=True, tokenize="porter")


@migrations()
def m003_views(db: Database) -> None:
    db.execute(
        """
        CREATE VIEW schema_migrations AS
        SELECT name, applied_at FROM _sqlite_migrations WHERE migration_set = 'policywatch'"""
    )
    db.execute(
        """
        CREATE VIEW version_clause_texts AS
        SELECT vc.version_id, v.policy_id, vc.ordinal, vc.kind, h.path AS heading, ct.categories, ct.text
        FROM version_clauses vc
        JOIN versions v ON v.id = vc.version_id
        JOIN headings h ON h.id = vc.heading_id
        JOIN clause_texts ct ON ct.id = vc.clause_id"""
    )
    db.execute(
        """
        CREATE VIEW policy_timeline AS
        SELECT p.name AS policy, v.id AS version_id, v.capture_time, v.effective_date,
               v.word_count, v.clause_count,
               (SELECT group_concat(DISTINCT c.source) FROM captures c WHERE c.version_id = v.id) AS sources,
               ch.id AS change_id, ch.severity, ch.material, ch.cosmetic_only, ch.categories, ch.summary,
               v.flip_of, v.technical_upgrade
        FROM versions v
        JOIN policies p ON p.id = v.policy_id
        LEFT JOIN changes ch ON ch.to_version_id = v.id AND ch.superseded = 0 AND ch.technical_upgrade = 0
        WHERE v.current = 1
        ORDER BY p.name, v.capture_time"""
    )
    db.execute(
        """
        CREATE VIEW material_changes AS
        SELECT ch.id AS change_id, p.name AS policy, p.url, fv.capture_time AS from_time,
               tv.capture_time AS to_time, ch.severity, ch.categories, ch.summary, ch.clause_change_count
        FROM changes ch
        JOIN policies p ON p.id = ch.policy_id
        JOIN versions fv ON fv.id = ch.from_version_id
        JOIN versions tv ON tv.id = ch.to_version_id
        WHERE ch.material = 1 AND ch.superseded = 0
        ORDER BY tv.capture_time"""
    )


@migrations()
def m004_capture_http_headers(db: Database) -> None:
    """The HTTP status line and headers of a fetch as recorded (WARC export writes them back)."""
    db.execute("ALTER TABLE captures ADD COLUMN http_status_line TEXT")
    db.execute("ALTER TABLE captures ADD COLUMN http_headers TEXT")  # JSON list of [name, value]


@migrations()
def m005_change_findings(db: Database) -> None:
    """Ranked material findings of a change (JSON list, docs/DESIGN.md "compare --format json").

    NULL for changes recorded before this migration: readers rebuild them from
    the change's clause changes (``tracker.materiality.change_findings``).
    """
    db.execute("ALTER TABLE changes ADD COLUMN findings TEXT")
