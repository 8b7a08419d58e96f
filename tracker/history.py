"""Reading recorded history back: one change between two versions, rendered."""
from __future__ import annotations

from sqlite_utils import Database

from policywatch.db import changes as change_db
from policywatch.db import policies as policy_db
from policywatch.db import versions as version_db
from policywatch.errors import UsageError
from policywatch.tracker.versioning import diff_versions


def _version_of(db: Database, policy: dict, version_id: int) -> dict:
    version = version_db.get_version(db, version_id)
    if version is None or version["policy_id"] != policy["id"]:
        raise UsageError(f"Version {version_id} is not a version of {policy['name']}; see `policywatch changes --policy {policy['name']}`.")
    return version


def resolve_versions(db: Database, policy_ref: str | int, from_version: int | None, to_version: int | None):
    """The (policy, from, to, stored change or None) a `diff` request designates."""
    policy = policy_db.get_policy(db, policy_ref)
    if from_version is not None and to_version is not None:
        old, new = _version_of(db, policy, from_version), _version_of(db, policy, to_version)
        stored = change_db.find_change(db, policy["id"], from_version, to_version)
        return policy, old, new, stored
    stored = change_db.find_change(db, policy["id"], from_version, to_version)
    if stored is None:
        raise UsageError(
            f"No recorded change of {policy['name']} matches; list them with `policywatch changes --policy {policy['name']}`."
        )
    old = version_db.get_version(db, stored["from_version_id"])
    new = version_db.get_version(db, stored["to_version_id"])
    return policy, old, new, stored


def show_diff(db: Database, policy_ref: str | int, from_version: int | None, to_version: int | None, fmt: str) -> str:
    """Render the change between two versions as text or a standalone HTML page."""
    from policywatch.tracker.compare import render_html, render_text

    policy, old, new, stored = resolve_versions(db, policy_ref, from_version, to_version)
    diff, _, _ = diff_versions(db, old["id"], new["id"])
    title = f"{policy['name']}: version {old['id']} ({old['capture_time']}) -> version {new['id']} ({new['capture_time']})"
    if fmt == "html":
        return render_html(diff, title=title)
    header = [title, f"URL: {policy['url']}"]
    if stored is not None:
        header.append(f"Recorded verdict: {stored['summary']}")
    return "\n".join(header) + "\n\n" + render_text(diff)
