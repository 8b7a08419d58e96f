"""Signal helpers and the ``RuleFinding`` record shared by the clause rules.

Constants here describe privacy language in general (which categories widen a
practice, which are protections); every rule module reads them from here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from policywatch.tracker import lexicon
from policywatch.tracker.classify import EXPOSING, PROTECTIVE, Signal, find_signals, fold_text, order_categories
from policywatch.tracker.model import Direction, Severity, severity_rank
from policywatch.tracker.materiality.quotes import _reason, _sentence_around, _short, _title_like, first_quote


WIDENING = frozenset({"collection", "sharing", "sale", "purpose", "tracking", "international_transfer", "children"})
# Retention statements that keep data longer even when a period is also stated.
_UNBOUNDED_RETENTION = frozenset({"indefinite retention", "retained after deletion", "longer retention"})
# Protections the company performs (so "may" softens them); a user's rights are phrased with "may" anyway.
_COMMITMENTS = frozenset({"retention", "security", "international_transfer"})
# Categories where an exposing signal means a protection got weaker, not a practice wider.
PROTECTION_CATEGORIES = frozenset({"retention", "user_rights", "security"})
_DIRECTION_RANK = {"weakens": 5, "expands": 4, "narrows": 2, "strengthens": 2, "neutral": 1, "cosmetic": 0}
_MIN_REWORD_WORDS = 3  # content words inserted into a practice sentence before a rewording counts
_MIN_CONTENT_WORDS = 8  # shorter text without any data-practice term is page furniture, not policy
_DATE_EDIT_WORDS = 12  # a changed date touches at most this many words ("January 1, 2024" -> "March 5, 2025")
_NUMBERING_WORDS = 2  # leading words that can be list or section numbers
_STOPWORDS = frozenset(
    "a an the and or of to in on for with by as at from that this these those is are be been was were "
    "we our us you your it its their they them any all such other may will can also which who".split()
)
_WORD = re.compile(r"\w+(?:['@.+-]\w+)*")  # words with inner apostrophes, hyphens, dots (e-mail, you're, 1.5)


@dataclass(frozen=True)
class RuleFinding:
    """One reason a change matters; the strongest finding becomes the assessment.

    ``quote`` is the exact text the finding rests on (words inserted or deleted,
    in their sentence); when a rule does not set it, the first quoted passage of
    the reason is used, which the reason builders always put there.
    """

    direction: Direction
    severity: Severity
    categories: tuple[str, ...]
    reason: str
    quote: str = ""

    @property
    def evidence(self) -> str:
        return self.quote or first_quote(self.reason)

    @property
    def material(self) -> bool:
        return self.severity in ("medium", "high")

    def rank(self) -> tuple[int, int]:
        return (severity_rank(self.severity), _DIRECTION_RANK.get(self.direction, 0))

def _effective_exposing(signals: Sequence[Signal]) -> list[Signal]:
    """Exposing signals that really widen something.

    A retention statement bounded by a period ("kept for 30 days") is a limit,
    not an expansion, unless it keeps data indefinitely or after deletion.
    """
    bounded = any(s.category == "retention" and s.polarity == PROTECTIVE for s in signals)
    out = []
    for s in signals:
        if s.polarity != EXPOSING:
            continue
        if s.category == "retention" and bounded and s.label not in _UNBOUNDED_RETENTION:
            continue
        out.append(s)
    return out


def _widening_finding(verb: str, text: str, exposing: Sequence[Signal]) -> RuleFinding:
    worst = _riskiest(exposing)
    # A bold lead-in or heading sentence ("**Data shared with advertising companies**.") names a
    # topic: quote the statement that carries the same weight instead, when the clause has one.
    severity: Severity = "high" if worst.risk == "high" else "medium" if worst.risk == "medium" else "low"
    stated = [s for s in exposing if s.risk != "low" and not _lead_in(_sentence_around(text, s.span))]
    if stated and _lead_in(_sentence_around(text, worst.span)):
        worst = _riskiest(stated)
    if verb != "Changed" and _title_like(text):
        severity = "low"  # a heading or table-of-contents entry names a topic; the clauses under it carry the practice
    denial = all(s.category in PROTECTION_CATEGORIES for s in exposing)
    direction: Direction = "weakens" if denial else "expands"
    what = f"{worst.category.replace('_', ' ')}: {'protection weakened' if denial else 'new practice'}"
    return RuleFinding(direction, severity, _cats(exposing), _reason(verb, text, worst, what))


_BOLD_LEAD_IN = re.compile(r"\s*(\*\*|__)[^*_]+\1\s*[.:]?\s*")


def _lead_in(sentence: str) -> bool:
    """A heading-like sentence: a bold lead-in ("**Data shared with advertisers**.") or a title."""
    return bool(_BOLD_LEAD_IN.fullmatch(sentence)) or _title_like(sentence)


def _neutral_finding(verb: str, text: str, signals: Sequence[Signal]) -> RuleFinding:
    """Text without practices or protections: low, or none when it is not policy content at all.

    An update banner ("we have updated our policy; it goes into effect on ...") or a
    scrap of page text ("false", "Overview") says nothing about data practices.
    """
    cats = _cats(signals)
    labels = {s.label for s in signals}
    if "update announcement" in labels and labels <= {"update announcement", "changes to this policy"}:
        return RuleFinding("neutral", "none", (), f'{verb}: "{_short(text)}" (announcement of a policy update, not policy content).')
    if not signals and len(text.split()) < _MIN_CONTENT_WORDS:
        return RuleFinding("neutral", "none", (), f'{verb}: "{_short(text)}" (short text without data-practice terms).')
    what = "contact or notice details" if cats else "no data-practice terms"
    return RuleFinding("neutral", "low", cats, f'{verb}: "{_short(text)}" ({what}).')

@lru_cache(maxsize=8192)
def _cosmetic_equal(old: str, new: str) -> bool:
    """True when the texts differ only in dates, punctuation, quotes, case, spacing or links."""
    from policywatch.tracker.normalize import cosmetic_key

    return cosmetic_key(old) == cosmetic_key(new)


@lru_cache(maxsize=16384)
def _categories(text: str) -> tuple[str, ...]:
    return order_categories({s.category for s in find_signals(text)})

def _durations(text: str) -> list[float]:
    """Retention-like periods in days ("6 months" -> 180, "eighteen months" -> 540)."""
    out = []
    for m in lexicon.DURATION.finditer(fold_text(text)):
        n = m.group(1)
        value = int(n) if n.isdigit() else lexicon.NUMBER_WORDS.get(n, 0)
        out.append(value * lexicon.UNIT_DAYS[m.group(2)])
    return out


def _duration_phrase(text: str, days: float) -> str:
    for m in lexicon.DURATION.finditer(fold_text(text)):
        n = m.group(1)
        value = int(n) if n.isdigit() else lexicon.NUMBER_WORDS.get(n, 0)
        if value * lexicon.UNIT_DAYS[m.group(2)] == days:
            return text[m.start():m.end()]
    return f"{days:g} days"


def _ages(text: str) -> set[int]:
    out = set()
    for m in lexicon.AGE.finditer(fold_text(text)):
        n = int(m.group(1) or m.group(2))
        if 8 <= n <= 21:  # plausible age limits only
            out.add(n)
    return out


def _orgs(text: str) -> list[str]:
    return [m.group(1).strip().rstrip(",") for m in lexicon.ORG_SUFFIX.finditer(text)]


def _riskiest(signals: Sequence[Signal]) -> Signal:
    order = {"high": 2, "medium": 1, "low": 0}
    return max(signals, key=lambda s: (order.get(s.risk, 0), -s.span[0]))


def _cats(signals: Iterable[Signal]) -> tuple[str, ...]:
    """Categories of the weightiest signals: generic "we use ... to" does not add "purpose"."""
    signals = list(signals)
    weighty = [s for s in signals if s.risk != "low"] or signals
    return order_categories({s.category for s in weighty})
