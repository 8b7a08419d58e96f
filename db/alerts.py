"""SQL of the alert outbox (tables ``alerts`` and ``alert_attempts``).

The outbox is a queue kept in the database, so "what remains to send" survives
any crash (docs/DESIGN.md). A row moves ``pending -> sending -> sent`` (or back to
``pending`` with a later ``next_attempt_at``, or to ``failed``). While a row is
``sending``, ``next_attempt_at`` holds the end of the sender's lease: a sender
that dies mid-send leaves a row whose lease expires, and the next sender takes
it over. Every state change is a single conditional UPDATE, so two senders can
never both claim the same row.

Times are ISO 8601 UTC strings of one fixed width (``YYYY-MM-DDTHH:MM:SSZ``) so
that string comparison is time comparison.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from sqlite_utils import Database

ALERT_STATUSES: tuple[str, ...] = ("pending", "sending", "sent", "failed")


def insert_alert(
    db: Database,
    *,
    alert_id: str,
    kind: str,
    change_id: int | None,
    policy_id: int,
    channel: str,
    created_at: str,
    detail: str | None = None,
) -> bool:
    """Queue one alert; False when (change, channel) already has one.

    No transaction of its own: the caller's (the ingest's) transaction makes the
    alert appear atomically with the change it reports.
    """
    cursor = db.execute(
        """
        INSERT INTO alerts (id, kind, change_id, policy_id, channel, status, attempts,
                            next_attempt_at, detail, created_at)
        VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
        ON CONFLICT DO NOTHING""",
        [alert_id, kind, change_id, policy_id, channel, created_at, detail, created_at],
    )
    return cursor.rowcount == 1


def get_alert(db: Database, alert_id: str) -> dict[str, Any] | None:
    rows = _dicts(db.execute("SELECT * FROM alerts WHERE id = ?", [alert_id]))
    return rows[0] if rows else None


def due_alert_ids(db: Database, now: str, *, skip_channels: Iterable[str] = ()) -> list[str]:
    """Pending alerts whose time has come, plus ``sending`` ones whose lease expired."""
    skip = list(skip_channels)
    sql = """
        SELECT id FROM alerts
        WHERE status IN ('pending', 'sending') AND next_attempt_at <= ?"""
    if skip:
        sql += f" AND channel NOT IN ({', '.join('?' for _ in skip)})"
    sql += " ORDER BY created_at, id"
    return [row[0] for row in db.execute(sql, [now, *skip]).fetchall()]


def pending_ids_for_channel(db: Database, channel: str, now: str) -> list[str]:
    """Claimable alerts of one channel (for a digest), oldest first."""
    rows = db.execute(
        """
        SELECT id FROM alerts
        WHERE channel = ? AND status IN ('pending', 'sending') AND next_attempt_at <= ?
        ORDER BY created_at, id""",
        [channel, now],
    ).fetchall()
    return [row[0] for row in rows]


def claim_alert(db: Database, alert_id: str, *, now: str, lease_until: str) -> bool:
    """Take an alert for sending; True only for the one sender that wins the row.

    A stale claim (``sending`` with an expired lease) is taken over: its sender
    crashed, and the receiver's idempotency key absorbs a possible repeat.
    """
    cursor = db.execute(
        """
        UPDATE alerts SET status = 'sending', next_attempt_at = ?
        WHERE id = ? AND status IN ('pending', 'sending') AND next_attempt_at <= ?""",
        [lease_until, alert_id, now],
    )
    return cursor.rowcount == 1


def record_attempt(
    db: Database,
    alert_id: str,
    *,
    attempted_at: str,
    ok: bool,
    error: str | None = None,
    response_status: int | None = None,
) -> None:
    db.execute(
        """
        INSERT INTO alert_attempts (alert_id, attempted_at, ok, error, response_status)
        VALUES (?, ?, ?, ?, ?)""",
        [alert_id, attempted_at, int(ok), error, response_status],
    )


def mark_sent(db: Database, alert_id: str, *, lease_until: str, sent_at: str) -> bool:
    """Finish a claim successfully (only if the lease is still ours)."""
    cursor = db.execute(
        """
        UPDATE alerts SET status = 'sent', sent_at = ?, attempts = attempts + 1,
                          last_error = NULL, next_attempt_at = NULL
        WHERE id = ? AND status = 'sending' AND next_attempt_at = ?""",
        [sent_at, alert_id, lease_until],
    )
    return cursor.rowcount == 1


def mark_failed_attempt(
    db: Database,
    alert_id: str,
    *,
    lease_until: str,
    error: str,
    retry_at: str | None,
) -> bool:
    """Finish a claim unsuccessfully: back to pending at ``retry_at``, or ``failed``."""
    status = "pending" if retry_at else "failed"
    cursor = db.execute(
        """
        UPDATE alerts SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?
        WHERE id = ? AND status = 'sending' AND next_attempt_at = ?""",
        [status, error, retry_at, alert_id, lease_until],
    )
    return cursor.rowcount == 1


def release_claim(db: Database, alert_id: str, *, lease_until: str, note: str, retry_at: str) -> bool:
    """Give a claim back without counting an attempt (the channel cannot send yet: held)."""
    cursor = db.execute(
        """
        UPDATE alerts SET status = 'pending', last_error = ?, next_attempt_at = ?
        WHERE id = ? AND status = 'sending' AND next_attempt_at = ?""",
        [note, retry_at, alert_id, lease_until],
    )
    return cursor.rowcount == 1


def alert_with_context(db: Database, alert_id: str) -> dict[str, Any] | None:
    """The alert plus its policy (name, url, group) and change severity, for rendering."""
    rows = _dicts(
        db.execute(
            """
            SELECT a.*, p.name AS policy_name, p.url AS policy_url, p.policy_group,
                   p.last_outcome AS policy_last_outcome, ch.severity AS severity
            FROM alerts a
            JOIN policies p ON p.id = a.policy_id
            LEFT JOIN changes ch ON ch.id = a.change_id
            WHERE a.id = ?""",
            [alert_id],
        )
    )
    return rows[0] if rows else None


def list_alerts(db: Database, *, status: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The outbox for ``policywatch alerts list``, oldest first."""
    sql = """
        SELECT a.id, a.kind, a.change_id, p.name AS policy, a.channel, a.status, a.attempts,
               a.next_attempt_at, a.last_error, a.created_at, a.sent_at, ch.severity
        FROM alerts a
        JOIN policies p ON p.id = a.policy_id
        LEFT JOIN changes ch ON ch.id = a.change_id"""
    params: list[Any] = []
    if status:
        sql += " WHERE a.status = ?"
        params.append(status)
    sql += " ORDER BY a.created_at, a.id"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return _dicts(db.execute(sql, params))


def count_by_status(db: Database) -> dict[str, int]:
    counts = {status: 0 for status in ALERT_STATUSES}
    for status, count in db.execute("SELECT status, count(*) FROM alerts GROUP BY status").fetchall():
        counts[status] = count
    return counts


def attempts_for(db: Database, alert_id: str) -> list[dict[str, Any]]:
    return _dicts(
        db.execute("SELECT * FROM alert_attempts WHERE alert_id = ? ORDER BY id", [alert_id])
    )


def policies_for_health(db: Database) -> list[dict[str, Any]]:
    """Every policy with the columns the health check derives its state from."""
    return _dicts(
        db.execute(
            """
            SELECT id, name, url, policy_group, active, last_checked_at, last_outcome,
                   consecutive_failures, tracking_status
            FROM policies ORDER BY id"""
        )
    )


def set_tracking_status(db: Database, policy_id: int, *, old: str, new: str) -> bool:
    """Flip a policy's tracking status; False when another pass already did."""
    cursor = db.execute(
        "UPDATE policies SET tracking_status = ? WHERE id = ? AND tracking_status = ?",
        [new, policy_id, old],
    )
    return cursor.rowcount == 1


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    names: Sequence[str] = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
