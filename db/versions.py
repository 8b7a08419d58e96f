"""Versions: distinct extracted texts of a policy, ordered by capture time."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from policywatch.db.policies import utc_now


# Versions are ordered by (capture_time, text_sha256): two texts captured at the same second
# (a live capture and an imported file) are ordered by their hash, never by which was ingested
# first, so re-ingesting in another order gives the same chain.
_AFTER_EVERY_HASH = "\U0010ffff"


def neighbours(
    db: Database, policy_id: int, capture_time: str, text_sha256: str | None = None
) -> tuple[dict | None, dict | None]:
    """The current versions just before (at or before) and just after ``(capture_time, text_sha256)``.

    Without ``text_sha256``: at or before ``capture_time``, and after it.
    """
    key = [capture_time, _AFTER_EVERY_HASH if text_sha256 is None else text_sha256]
    prev = next(
        db.query(
            "SELECT * FROM versions WHERE policy_id = ? AND current = 1 AND (capture_time, text_sha256) <= (?, ?) "
            "ORDER BY capture_time DESC, text_sha256 DESC, id DESC LIMIT 1",
            [policy_id, *key],
        ),
        None,
    )
    nxt = next(
        db.query(
            "SELECT * FROM versions WHERE policy_id = ? AND current = 1 AND (capture_time, text_sha256) > (?, ?) "
            "ORDER BY capture_time, text_sha256, id LIMIT 1",
            [policy_id, *key],
        ),
        None,
    )
    return prev, nxt


def count_versions(db: Database, policy_id: int) -> int:
    return db.execute("SELECT count(*) FROM versions WHERE policy_id = ? AND current = 1", [policy_id]).fetchone()[0]


def earliest_with_text(db: Database, policy_id: int, text_sha256: str, *, exclude: int | None = None) -> dict | None:
    return next(
        db.query(
            "SELECT * FROM versions WHERE policy_id = ? AND current = 1 AND text_sha256 = ? AND id != ? "
            "ORDER BY capture_time, id LIMIT 1",
            [policy_id, text_sha256, exclude or -1],
        ),
        None,
    )


def insert_version(db: Database, row: dict[str, Any], clause_rows: Sequence[tuple]) -> int:
    """Insert a version and its ordered clause list ``(ordinal, clause_id, kind, heading_id)``."""
    row = {**row, "created_at": utc_now()}
    cols = list(row)
    cur = db.execute(
        f"INSERT INTO versions ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", [row[c] for c in cols]
    )
    assert cur.lastrowid is not None  # an INSERT always sets it
    version_id = cur.lastrowid
    db.conn.executemany(
        "INSERT INTO version_clauses (version_id, ordinal, clause_id, kind, heading_id) VALUES (?, ?, ?, ?, ?)",
        [(version_id, *row) for row in clause_rows],
    )
    return version_id


def move_version_start(db: Database, version_id: int, capture_time: str, capture_id: int) -> None:
    """An earlier sighting of the same text: the version started earlier than we knew."""
    db.execute(
        "UPDATE versions SET capture_time = ?, first_capture_id = ? WHERE id = ?",
        [capture_time, capture_id, version_id],
    )


def relink_flips(db: Database, policy_id: int, text_sha256: str) -> None:
    """Point every later version with the same text at the earliest one (flip detection)."""
    first = earliest_with_text(db, policy_id, text_sha256)
    if first is None:
        return
    db.execute("UPDATE versions SET flip_of = NULL WHERE id = ?", [first["id"]])
    db.execute(
        "UPDATE versions SET flip_of = ? WHERE policy_id = ? AND current = 1 AND text_sha256 = ? AND id != ?",
        [first["id"], policy_id, text_sha256, first["id"]],
    )


def get_version(db: Database, version_id: int) -> dict[str, Any] | None:
    return next(db.query("SELECT * FROM versions WHERE id = ?", [version_id]), None)


def version_clause_rows(db: Database, version_id: int) -> list[dict[str, Any]]:
    """The ordered clauses of a version with their texts."""
    return list(
        db.query(
            "SELECT vc.ordinal, vc.clause_id, vc.kind, h.path AS heading, ct.categories, ct.text "
            "FROM version_clauses vc JOIN clause_texts ct ON ct.id = vc.clause_id "
            "JOIN headings h ON h.id = vc.heading_id "
            "WHERE vc.version_id = ? ORDER BY vc.ordinal",
            [version_id],
        )
    )


def policy_versions(db: Database, policy_id: int) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT * FROM versions WHERE policy_id = ? AND current = 1 ORDER BY capture_time, text_sha256, id",
            [policy_id],
        )
    )


def latest_version(db: Database, policy_id: int) -> dict[str, Any] | None:
    return next(
        db.query(
            "SELECT * FROM versions WHERE policy_id = ? AND current = 1 "
            "ORDER BY capture_time DESC, text_sha256 DESC, id DESC LIMIT 1",
            [policy_id],
        ),
        None,
    )


def retire_versions(db: Database, policy_id: int) -> None:
    """Mark a policy's versions as not current (reprocess builds a new chain)."""
    db.execute("UPDATE versions SET current = 0 WHERE policy_id = ? AND current = 1", [policy_id])


def mark_technical_upgrade(db: Database, version_id: int) -> None:
    """The version differs from its predecessor only because extraction changed."""
    db.execute("UPDATE versions SET technical_upgrade = 1 WHERE id = ?", [version_id])


def version_by_number(db: Database, policy_id: int, number: int) -> dict[str, Any] | None:
    """The policy's ``number``-th current version (1-based, by capture time): what ``v3`` means."""
    if number < 1:
        return None
    return next(
        db.query(
            "SELECT * FROM versions WHERE policy_id = ? AND current = 1 ORDER BY capture_time, id LIMIT 1 OFFSET ?",
            [policy_id, number - 1],
        ),
        None,
    )


def version_number(db: Database, version: dict[str, Any]) -> int | None:
    """The per-policy number of a version (None for a version a reprocess retired)."""
    if not version["current"]:
        return None
    return int(
        db.execute(
            "SELECT count(*) FROM versions WHERE policy_id = ? AND current = 1 "
            "AND (capture_time < ? OR (capture_time = ? AND id <= ?))",
            [version["policy_id"], version["capture_time"], version["capture_time"], version["id"]],
        ).fetchone()[0]
    )


def clauses_in_other_policies(db: Database, policy_id: int, clause_ids: Sequence[int]) -> dict[int, int]:
    """Which of ``clause_ids`` a current version of another policy holds: clause id -> policy id."""
    found: dict[int, int] = {}
    ids = list(dict.fromkeys(clause_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for clause_id, other in db.execute(
            f"SELECT vc.clause_id, min(v.policy_id) FROM version_clauses vc JOIN versions v ON v.id = vc.version_id "
            f"WHERE v.current = 1 AND v.policy_id != ? AND vc.clause_id IN ({marks}) GROUP BY vc.clause_id",
            [policy_id, *chunk],
        ).fetchall():
            found[clause_id] = other
    return found
