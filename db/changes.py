"""Changes between consecutive versions, their clause changes, and the JSON views of them."""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from policywatch.db.policies import utc_now
from policywatch.errors import RecordNotFound


def insert_change(db: Database, row: dict[str, Any], clause_rows: Sequence[dict[str, Any]]) -> int:
    row = {**row, "created_at": utc_now()}
    cols = list(row)
    cur = db.execute(
        f"INSERT INTO changes ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
        "ON CONFLICT (from_version_id, to_version_id) DO UPDATE SET superseded = 0",
        [row[c] for c in cols],
    )
    change_id = int(
        db.execute(
            "SELECT id FROM changes WHERE from_version_id = ? AND to_version_id = ?",
            [row["from_version_id"], row["to_version_id"]],
        ).fetchone()[0]
    )
    if cur.rowcount and not db.execute("SELECT 1 FROM clause_changes WHERE change_id = ?", [change_id]).fetchone():
        ccols = list(clause_rows[0]) if clause_rows else []
        if ccols:
            db.conn.executemany(
                f"INSERT INTO clause_changes (change_id, {', '.join(ccols)}) VALUES (?, {', '.join('?' * len(ccols))})",
                [[change_id, *[r[c] for c in ccols]] for r in clause_rows],
            )
    return change_id


def supersede_change(db: Database, from_version_id: int, to_version_id: int) -> None:
    """A version slotted in between: the old direct change no longer describes history."""
    db.execute(
        "UPDATE changes SET superseded = 1 WHERE from_version_id = ? AND to_version_id = ?",
        [from_version_id, to_version_id],
    )


def supersede_policy_changes(db: Database, policy_id: int) -> None:
    """Reprocess retires a whole chain: none of its changes describes history any more."""
    db.execute(
        "UPDATE changes SET superseded = 1 WHERE superseded = 0 AND (to_version_id IN {ids} OR from_version_id IN {ids})"
        .format(ids="(SELECT id FROM versions WHERE policy_id = ? AND current = 1)"),
        [policy_id, policy_id],
    )


def _number_of(alias: str) -> str:
    """SQL for the per-policy number (v1..vN, by capture time) of version ``alias``; NULL when not current."""
    return (
        f"CASE WHEN {alias}.current = 1 THEN (SELECT count(*) FROM versions n WHERE n.policy_id = {alias}.policy_id "
        f"AND n.current = 1 AND (n.capture_time < {alias}.capture_time "
        f"OR (n.capture_time = {alias}.capture_time AND n.id <= {alias}.id))) END"
    )


_CHANGE_SELECT = f"""
    SELECT c.*, p.name AS policy, p.url AS policy_url, f.capture_time AS from_time, t.capture_time AS to_time,
           {_number_of("f")} AS from_number, {_number_of("t")} AS to_number
    FROM changes c
    JOIN policies p ON p.id = c.policy_id
    JOIN versions f ON f.id = c.from_version_id
    JOIN versions t ON t.id = c.to_version_id
"""


def _change_entry(row: dict[str, Any]) -> dict[str, Any]:
    """One entry of `changes --format json` (docs/DESIGN.md), plus a few extra keys."""
    return {
        "policy": row["policy"],
        "from_version": row["from_version_id"],
        "to_version": row["to_version_id"],
        "from_number": row["from_number"],
        "to_number": row["to_number"],
        "from_time": row["from_time"],
        "to_time": row["to_time"],
        "cosmetic_only": bool(row["cosmetic_only"]),
        "material": bool(row["material"]),
        "severity": row["severity"],
        "categories": json.loads(row["categories"]),
        "summary": row["summary"],
        "clause_changes": row["clause_change_count"],
        "change_id": row["id"],
        "flip": bool(row["is_flip"]),
        "technical_upgrade": bool(row["technical_upgrade"]),
        "findings": json.loads(row["findings"]) if row.get("findings") else [],
    }


def list_changes(
    db: Database,
    *,
    policy_id: int | None = None,
    material: bool | None = None,
    since: str | None = None,
) -> list[dict[str, Any]]:
    """Recorded (not superseded) changes ordered by ``to_time``."""
    where: list[str] = ["c.superseded = 0"]
    params: list[Any] = []
    if policy_id is not None:
        where.append("c.policy_id = ?")
        params.append(policy_id)
    if material:
        where.append("c.material = 1")
    if since:
        where.append("t.capture_time >= ?")
        params.append(since)
    sql = _CHANGE_SELECT + " WHERE " + " AND ".join(where) + " ORDER BY t.capture_time, c.id"
    return [_change_entry(r) for r in db.query(sql, params)]


def change_json(db: Database, change_id: int) -> dict[str, Any]:
    row = next(db.query(_CHANGE_SELECT + " WHERE c.id = ?", [change_id]), None)
    if row is None:
        raise RecordNotFound(f"change {change_id} does not exist")
    return _change_entry(row)


def stored_findings(db: Database, change_id: int) -> str | None:
    """The findings JSON stored with a change (None when recorded before findings were stored)."""
    row = db.execute("SELECT findings FROM changes WHERE id = ?", [change_id]).fetchone()
    return row[0] if row else None


def find_change(db: Database, policy_id: int, from_version: int | None, to_version: int | None) -> dict | None:
    """The change ending at ``to_version`` (or starting at ``from_version``), else the latest one."""
    where, params = ["c.policy_id = ?", "c.superseded = 0"], [policy_id]
    if to_version is not None:
        where.append("c.to_version_id = ?")
        params.append(to_version)
    if from_version is not None:
        where.append("c.from_version_id = ?")
        params.append(from_version)
    sql = _CHANGE_SELECT + " WHERE " + " AND ".join(where) + " ORDER BY t.capture_time DESC LIMIT 1"
    return next(db.query(sql, params), None)


def clause_change_rows(db: Database, change_id: int) -> list[dict[str, Any]]:
    """Clause changes of one change in document order, JSON columns decoded.

    The keys are those ``tracker.model.ClauseChange.from_json`` reads (``db`` sits
    below the tracker, so it hands rows up and the tracker builds its records).
    """
    rows = db.query(
        "SELECT cc.kind, cc.old_ordinal, cc.new_ordinal, o.text AS old_text, n.text AS new_text, "
        "h.path AS heading, cc.categories, cc.direction, cc.severity, cc.material, cc.cosmetic, cc.reason "
        "FROM clause_changes cc JOIN headings h ON h.id = cc.heading_id "
        "LEFT JOIN clause_texts o ON o.id = cc.old_clause_id LEFT JOIN clause_texts n ON n.id = cc.new_clause_id "
        "WHERE cc.change_id = ? ORDER BY cc.position",
        [change_id],
    )
    return [{**r, "heading": json.loads(r["heading"]), "categories": json.loads(r["categories"])} for r in rows]
