"""Read-only queries behind the HTML report (tracker.report).

The report needs a few aggregates that the CLI listings do not: which sources
saw each version, how the fetch attempts went, when each capture happened (the
timeline picture) and which alerts each change raised. Changes themselves are
read with ``db.changes.list_changes``/``clause_change_rows``.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlite_utils import Database


def policy_overview(db: Database) -> list[dict[str, Any]]:
    """One row per policy for the report's index, ordered by name.

    Keys: the ``policies`` columns, ``versions``, ``latest_version_time``,
    ``material_changes`` (technical upgrades excluded) and ``live_captures``.
    """
    return list(
        db.query(
            """
            SELECT p.*,
                   (SELECT count(*) FROM versions v WHERE v.policy_id = p.id AND v.current = 1) AS versions,
                   (SELECT max(v.capture_time) FROM versions v WHERE v.policy_id = p.id AND v.current = 1)
                       AS latest_version_time,
                   (SELECT count(*) FROM changes c WHERE c.policy_id = p.id AND c.superseded = 0
                        AND c.material = 1 AND c.technical_upgrade = 0) AS material_changes,
                   (SELECT count(*) FROM captures k WHERE k.policy_id = p.id AND k.source = 'live') AS live_captures
            FROM policies p
            ORDER BY p.name"""
        )
    )


def _counts_by(db: Database, table: str, key: str, label: str, policy_id: int) -> dict[int, dict[str, int]]:
    """``{key: {label: rows}}`` over one policy's rows of ``table`` that have a ``key``."""
    grouped: dict[int, dict[str, int]] = defaultdict(dict)
    rows = db.execute(
        f"SELECT {key}, {label}, count(*) FROM {table} WHERE policy_id = ? AND {key} IS NOT NULL "
        f"GROUP BY {key}, {label} ORDER BY {key}, {label}",
        [policy_id],
    )
    for group, name, count in rows:
        grouped[int(group)][name] = int(count)
    return dict(grouped)


def version_sources(db: Database, policy_id: int) -> dict[int, dict[str, int]]:
    """For each version of a policy: how many captures of each source saw its text."""
    return _counts_by(db, "captures", "version_id", "source", policy_id)


def alert_status_by_change(db: Database, policy_id: int) -> dict[int, dict[str, int]]:
    """For each change of a policy that raised alerts: how many are ``sent``, ``pending``, ``failed``..."""
    return _counts_by(db, "alerts", "change_id", "status", policy_id)


def capture_outcomes(db: Database, policy_id: int) -> dict[str, int]:
    """Fetch attempts of a policy by outcome (``ok``, ``soft_404``, ...), most frequent first."""
    rows = db.execute(
        "SELECT outcome, count(*) AS n FROM captures WHERE policy_id = ? GROUP BY outcome ORDER BY n DESC, outcome",
        [policy_id],
    )
    return {outcome: int(n) for outcome, n in rows}


def capture_times(db: Database, policy_id: int) -> list[tuple[str, str]]:
    """Every fetch attempt of a policy as (capture time, outcome), oldest first (the timeline picture)."""
    rows = db.execute("SELECT capture_time, outcome FROM captures WHERE policy_id = ? ORDER BY capture_time", [policy_id])
    return [(t, o) for t, o in rows]
