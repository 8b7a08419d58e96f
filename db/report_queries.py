"""Read-only queries behind the HTML report (tracker.report).

The report needs a few aggregates that the CLI listings do not: each policy's
latest real change (technical upgrades excluded, since they are not the site's
doing), which sources saw each version, and how the fetch attempts went.
Changes themselves are read with ``db.changes.list_changes``/``clause_changes_json``.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlite_utils import Database

_LATEST_CHANGE = """
    (SELECT c.id FROM changes c JOIN versions t ON t.id = c.to_version_id
     WHERE c.policy_id = p.id AND c.superseded = 0 AND c.technical_upgrade = 0
     ORDER BY t.capture_time DESC, c.id DESC LIMIT 1)
"""


def policy_overview(db: Database) -> list[dict[str, Any]]:
    """One row per policy for the report's index, ordered by name.

    Keys: the ``policies`` columns, ``versions``, ``material_changes``, and the
    latest change's ``last_change_id``, ``last_change_time``, ``last_severity``,
    ``last_material`` (all None when the policy has no change yet).
    """
    return list(
        db.query(
            f"""
            SELECT p.*,
                   (SELECT count(*) FROM versions v WHERE v.policy_id = p.id AND v.current = 1) AS versions,
                   (SELECT count(*) FROM changes c WHERE c.policy_id = p.id AND c.superseded = 0
                        AND c.material = 1 AND c.technical_upgrade = 0) AS material_changes,
                   lc.id AS last_change_id, lt.capture_time AS last_change_time,
                   lc.severity AS last_severity, lc.material AS last_material
            FROM policies p
            LEFT JOIN changes lc ON lc.id = {_LATEST_CHANGE}
            LEFT JOIN versions lt ON lt.id = lc.to_version_id
            ORDER BY p.name"""
        )
    )


def version_sources(db: Database, policy_id: int) -> dict[int, dict[str, int]]:
    """For each version of a policy: how many captures of each source saw its text."""
    sources: dict[int, dict[str, int]] = defaultdict(dict)
    rows = db.execute(
        "SELECT version_id, source, count(*) FROM captures WHERE policy_id = ? AND version_id IS NOT NULL "
        "GROUP BY version_id, source ORDER BY version_id, source",
        [policy_id],
    )
    for version_id, source, count in rows:
        sources[int(version_id)][source] = int(count)
    return dict(sources)


def capture_outcomes(db: Database, policy_id: int) -> dict[str, int]:
    """Fetch attempts of a policy by outcome (``ok``, ``soft_404``, ...), most frequent first."""
    rows = db.execute(
        "SELECT outcome, count(*) AS n FROM captures WHERE policy_id = ? GROUP BY outcome ORDER BY n DESC, outcome",
        [policy_id],
    )
    return {outcome: int(n) for outcome, n in rows}


def alert_status_by_change(db: Database, policy_id: int) -> dict[int, dict[str, int]]:
    """For each change of a policy that raised alerts: how many are ``sent``, ``pending``, ``failed``..."""
    statuses: dict[int, dict[str, int]] = defaultdict(dict)
    rows = db.execute(
        "SELECT change_id, status, count(*) FROM alerts WHERE policy_id = ? AND change_id IS NOT NULL "
        "GROUP BY change_id, status ORDER BY change_id, status",
        [policy_id],
    )
    for change_id, status, count in rows:
        statuses[int(change_id)][status] = int(count)
    return dict(statuses)
