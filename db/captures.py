"""Captures: every fetch attempt, whatever its outcome."""
from __future__ import annotations

from typing import Any

from sqlite_utils import Database

CAPTURE_COLUMNS = (
    "capture_key", "policy_id", "source", "url", "final_url", "capture_time", "fetched_at", "http_status",
    "content_type", "outcome", "detail", "blob_sha256", "etag", "last_modified", "wayback_digest", "version_id",
    "http_status_line", "http_headers",
)


def find_capture(db: Database, capture_key: str) -> dict[str, Any] | None:
    return next(db.query("SELECT * FROM captures WHERE capture_key = ?", [capture_key]), None)


def insert_capture(db: Database, row: dict[str, Any]) -> int:
    cols = [c for c in CAPTURE_COLUMNS if c in row]
    cur = db.execute(
        f"INSERT INTO captures ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [row[c] for c in cols],
    )
    assert cur.lastrowid is not None  # an INSERT always sets it
    return cur.lastrowid


def set_capture_version(db: Database, capture_id: int, version_id: int | None) -> None:
    db.execute("UPDATE captures SET version_id = ? WHERE id = ?", [version_id, capture_id])


def set_capture_outcome(db: Database, capture_id: int, outcome: str, detail: str | None) -> None:
    db.execute("UPDATE captures SET outcome = ?, detail = ? WHERE id = ?", [outcome, detail, capture_id])


def latest_blob(db: Database, policy_id: int) -> str | None:
    """The policy's most recently stored body: the delta base for the next one."""
    row = db.execute(
        "SELECT blob_sha256 FROM captures WHERE policy_id = ? AND blob_sha256 IS NOT NULL ORDER BY id DESC LIMIT 1",
        [policy_id],
    ).fetchone()
    return row[0] if row else None


def ok_captures(db: Database, policy_id: int) -> list[dict[str, Any]]:
    """Captures whose body can be re-extracted, in capture order (for reprocess)."""
    return list(
        db.query(
            "SELECT * FROM captures WHERE policy_id = ? AND blob_sha256 IS NOT NULL "
            "AND outcome NOT IN ('http_error', 'network_error', 'too_large', 'unsupported_type', 'blocked', "
            "'not_modified') ORDER BY capture_time, id",
            [policy_id],
        )
    )


def stored_bodies(db: Database, *, policy_id: int | None = None, since: str | None = None) -> list[dict[str, Any]]:
    """Captures that kept their raw body, with their policy's name, by policy and time (WARC export)."""
    where: list[str] = ["c.blob_sha256 IS NOT NULL"]
    params: list[Any] = []
    if policy_id is not None:
        where.append("c.policy_id = ?")
        params.append(policy_id)
    if since:
        where.append("c.capture_time >= ?")
        params.append(since)
    return list(
        db.query(
            "SELECT c.*, p.name AS policy_name FROM captures c JOIN policies p ON p.id = c.policy_id "
            f"WHERE {' AND '.join(where)} ORDER BY p.name, c.capture_time, c.id",
            params,
        )
    )


def previous_body_capture(db: Database, policy_id: int, capture_time: str) -> dict[str, Any] | None:
    """The policy's last capture with a stored body before ``capture_time`` (suspect-capture checks)."""
    return next(
        db.query(
            "SELECT * FROM captures WHERE policy_id = ? AND capture_time < ? AND blob_sha256 IS NOT NULL "
            "ORDER BY capture_time DESC, id DESC LIMIT 1",
            [policy_id, capture_time],
        ),
        None,
    )
