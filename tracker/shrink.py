"""Did the page really shrink? The check that turns a suspect capture into a version.

``tracker.quality`` records a text that lost most of its predecessor as a suspect
capture (outcome ``truncated``: no version, no alert), because a broken extraction or
a half-served page looks exactly like that. A real shrink shows itself, though:

* the next capture confirms it: the capture just before this one was a suspect with
  the same text, or (when backfilling) a later version already holds this text;
* the missing text is found elsewhere: most of it is now in another tracked policy
  (the company split its policy over several pages).

Then the text is accepted (outcome ``ok``) and the detail says why.
"""
from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from policywatch.db import captures as capture_db
from policywatch.db import versions as version_db
from policywatch.tracker.quality import Quality, assess_text, retained_share, word_count

__all__ = ["judge_text"]

# Two texts are "the same text" when each keeps this share of the other's words.
SAME_TEXT = 0.9
# Share of the missing words that must be found in other policies.
FOUND_ELSEWHERE = 0.5


def judge_text(db: Database, policy: dict[str, Any], capture_time: str, text: str) -> Quality:
    """Quality of a capture's text against its policy's history (see module docstring)."""
    prev, nxt = version_db.neighbours(db, policy["id"], capture_time)
    previous_text = _version_text(db, prev["id"]) if prev else None
    quality = assess_text(text, previous_words=prev["word_count"] if prev else None, previous_text=previous_text)
    if quality.outcome != "truncated" or prev is None or previous_text is None:
        return quality
    reason = _confirmation(db, policy, capture_time, text, previous_text, prev["id"], nxt)
    if reason is None:
        return quality
    plain = assess_text(text)  # every other check still applies
    if not plain.ok:
        return plain
    share = round(100 * word_count(text) / max(1, prev["word_count"]))
    return Quality("ok", f"The text shrank to {share}% of the previous version's words; accepted because {reason}.")


def _version_text(db: Database, version_id: int) -> str:
    return "\n\n".join(row["text"] for row in version_db.version_clause_rows(db, version_id))


def _same_text(a: str, b: str) -> bool:
    return retained_share(a, b) >= SAME_TEXT and retained_share(b, a) >= SAME_TEXT


def _confirmation(
    db: Database, policy: dict[str, Any], capture_time: str, text: str, previous_text: str, prev_id: int,
    nxt: dict[str, Any] | None,
) -> str | None:
    """Why the shrink is real, or None while it is only suspect."""
    if nxt is not None and _same_text(_version_text(db, nxt["id"]), text):
        return f"a later capture ({nxt['capture_time']}) has the same text"
    before = capture_db.previous_body_capture(db, policy["id"], capture_time)
    if before is not None and before["outcome"] == "truncated":
        earlier = _capture_text(db, before, policy)
        if earlier is not None and _same_text(earlier, text):
            return f"the previous capture ({before['capture_time']}) showed the same shorter text"
    return _found_elsewhere(db, policy["id"], text, prev_id)


def _capture_text(db: Database, row: dict[str, Any], policy: dict[str, Any]) -> str | None:
    """Re-extract a stored capture's text (None when it cannot be read)."""
    from policywatch.db.blobs import get_blob
    from policywatch.errors import InputError
    from policywatch.tracker.extract import extract_text

    try:
        return extract_text(
            get_blob(db, row["blob_sha256"]), row["content_type"], row["final_url"] or row["url"],
            select_css=policy.get("select_css"), remove_css=policy.get("remove_css"),
        ).text
    except InputError:
        return None


def _found_elsewhere(db: Database, policy_id: int, text: str, prev_id: int) -> str | None:
    """Most of the previous version's missing clauses are in another policy's current version."""
    from policywatch.tracker.normalize import normalize_text
    from policywatch.tracker.segment import segment_text

    kept = {clause.text for clause in segment_text(normalize_text(text))}
    lost = [row for row in version_db.version_clause_rows(db, prev_id) if row["text"] not in kept]
    lost_words = sum(word_count(row["text"]) for row in lost)
    if not lost_words:
        return None
    found = version_db.clauses_in_other_policies(db, policy_id, [row["clause_id"] for row in lost])
    found_words = sum(word_count(row["text"]) for row in lost if row["clause_id"] in found)
    if found_words < FOUND_ELSEWHERE * lost_words:
        return None
    others = sorted(set(found.values()))
    return f"{round(100 * found_words / lost_words)}% of the missing text is in another tracked policy (id {others[0]})"
