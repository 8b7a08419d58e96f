"""Ranked findings: the material clause changes, most important first, near-duplicates merged.

``rank_findings`` builds them from assessed clause changes (compare, record);
``change_findings`` is the one call for code that shows a *recorded* change
(the HTML report, alerts, ``changes --format json``): it reads the findings
stored with the change, or rebuilds them from its stored clause changes for
changes recorded before findings were stored.

Order (DESIGN.md "compare --format json"): removed or weakened protections,
then new sale/sharing/advertising recipients, sensitive data, AI training,
children, a new controller, other widenings, and contact details last; within
a class the higher severity first, then document order.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterable, Sequence

from policywatch.tracker.model import CATEGORIES, Assessment, ClauseChange, Finding, severity_rank

__all__ = ["rank_findings", "change_findings", "findings_from_entries", "finding_class"]

_SENSITIVE = re.compile(
    r"\b(?:biometric|face|facial|fingerprint|voice ?print|health|medical|genetic|precise (?:geo)?location|gps|"
    r"social security|passport|driver'?s licen|government(?:-issued)? id|racial|ethnic|religio|sexual|"
    r"political|trade union|sensitive|special categor|address books?|contact lists?|device contacts)\w*",
    re.IGNORECASE,
)
_AI = re.compile(r"\b(?:train\w*|machine learning|artificial intelligence|ai|llms?|models?)\b", re.IGNORECASE)
_ADVERTISING = re.compile(r"\b(?:advertis\w*|ads|marketing|targeted|cross-context|sell|sale|sold)\b", re.IGNORECASE)
_CONTROLLER = re.compile(r"\b(?:controller|operator|operated by|new controller)\b", re.IGNORECASE)
_FIRST_QUOTE = re.compile(r'"([^"]+)"')
_MERGE_KEY = re.compile(r"[^a-z]+")
_MERGE_SIMILARITY = 0.6  # word overlap (Jaccard) of two quotes that say the same thing


def finding_class(category: str, direction: str, text: str) -> int:
    """Importance class of one finding (lower is more important)."""
    if direction == "weakens":
        return 0
    if category in ("sale", "sharing") or (category == "purpose" and _ADVERTISING.search(text)):
        return 1
    if _SENSITIVE.search(text):
        return 2
    if category == "purpose" and _AI.search(text):
        return 3
    if category == "children":
        return 4
    if category == "contact" and _CONTROLLER.search(text):
        return 5
    if category == "contact":
        return 7
    return 6


def _quote_of(a: Assessment) -> str:
    if a.quote:
        return a.quote
    m = _FIRST_QUOTE.search(a.reason)
    return m.group(1) if m else a.reason


def _main_category(categories: Sequence[str], direction: str, text: str) -> str:
    """The category a reader should file the finding under: the most important one it has."""
    cats = [c for c in categories if c in CATEGORIES] or ["contact" if _CONTROLLER.search(text) else "policy_change"]
    return min(cats, key=lambda c: (finding_class(c, direction, text), CATEGORIES.index(c)))


def _words(quote: str) -> frozenset[str]:
    return frozenset(w for w in _MERGE_KEY.sub(" ", quote.lower()).split() if len(w) > 2)


def _near_duplicate(a: Finding, b: Finding, a_words: frozenset[str], b_words: frozenset[str]) -> bool:
    """Same category and direction, and quotes sharing most of their words (list items repeated
    under several headings, the same sentence in several sections)."""
    if (a.category, a.direction) != (b.category, b.direction) or not a_words or not b_words:
        return False
    return len(a_words & b_words) / len(a_words | b_words) >= _MERGE_SIMILARITY


def _ranked(items: Iterable[tuple[int, Assessment]]) -> list[Finding]:
    found: list[tuple[tuple, Finding]] = []
    for index, a in items:
        if not a.material:
            continue
        quote = _quote_of(a)
        text = f"{quote} {a.reason}"
        category = _main_category(a.categories, a.direction, text)
        f = Finding(index, category, a.direction, a.severity, quote, a.reason)
        found.append(((finding_class(category, a.direction, text), -severity_rank(a.severity), index), f))
    found.sort(key=lambda p: p[0])
    merged: list[tuple[Finding, frozenset[str]]] = []
    for _, f in found:
        words = _words(f.quote)
        for i, (first, first_words) in enumerate(merged):
            if _near_duplicate(first, f, first_words, words):
                merged[i] = (Finding(first.change, first.category, first.direction, first.severity, first.quote,
                                     first.reason, first.count + 1), first_words)
                break
        else:
            merged.append((f, words))
    return [f for f, _ in merged]  # the first (highest-ranked) of each group stands for it


def rank_findings(changes: Sequence[ClauseChange]) -> list[Finding]:
    """Findings of assessed clause changes; ``change`` indexes ``changes``."""
    return _ranked((i, c.assessment) for i, c in enumerate(changes))


def findings_from_entries(entries: Sequence[dict[str, Any]]) -> list[Finding]:
    """Findings rebuilt from clause-change JSON entries (as stored or as in compare JSON)."""
    return _ranked(
        (i, Assessment(tuple(e.get("categories") or ()), e.get("direction") or "neutral", e.get("severity") or "none",
                       bool(e.get("material")), e.get("reason") or "", e.get("quote") or ""))
        for i, e in enumerate(entries)
    )


def change_findings(db: Any, change_id: int) -> list[Finding]:
    """The ranked findings of one recorded change (for the report, alerts and ``changes``).

    Reads what ``record_change`` stored; a change recorded before findings
    were stored gets them rebuilt from its clause changes.
    """
    from policywatch.db.changes import clause_changes_json, stored_findings

    stored = stored_findings(db, change_id)
    if stored is not None:
        return [Finding.from_json(f) for f in json.loads(stored)]
    return findings_from_entries(clause_changes_json(db, change_id))
