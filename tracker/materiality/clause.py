"""One clause change -> one assessment: added and removed clauses, and the dispatch to the modified rules."""
from __future__ import annotations

from typing import Iterable, Sequence

from policywatch.tracker import lexicon
from policywatch.tracker.classify import EXPOSING, PROTECTIVE, Signal, find_signals, fold_text, order_categories
from policywatch.tracker.model import Assessment, ClauseChange, Severity
from policywatch.tracker.materiality.modified import _assess_modified
from policywatch.tracker.materiality.quotes import _page_chrome, _reason, _sentence_around, _short, _title_like
from policywatch.tracker.materiality.signals import (
    RuleFinding, _categories, _cats, _cosmetic_equal, _effective_exposing, _neutral_finding, _riskiest, _widening_finding,
)


def assess_change(change: ClauseChange) -> Assessment:
    """Judge one aligned clause change (added, removed, modified or moved)."""
    old, new = change.old_text or "", change.new_text or ""
    moved_only = change.kind == "moved" and (old == new or _cosmetic_equal(old, new))
    if change.cosmetic or moved_only:
        verb = "Moved" if change.kind == "moved" else "Cosmetic edit"
        cats = _categories(new or old)
        return Assessment(cats, "cosmetic", "none", False, f"{verb}: wording unchanged apart from formatting ({_short(new)}).")
    if change.kind in ("added", "removed") and _page_chrome(new or old):
        verb = "Added" if change.kind == "added" else "Removed"
        return Assessment((), "neutral", "none", False, f'{verb}: "{_short(new or old)}" (page chrome such as a cookie banner or navigation, not policy text).')
    if change.kind == "added":
        findings = _assess_added(new)
    elif change.kind == "removed":
        findings = _assess_removed(old)
    else:
        findings = _assess_modified(old, new)
    return _combine(findings)

def _assess_added(text: str) -> list[RuleFinding]:
    """A new clause: a practice widens, a protection strengthens, anything else is neutral."""
    signals = find_signals(text)
    exposing = _on_device(text, _chosen_by_user(text, _effective_exposing(signals), signals))
    findings: list[RuleFinding] = []
    if exposing:
        findings.append(_widening_finding("Added", text, exposing))
    protective = [s for s in signals if s.polarity == PROTECTIVE]
    if protective:
        findings.append(RuleFinding("strengthens", "low", _cats(protective), _reason("Added", text, _riskiest(protective), "protection")))
    if not findings:
        findings.append(_neutral_finding("Added", text, signals))
    return findings


_CHOICES = frozenset({"opt-out", "consent and withdrawal", "right to object or restrict"})


def _chosen_by_user(text: str, exposing: list[Signal], signals: Sequence[Signal]) -> list[Signal]:
    """Drop medium/low practices named only as what a user's choice covers.

    "If you don't want to hear about products we or our partners offer, you can opt out
    of marketing communications" gives a choice; it does not describe a new sharing.
    A high-risk practice (sale, advertisers, sensitive data) stays, choice or not.
    """
    choices = [s for s in signals if s.polarity == PROTECTIVE and s.label in _CHOICES]
    if not choices:
        return exposing
    spans = [_sentence_span(text, s.span) for s in choices]
    return [s for s in exposing if s.risk == "high" or not any(a <= s.span[0] < b for a, b in spans)]


_LOCAL = frozenset({"collection", "purpose", "retention"})


def _on_device(text: str, exposing: list[Signal]) -> list[Signal]:
    """Drop collection the clause itself says stays on the user's device.

    "Software on your device will capture a clip of your audio ... which stays on
    your device": the company receives nothing. High-risk practices (sale,
    advertisers, sensitive data) stay.
    """
    if not lexicon.ON_DEVICE.search(fold_text(text)):
        return exposing
    return [s for s in exposing if s.risk == "high" or s.category not in _LOCAL]


def _sentence_span(text: str, span: tuple[int, int]) -> tuple[int, int]:
    sentence = _sentence_around(text, span)
    start = text.find(sentence)
    return (start, start + len(sentence)) if start >= 0 else (0, len(text))


def _assess_removed(text: str) -> list[RuleFinding]:
    """A clause gone: a protection removed weakens, a practice removed narrows."""
    signals = find_signals(text)
    protective = [s for s in signals if s.polarity == PROTECTIVE]
    findings: list[RuleFinding] = []
    if protective:
        worst = _riskiest(protective)
        negation = worst.negated and worst.kind == lexicon.PRACTICE
        severity: Severity = "high" if negation and worst.risk == "high" else "medium"
        if _title_like(text):
            severity = "low"  # a heading alone removed; the clauses under it decide
        what = "protection removed: a negation dropped" if negation else "protection removed"
        findings.append(RuleFinding("weakens", severity, _cats(protective), _reason("Removed", text, worst, what)))
    exposing = [s for s in signals if s.polarity == EXPOSING]
    if exposing:
        findings.append(RuleFinding("narrows", "low", _cats(exposing), _reason("Removed", text, exposing[0], "practice no longer described")))
    if not findings:
        findings.append(_neutral_finding("Removed", text, signals))
    return findings

def _combine(findings: Iterable[RuleFinding]) -> Assessment:
    """The strongest finding decides; material findings' categories are kept together."""
    ranked = sorted(findings, key=lambda f: f.rank(), reverse=True)
    top = ranked[0]
    same_weight = [f for f in ranked if f.material == top.material]
    cats = order_categories({c for f in same_weight for c in f.categories})
    reason = top.reason
    others = len({f.reason for f in ranked}) - 1
    if others:
        reason = f"{reason[:-1] if reason.endswith('.') else reason} (+{others} more finding{'s' if others > 1 else ''})."
    return Assessment(cats, top.direction, top.severity, top.material, reason, top.evidence)
