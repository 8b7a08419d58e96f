"""Reading recorded history back: which change a `diff` request means, its clause changes, rendered.

Versions are named per policy, v1..vN by capture time (what the CLI, JSON
``from_number``/``to_number``, report and alerts show); a database id stays
reachable as ``id:37``. A range always goes forward in time: ``--from 5 --to 3``
is refused with the corrected command rather than silently diffed backwards.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from policywatch.db import changes as change_db
from policywatch.db import policies as policy_db
from policywatch.db import versions as version_db
from policywatch.errors import UsageError
from policywatch.tracker.model import ClauseChange, DocumentDiff
from policywatch.tracker.versioning import diff_versions

if TYPE_CHECKING:
    from rich.text import Text

__all__ = ["DiffView", "clause_changes", "resolve_diff", "view_html", "view_json", "view_text", "show_diff"]

_REF = re.compile(r"(?:v(?P<number>\d+)|(?P<plain>\d+)|id:(?P<id>\d+))", re.I)


def clause_changes(db: Database, change_id: int) -> list[ClauseChange]:
    """The recorded clause changes of one change, as the tracker's records."""
    return [ClauseChange.from_json(row) for row in change_db.clause_change_rows(db, change_id)]


@dataclass(frozen=True)
class DiffView:
    """What `diff` shows: two versions of a policy, their numbers, the stored change (if any) and the diff."""

    policy: dict[str, Any]
    old: dict[str, Any]
    new: dict[str, Any]
    old_number: int | None
    new_number: int | None
    stored: dict[str, Any] | None
    diff: DocumentDiff

    @property
    def title(self) -> str:
        return (f"{self.policy['name']}: {_label(self.old_number, self.old)} ({self.old['capture_time']}) -> "
                f"{_label(self.new_number, self.new)} ({self.new['capture_time']})")


def _label(number: int | None, version: dict[str, Any]) -> str:
    return f"v{number}" if number is not None else f"version id {version['id']} (earlier extraction)"


def _version(db: Database, policy: dict[str, Any], ref: str, option: str) -> dict[str, Any]:
    match = _REF.fullmatch(ref.strip())
    if not match:
        raise UsageError(f"{option} {ref!r}: give a version number like 3 or v3 (or a database id like id:37).")
    name = policy["name"]
    if match["id"]:
        version = version_db.get_version(db, int(match["id"]))
        if version is None or version["policy_id"] != policy["id"]:
            raise UsageError(f"{option} {ref}: no version with that id belongs to {name}.")
        return version
    number = int(match["number"] or match["plain"])
    version = version_db.version_by_number(db, policy["id"], number)
    if version is None:
        count = version_db.count_versions(db, policy["id"])
        raise UsageError(f"{option} {ref}: {name} has versions v1 to v{count}." if count else f"{name} has no version yet.")
    return version


def resolve_diff(db: Database, policy_ref: str | int, from_ref: str | None, to_ref: str | None) -> DiffView:
    """The two versions (and stored change) a `diff` request designates; the diff computed."""
    policy = policy_db.get_policy(db, policy_ref)
    name = policy["name"]
    old = _version(db, policy, from_ref, "--from") if from_ref is not None else None
    new = _version(db, policy, to_ref, "--to") if to_ref is not None else None
    if old is not None and new is not None:
        if old["id"] == new["id"]:
            raise UsageError(f"--from and --to name the same version of {name}; pick two different versions.")
        if (old["capture_time"], old["id"]) > (new["capture_time"], new["id"]):
            raise UsageError(f"--from {from_ref} is newer than --to {to_ref}: a diff goes forward in time; "
                             f"use --from {to_ref} --to {from_ref}.")
        stored = change_db.find_change(db, policy["id"], old["id"], new["id"])
    else:
        stored = change_db.find_change(db, policy["id"], old["id"] if old else None, new["id"] if new else None)
        if stored is None:
            where = f" ending at --to {to_ref}" if new else (f" starting at --from {from_ref}" if old else "")
            raise UsageError(f"No recorded change of {name}{where}; list them with `policywatch changes --policy {name}`.")
        old = version_db.get_version(db, stored["from_version_id"])
        new = version_db.get_version(db, stored["to_version_id"])
    assert old is not None and new is not None  # both found, or both read from the stored change
    diff, _, _ = diff_versions(db, old["id"], new["id"])
    return DiffView(policy, old, new, version_db.version_number(db, old), version_db.version_number(db, new), stored, diff)


def view_text(view: DiffView, *, material_only: bool = False) -> "Text":
    """The terminal view as a rich ``Text`` (``.plain`` for pipes)."""
    from policywatch.tracker.render.text import diff_text

    header = [view.title, f"URL: {view.policy['url']}"]
    if view.stored is not None:
        header.append(f"Recorded verdict: {view.stored['summary']}")
    return diff_text(view.diff, header=header, material_only=material_only)


def view_html(view: DiffView) -> str:
    from policywatch.tracker.render.changes import diff_page

    return diff_page(view.diff, view.title, base_url=view.policy["url"])


def view_json(view: DiffView, *, material_only: bool = False) -> dict[str, Any]:
    """``compare --format json`` of the two versions, plus which policy and versions they are."""
    from policywatch.tracker.compare import diff_to_json

    data = diff_to_json(view.diff)
    if material_only:
        data["changes"] = [c for c in data["changes"] if c["material"]]
    return {
        "policy": view.policy["name"],
        "from_version": view.old["id"], "to_version": view.new["id"],
        "from_number": view.old_number, "to_number": view.new_number,
        "from_time": view.old["capture_time"], "to_time": view.new["capture_time"],
        "change_id": view.stored["id"] if view.stored else None,
        **data,
    }


def show_diff(db: Database, policy_ref: str | int, from_ref: str | None, to_ref: str | None, fmt: str) -> str:
    """Render one change as plain text or a standalone HTML page (library entry point)."""
    view = resolve_diff(db, policy_ref, from_ref, to_ref)
    return view_html(view) if fmt == "html" else view_text(view).plain
