"""Queries about tracked policies: add, look up by name or id, list, record moves."""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from sqlite_utils import Database

from policywatch.clock import now_stamp
from policywatch.errors import UsageError

_NAME_RE = re.compile(r"[^a-z0-9]+")


def utc_now() -> str:
    """Current UTC time as ISO 8601 with a Z suffix (the format of every time column)."""
    return now_stamp()


def name_from_url(url: str) -> str:
    """A readable default name: the host without www, e.g. ``example-org``."""
    host = (urlparse(url).hostname or url).lower()
    host = host[4:] if host.startswith("www.") else host
    return _NAME_RE.sub("-", host).strip("-") or "policy"


def validate_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UsageError(f"{url!r} is not an http(s) URL; give the full address, e.g. https://example.org/privacy")
    return url


def get_policy(db: Database, name_or_id: str | int) -> dict[str, Any]:
    """The policy row for a name or numeric id; UsageError naming the known policies otherwise."""
    key = str(name_or_id)
    row = None
    if key.isdigit():
        row = next(db.query("SELECT * FROM policies WHERE id = ?", [int(key)]), None)
    if row is None:
        row = next(db.query("SELECT * FROM policies WHERE name = ?", [key]), None)
    if row is None:
        names = [r["name"] for r in db.query("SELECT name FROM policies ORDER BY name LIMIT 10")]
        hint = f" Known policies: {', '.join(names)}." if names else " No policy is tracked yet: use `policywatch add`."
        raise UsageError(f"Unknown policy {key!r}.{hint}")
    return row


def find_policy(db: Database, name: str) -> dict[str, Any] | None:
    return next(db.query("SELECT * FROM policies WHERE name = ?", [name]), None)


def add_policy(
    db: Database,
    url: str,
    name: str | None = None,
    type: str = "privacy_policy",
    group: str | None = None,
    select_css: str | None = None,
    remove_css: str | None = None,
) -> dict[str, Any]:
    """Track a policy; adding the same name and URL again is a no-op (idempotent)."""
    validate_url(url)
    name = name or name_from_url(url)
    existing = find_policy(db, name)
    if existing is not None:
        if existing["url"] != url:
            raise UsageError(
                f"A policy named {name!r} already tracks {existing['url']}; choose another --name."
            )
        return existing
    with db.atomic():
        db.execute(
            "INSERT INTO policies (name, url, type, policy_group, select_css, remove_css, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [name, url, type, group, select_css, remove_css, utc_now()],
        )
    return get_policy(db, name)


def ensure_policy(db: Database, name: str, url: str) -> dict[str, Any]:
    """The named policy, created with ``url`` if it does not exist (used by import)."""
    existing = find_policy(db, name)
    if existing is not None:
        return existing
    db.execute(
        "INSERT INTO policies (name, url, type, created_at) VALUES (?, ?, 'privacy_policy', ?)",
        [name, url, utc_now()],
    )
    return get_policy(db, name)


def list_policies(db: Database, *, active_only: bool = False) -> list[dict[str, Any]]:
    """Tracked policies with version counts and their last check, for `policywatch list`."""
    where = "WHERE p.active = 1" if active_only else ""
    return list(
        db.query(
            f"""
            SELECT p.*,
                   (SELECT count(*) FROM versions v WHERE v.policy_id = p.id AND v.current = 1) AS versions,
                   (SELECT max(v.capture_time) FROM versions v WHERE v.policy_id = p.id AND v.current = 1)
                       AS latest_version_time,
                   (SELECT count(*) FROM changes c WHERE c.policy_id = p.id AND c.superseded = 0
                        AND c.material = 1) AS material_changes
            FROM policies p {where}
            ORDER BY p.name"""
        )
    )


def other_policy_urls(db: Database, policy_id: int) -> list[str]:
    """URLs tracked by every other policy (rediscovery must never move onto one)."""
    return [row[0] for row in db.execute("SELECT url FROM policies WHERE id != ?", [policy_id]).fetchall()]


def record_move(db: Database, policy_id: int, old_url: str, new_url: str, reason: str) -> None:
    """A policy found at a new address: same policy, new URL, with the move on record."""
    validate_url(new_url)
    with db.atomic():
        db.execute("UPDATE policies SET url = ? WHERE id = ?", [new_url, policy_id])
        db.execute(
            "INSERT INTO policy_moves (policy_id, old_url, new_url, moved_at, reason) VALUES (?, ?, ?, ?, ?)",
            [policy_id, old_url, new_url, utc_now(), reason],
        )


def record_check(db: Database, policy_id: int, outcome: str, checked_at: str, *, live: bool) -> None:
    """Keep last outcome and the consecutive-failure count that health alerts read."""
    if live:
        if outcome in ("ok", "not_modified"):
            db.execute(
                "UPDATE policies SET last_checked_at = ?, last_outcome = ?, consecutive_failures = 0 WHERE id = ?",
                [checked_at, outcome, policy_id],
            )
        else:
            db.execute(
                "UPDATE policies SET last_checked_at = ?, last_outcome = ?, "
                "consecutive_failures = consecutive_failures + 1 WHERE id = ?",
                [checked_at, outcome, policy_id],
            )


def mark_seeded(db: Database, policy_ids: list[int]) -> None:
    """Record that these policies' first history has been ingested completely.

    Until then (a first import or backfill, even one killed and resumed) their
    changes are recorded without alerts (docs/DESIGN.md "When alerts are raised").
    """
    for policy_id in policy_ids:
        db.execute(
            "UPDATE policies SET seeded_at = ? WHERE id = ? AND seeded_at IS NULL "
            "AND EXISTS (SELECT 1 FROM versions WHERE policy_id = ? AND current = 1)",
            [utc_now(), policy_id, policy_id],
        )
