"""Ranked findings: the material clause changes, most important first, near-duplicates merged.

``rank_findings`` builds them from assessed clause changes (compare, record);
``change_findings`` is the one call for code that shows a *recorded* change
(the HTML report, alerts, ``changes --format json``): it reads the findings
stored with the change, or rebuilds them from its stored clause changes for
changes recorded before findings were stored.

Order (docs/DESIGN.md "compare --format json"): news for the whole document first
(a practice the old version never described, a protection the new version no
longer states anywhere); then removed or weakened protections, new
sale/sharing/advertising recipients, sensitive data, AI training, children, a
new controller, other widenings, and contact details last; within a class the
higher severity first, then document order.
"""
from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import lru_cache
from typing import Any, Iterable, Sequence

from policywatch.tracker.model import CATEGORIES, Assessment, ClauseChange, Finding, severity_rank
from policywatch.tracker.materiality.quotes import first_quote, trigger_phrase
from policywatch.tracker.materiality.restated import moved_sentences, sentence_keys, word_key

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
_POINTER = re.compile(r'; "(?:your (?:privacy |data protection )?(?:rights|choices)|exercise (?:your|these|those) rights|appeal\w*|your consent|with consent|privacy (?:settings|controls|choices))"\)', re.IGNORECASE)
_NAMED = re.compile(r"\((collection|sharing|sale|purpose|tracking|retention|user rights|children|"
                    r"international transfer|security|policy change|contact):")  # "(sale: new practice; ...)"
_MERGE_KEY = re.compile(r"[^a-z]+")
_MERGE_SIMILARITY = 0.6  # word overlap (Jaccard) of two quotes that say the same thing
_NEGATION = re.compile(r"\b(?:not|never|no|don't|doesn't|won't|cannot)\b")


def finding_class(category: str, direction: str, text: str) -> int:
    """Importance class of one finding (lower is more important)."""
    if direction == "weakens":
        # a pointer to rights ("to exercise your privacy rights, contact us") is not a right removed
        return 6 if _POINTER.search(text) and "negation" not in text else 0
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
    return a.quote or first_quote(a.reason) or a.reason


def _main_category(categories: Sequence[str], direction: str, text: str) -> str:
    """The category a reader should file the finding under: the most important one it has."""
    named = _NAMED.search(text)
    if named and named.group(1).replace(" ", "_") in CATEGORIES:
        return named.group(1).replace(" ", "_")  # the category the reason itself names
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


def _novel(kind: str, a: Assessment, old_doc: str, new_doc: str, old_clause: str = "", new_clause: str = "") -> bool:
    """Is this news for the document as a whole, not only for this clause?

    A practice whose trigger phrase the old version never used, or a protection
    whose phrase the new version no longer uses anywhere, outranks one the
    other version still states elsewhere (a rewrite moves text around). An edit
    inside a clause is news unless the sentence it touched only moved: the old
    sentence with the lost protection is still in the new version word for
    word, or the new sentence with the added practice was already in the old
    one (a list split into items, a paragraph re-cut). Ranking only:
    materiality never depends on it.
    """
    phrase = " ".join(trigger_phrase(a.reason).casefold().split())
    if kind == "removed":
        return not new_doc or not phrase or phrase not in _fold(new_doc)
    if kind == "added" or a.reason.startswith("Added:"):  # a new clause, or new sentences merged into one
        return not old_doc or not phrase or phrase not in _fold(old_doc)
    if a.direction == "weakens":
        return not moved_sentences(old_clause, new_clause, phrase, new_doc)
    return not moved_sentences(new_clause, old_clause, phrase, old_doc)


def _still_promised(kind: str, a: Assessment, quote: str, new_doc: str) -> bool:
    """A protection that lost a word but still stands: the edited sentence is in the new version
    and still negates ("We do not make user content available to advertising partners" ->
    "... to these companies"). Its scope may have changed; weaker evidence than a promise gone."""
    if kind != "modified" or "protection removed" not in a.reason or not quote:
        return False
    sentence = word_key(quote)
    return sentence in sentence_keys(new_doc) and bool(_NEGATION.search(sentence))


@lru_cache(maxsize=8)
def _fold(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").casefold().split())


_Item = tuple[int, str, Assessment, str, str, tuple[str, ...]]  # index, kind, assessment, old/new clause text, heading


def _ranked(items: Iterable[_Item], old_doc: str = "", new_doc: str = "", rewrite: bool = False) -> list[Finding]:
    found: list[tuple[tuple, Finding]] = []
    for index, kind, a, old_clause, new_clause, heading in items:
        if not a.material:
            continue
        quote = _quote_of(a)
        text = f"{quote} {a.reason}"
        category = _main_category(a.categories, a.direction, text)
        f = Finding(index, category, a.direction, a.severity, quote, a.reason, section=tuple(heading))
        cls = min(finding_class(c, a.direction, text) for c in {category, *a.categories})
        if cls == 0 and kind == "added":
            cls = 6  # an added clause that keeps data or denies a right widens; it removed no protection
        novel = _novel(kind, a, old_doc, new_doc, old_clause, new_clause)
        # Removed or weakened protections lead; other findings go by severity (the lexicon's high
        # risk is sale, advertisers, sensitive data, AI training), then by class. In a rewrite most
        # removed text is restated in new words, so removals follow what the new text adds, and a
        # new controller (a rewrite's usual cause: the company was bought or renamed) leads.
        if rewrite and finding_class(category, a.direction, text) == 5:
            lead = -1
        elif cls == 0 and not (rewrite and kind == "removed") and not _still_promised(kind, a, quote, new_doc):
            lead = 0
        else:
            lead = 1
        found.append(((not novel, lead, -severity_rank(a.severity), cls, index), f))
    found.sort(key=lambda p: p[0])
    merged: list[tuple[Finding, frozenset[str]]] = []
    for _, f in found:
        words = _words(f.quote)
        for i, (first, first_words) in enumerate(merged):
            if _near_duplicate(first, f, first_words, words):
                merged[i] = (replace(first, count=first.count + 1), first_words)
                break
        else:
            merged.append((f, words))
    return [f for f, _ in merged]  # the first (highest-ranked) of each group stands for it


def rank_findings(
    changes: Sequence[ClauseChange], old_text: str = "", new_text: str = "", *, rewrite: bool = False
) -> list[Finding]:
    """Findings of assessed clause changes; ``change`` indexes ``changes``.

    ``old_text``/``new_text`` (the whole documents) let findings that are news
    for the document rank first; ``rewrite`` ranks removals after additions.
    """
    items = ((i, c.kind, c.assessment, c.old_text or "", c.new_text or "", c.heading) for i, c in enumerate(changes))
    return _ranked(items, old_text, new_text, rewrite)


def findings_from_entries(entries: Sequence[dict[str, Any]]) -> list[Finding]:
    """Findings rebuilt from clause-change JSON entries (as stored or as in compare JSON)."""
    return _ranked(
        (i, e.get("kind") or "modified", Assessment(tuple(e.get("categories") or ()), e.get("direction") or "neutral", e.get("severity") or "none",
                       bool(e.get("material")), e.get("reason") or "", e.get("quote") or ""),
         e.get("old_text") or "", e.get("new_text") or "", tuple(e.get("heading") or ()))
        for i, e in enumerate(entries)
    )


def change_findings(db: Any, change_id: int) -> list[Finding]:
    """The ranked findings of one recorded change (for the report, alerts and ``changes``).

    Reads what ``record_change`` stored; a change recorded before findings
    were stored gets them rebuilt from its clause changes.
    """
    from policywatch.db.changes import clause_change_rows, stored_findings

    stored = stored_findings(db, change_id)
    if stored is not None:
        return [Finding.from_json(f) for f in json.loads(stored)]
    return findings_from_entries(clause_change_rows(db, change_id))
