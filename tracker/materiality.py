"""Change -> direction, severity, material flag and a reason a person can check.

DESIGN.md "Materiality": a change is material (severity high/medium) when it
widens a practice (collection, sharing, sale, purposes, tracking, international
transfers), weakens a protection (a negation dropped, a right removed, retention
lengthened, an age limit lowered, security weakened) or changes who controls the
data. Narrowing and new protections are substantive but low; cosmetic edits and
pure moves are ``none``.

The rules work on ``tracker.classify`` signals: for an added or removed clause,
the signals of its text; for a modified clause, the signals of the sentences
whose words actually changed, compared with the other version of the clause.
Each rule yields a ``Finding``; the strongest one decides, and its reason quotes
the words that triggered it. ``judge_document`` then applies document-level
guards (extraction failures, truncated captures, duplicated copies) that a
clause-level view cannot see.
"""
from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Iterable, Sequence

from policywatch.tracker import lexicon
from policywatch.tracker.classify import EXPOSING, PROTECTIVE, Signal, find_signals, fold_text, order_categories, sentence_spans
from policywatch.tracker.model import Assessment, Clause, ClauseChange, Verdict, severity_rank

__all__ = ["assess_change", "assess_in_context", "judge_document", "Finding"]

# Categories where a newly described practice widens what happens to data.
WIDENING = frozenset({"collection", "sharing", "sale", "purpose", "tracking", "international_transfer", "children"})
# Retention statements that keep data longer even when a period is also stated.
_UNBOUNDED_RETENTION = frozenset({"indefinite retention", "retained after deletion", "longer retention"})
# Protections the company performs (so "may" softens them); a user's rights are phrased with "may" anyway.
_COMMITMENTS = frozenset({"retention", "security", "international_transfer"})
# Categories where an exposing signal means a protection got weaker, not a practice wider.
PROTECTION_CATEGORIES = frozenset({"retention", "user_rights", "security"})
_DIRECTION_RANK = {"weakens": 5, "expands": 4, "narrows": 2, "strengthens": 2, "neutral": 1, "cosmetic": 0}
_QUOTE_WORDS = 14  # words quoted on each side of a trigger: enough to check, short enough to read
_MIN_REWORD_WORDS = 3  # content words inserted into a practice sentence before a rewording counts
_MIN_CONTENT_WORDS = 8  # shorter text without any data-practice term is page furniture, not policy
_TITLE_WORDS = 10  # a clause this short without a full stop is a heading, not a statement
_DATE_EDIT_WORDS = 12  # a changed date touches at most this many words ("January 1, 2024" -> "March 5, 2025")
_NUMBERING_WORDS = 2  # leading words that can be list or section numbers
_STOPWORDS = frozenset(
    "a an the and or of to in on for with by as at from that this these those is are be been was were "
    "we our us you your it its their they them any all such other may will can also which who".split()
)
_TOKEN = re.compile(r"\S+")
_QUOTE_MARKUP = re.compile(r"<br\s*/?>|\*\*|__|^\s*[*#>|-]+\s|\s\|\s", re.MULTILINE)
_WORD = re.compile(r"\w+(?:['@.+-]\w+)*")  # words with inner apostrophes, hyphens, dots (e-mail, you're, 1.5)


@dataclass(frozen=True)
class Finding:
    """One reason a change matters; the strongest finding becomes the assessment."""

    direction: str
    severity: str
    categories: tuple[str, ...]
    reason: str

    @property
    def material(self) -> bool:
        return self.severity in ("medium", "high")

    def rank(self) -> tuple[int, int]:
        return (severity_rank(self.severity), _DIRECTION_RANK.get(self.direction, 0))


# --- public entry points -----------------------------------------------------------


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


def judge_document(
    changes: Sequence[ClauseChange], old_clauses: Sequence[Clause], new_clauses: Sequence[Clause]
) -> Verdict:
    """Whole-document verdict from assessed changes, with document-level guards.

    Guards come first because a broken capture produces exactly the changes that
    look most alarming (everything removed, everything added). Then each change's
    assessment is checked against the rest of the diff (``_in_context``): text
    that only moved between clauses, or a protection restated in rewritten text,
    is not a widening or a weakening.
    """
    failure = _extraction_failure(old_clauses, new_clauses)
    if failure:
        return Verdict(False, False, "none", (), failure, failure)
    # A change nobody assessed yet (default Assessment, no reason) is assessed here.
    changes = [c if c.assessment.reason else replace(c, assessment=assess_change(c)) for c in changes]
    counted, ignored = _counted_changes(changes, old_clauses, new_clauses)
    assessed = _in_context(counted, old_clauses)
    substantive = [(c, a) for c, a in assessed if a.severity != "none"]
    truncated = _truncation(counted, [c for c, _ in substantive], old_clauses)
    if truncated:
        return Verdict(False, False, "none", (), truncated, truncated)
    cosmetic_only = all(_is_cosmetic(c) for c in changes)
    material = [a for _, a in substantive if a.material]
    basis = material or [a for _, a in substantive]
    severity = max((a.severity for a in basis), key=severity_rank, default="none")
    categories = {cat for a in basis for cat in a.categories}
    if material and any("contact" in a.categories for _, a in substantive):
        categories.add("contact")  # who to contact or who controls the data changed: worth naming
    categories = order_categories(categories)
    summary = _summary(len(changes), [a for _, a in assessed], material, categories, ignored)
    reason = _top(basis).reason if basis else summary
    return Verdict(cosmetic_only, bool(material), severity, categories, summary, reason)


def assess_in_context(
    changes: Sequence[ClauseChange], old_clauses: Sequence[Clause], new_clauses: Sequence[Clause]
) -> list[ClauseChange]:
    """The changes with the assessments ``judge_document`` actually counted.

    For callers that list per-change severities next to the verdict (compare
    JSON, alerts): a copied clause, a reworded protection or a new controller
    then reads the same in both places.
    """
    changes = [c if c.assessment.reason else replace(c, assessment=assess_change(c)) for c in changes]
    counted, _ = _counted_changes(changes, old_clauses, new_clauses)
    kept = {id(c): a for c, a in _in_context(counted, old_clauses)}
    out = []
    for c in changes:
        a = kept.get(id(c))
        if a is None:
            a = Assessment(c.assessment.categories, "neutral", "none", False,
                           f'Copy of text the other version already has: "{_short(c.new_text or c.old_text or "")}".')
        out.append(replace(c, assessment=a))
    return out


# --- added and removed clauses -------------------------------------------------------


def _assess_added(text: str) -> list[Finding]:
    """A new clause: a practice widens, a protection strengthens, anything else is neutral."""
    signals = find_signals(text)
    exposing = _effective_exposing(signals)
    findings: list[Finding] = []
    if exposing:
        findings.append(_widening_finding("Added", text, exposing))
    protective = [s for s in signals if s.polarity == PROTECTIVE]
    if protective:
        findings.append(Finding("strengthens", "low", _cats(protective), _reason("Added", text, _riskiest(protective), "protection")))
    if not findings:
        findings.append(_neutral_finding("Added", text, signals))
    return findings


def _assess_removed(text: str) -> list[Finding]:
    """A clause gone: a protection removed weakens, a practice removed narrows."""
    signals = find_signals(text)
    protective = [s for s in signals if s.polarity == PROTECTIVE]
    findings: list[Finding] = []
    if protective:
        worst = _riskiest(protective)
        negation = worst.negated and worst.kind == lexicon.PRACTICE
        severity = "high" if negation and worst.risk == "high" else "medium"
        if _title_like(text):
            severity = "low"  # a heading alone removed; the clauses under it decide
        what = "protection removed: a negation dropped" if negation else "protection removed"
        findings.append(Finding("weakens", severity, _cats(protective), _reason("Removed", text, worst, what)))
    exposing = [s for s in signals if s.polarity == EXPOSING]
    if exposing:
        findings.append(Finding("narrows", "low", _cats(exposing), _reason("Removed", text, exposing[0], "practice no longer described")))
    if not findings:
        findings.append(_neutral_finding("Removed", text, signals))
    return findings


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


def _widening_finding(verb: str, text: str, exposing: Sequence[Signal]) -> Finding:
    worst = _riskiest(exposing)
    severity = {"high": "high", "medium": "medium"}.get(worst.risk, "low")
    if verb != "Changed" and _title_like(text):
        severity = "low"  # a heading or table-of-contents entry names a topic; the clauses under it carry the practice
    denial = all(s.category in PROTECTION_CATEGORIES for s in exposing)
    direction = "weakens" if denial else "expands"
    what = f"{worst.category.replace('_', ' ')}: {'protection weakened' if denial else 'new practice'}"
    return Finding(direction, severity, _cats(exposing), _reason(verb, text, worst, what))


def _neutral_finding(verb: str, text: str, signals: Sequence[Signal]) -> Finding:
    """Text without practices or protections: low, or none when it is not policy content at all.

    An update banner ("we have updated our policy; it goes into effect on ...") or a
    scrap of page text ("false", "Overview") says nothing about data practices.
    """
    cats = _cats(signals)
    labels = {s.label for s in signals}
    if "update announcement" in labels and labels <= {"update announcement", "changes to this policy"}:
        return Finding("neutral", "none", (), f'{verb}: "{_short(text)}" (announcement of a policy update, not policy content).')
    if not signals and len(text.split()) < _MIN_CONTENT_WORDS:
        return Finding("neutral", "none", (), f'{verb}: "{_short(text)}" (short text without data-practice terms).')
    what = "contact or notice details" if cats else "no data-practice terms"
    return Finding("neutral", "low", cats, f'{verb}: "{_short(text)}" ({what}).')


# --- modified clauses ----------------------------------------------------------------


@dataclass(frozen=True)
class _WordDiff:
    """Where two versions of a clause differ, as character ranges and words."""

    old_ranges: tuple[tuple[int, int], ...]
    new_ranges: tuple[tuple[int, int], ...]
    inserted: tuple[str, ...]
    deleted: tuple[str, ...]


def _assess_modified(old: str, new: str) -> list[Finding]:
    """Compare the signals of the changed sentences with the other version."""
    diff = _word_diff(old, new)
    if not diff.inserted and not diff.deleted:
        return [Finding("cosmetic", "none", (), f'Cosmetic edit: "{_short(new)}".')]
    old_sigs, new_sigs = find_signals(old), find_signals(new)
    old_hot = _in_ranges(old_sigs, _changed_sentences(old, diff.old_ranges))
    new_hot = _in_ranges(new_sigs, _changed_sentences(new, diff.new_ranges))
    old_keys = {s.key for s in old_sigs}
    new_keys = {s.key for s in new_sigs}
    # A practice is new only if the old clause never stated it. A protection is lost when the
    # clause states it fewer times and the rewritten sentences no longer do: "does not sell or
    # share" -> "does not sell" loses its general "share" even if a narrower promise remains.
    gained = [s for s in new_hot if s.key not in old_keys]
    hot_old_counts = Counter(s.key for s in old_hot)
    hot_new_counts = Counter(s.key for s in new_hot)
    old_counts = Counter(s.key for s in old_sigs)
    new_counts = Counter(s.key for s in new_sigs)
    lost = [
        s for s in old_hot
        if s.key not in new_keys
        or (s.polarity == PROTECTIVE and new_counts[s.key] < old_counts[s.key]
            and hot_new_counts[s.key] < hot_old_counts[s.key])
    ]
    findings = _polarity_findings(old, new, gained, lost, old_keys, new_keys, new_sigs, new_hot)
    findings += _softened_commitments(old, new, old_hot, new_hot)
    findings += _number_findings(old, new, old_sigs, new_sigs)
    findings += _controller_findings(old, new)
    findings += _qualifier_findings(old, new, diff, new_hot)
    if not any(f.severity != "low" or f.direction != "neutral" for f in findings):
        findings += _rewording_findings(old, new, diff, new_hot, old_sigs + new_sigs)
    return findings


def _polarity_findings(
    old: str,
    new: str,
    gained: list[Signal],
    lost: list[Signal],
    old_keys: set,
    new_keys: set,
    new_sigs: Sequence[Signal],
    new_hot: Sequence[Signal],
) -> list[Finding]:
    """Negations dropped/added, practices gained/lost, protections gained/lost."""
    findings: list[Finding] = []
    flipped: set[tuple[str, str]] = set()
    for s in gained:
        before = (s.category, s.label, PROTECTIVE if s.polarity == EXPOSING else EXPOSING)
        if before in old_keys and before not in new_keys:
            flipped.add((s.category, s.label))
            if s.polarity == EXPOSING:
                sev = "high" if s.risk != "low" else "medium"
                findings.append(Finding("weakens", sev, (s.category,), _reason("Changed", new, s, "negation or limit dropped")))
            else:
                findings.append(Finding("strengthens", "low", (s.category,), _reason("Changed", new, s, "negation added")))
    exposing = [s for s in _effective_exposing(new_sigs) if s in gained and (s.category, s.label) not in flipped]
    if exposing:
        findings.append(_widening_finding("Added", new, exposing))
    protective_lost = [s for s in lost if s.polarity == PROTECTIVE and (s.category, s.label) not in flipped]
    if protective_lost:
        worst = _riskiest(protective_lost)
        findings.append(Finding("weakens", "medium", _cats(protective_lost), _reason("Removed", old, worst, "protection removed")))
    protective_gained = [s for s in gained if s.polarity == PROTECTIVE and (s.category, s.label) not in flipped]
    if protective_gained:
        findings.append(Finding("strengthens", "low", _cats(protective_gained), _reason("Added", new, protective_gained[0], "protection")))
    exposing_lost = [s for s in lost if s.polarity == EXPOSING and (s.category, s.label) not in flipped]
    if exposing_lost:
        findings.append(Finding("narrows", "low", _cats(exposing_lost), _reason("Removed", old, exposing_lost[0], "practice no longer described")))
    return findings


def _softened_commitments(old: str, new: str, old_hot: Sequence[Signal], new_hot: Sequence[Signal]) -> list[Finding]:
    """'We will delete' -> 'we may delete', 'we encrypt' -> 'we may encrypt': a protection made optional."""
    firm = {
        s.key for s in old_hot
        if s.kind == lexicon.PROTECTION and s.polarity == PROTECTIVE and s.modality != "may" and s.category in _COMMITMENTS
    }
    still_firm = {s.key for s in new_hot if s.modality != "may"}
    soft = [s for s in new_hot if s.key in firm and s.key not in still_firm and s.modality == "may"]
    if not soft:
        return []
    sig = soft[0]
    cat = sig.category.replace("_", " ")
    return [Finding("weakens", "medium", (sig.category,), f'Changed: "{_quote(new, sig.span)}" ({cat}: commitment softened to "may"; "{sig.phrase}").')]


def _number_findings(old: str, new: str, old_sigs: Sequence[Signal], new_sigs: Sequence[Signal]) -> list[Finding]:
    """Retention periods compared in days; children's age thresholds compared."""
    findings: list[Finding] = []
    cats = {s.category for s in old_sigs} | {s.category for s in new_sigs}
    if "retention" in cats:
        before, after = _durations(old), _durations(new)
        if before and not after and any(s.category == "retention" for s in new_sigs):
            b = _duration_phrase(old, max(before))
            findings.append(Finding("weakens", "medium", ("retention",), f'Changed: retention period "{b}" no longer stated in "{_short(new)}" (retention: limit removed).'))
        if before and after and max(after) != max(before):
            b, a = _duration_phrase(old, max(before)), _duration_phrase(new, max(after))
            if max(after) > max(before):
                findings.append(Finding("weakens", "medium", ("retention",), f'Changed: retention period "{b}" -> "{a}" (retention: kept longer).'))
            else:
                findings.append(Finding("strengthens", "low", ("retention",), f'Changed: retention period "{b}" -> "{a}" (retention: kept for less time).'))
    if "children" in cats:
        before, after = _ages(old), _ages(new)
        if before and after and before != after:
            if min(after) < min(before):
                findings.append(Finding("weakens", "medium", ("children",), f"Changed: age threshold {min(before)} -> {min(after)} (children: age limit lowered)."))
            elif min(after) > min(before):
                findings.append(Finding("strengthens", "low", ("children",), f"Changed: age threshold {min(before)} -> {min(after)} (children: age limit raised)."))
    return findings


def _controller_findings(old: str, new: str) -> list[Finding]:
    """A different company named where the text says who controls or operates the service."""
    if not (lexicon.CONTROLLER_CONTEXT.search(new) or lexicon.CONTROLLER_CONTEXT.search(old)):
        findings: list[Finding] = []
    else:
        before, after = _orgs(old), _orgs(new)
        newcomers = [o for o in after if o.lower() not in {b.lower() for b in before}]
        if newcomers and (before or lexicon.CONTROLLER_CONTEXT.search(new)):
            return [Finding("expands", "medium", ("contact",), f'Changed: "{newcomers[0]}" now named in "{_short(new)}" (contact: new controller or operator).')]
        findings = []
    if set(lexicon.EMAIL.findall(old)) != set(lexicon.EMAIL.findall(new)):
        findings.append(Finding("neutral", "low", ("contact",), f'Changed: contact details in "{_short(new)}" (contact).'))
    return findings


def _qualifier_findings(old: str, new: str, diff: _WordDiff, new_hot: Sequence[Signal]) -> list[Finding]:
    """A limiting word ("only", "aggregated", "with your consent") dropped or added near a practice."""
    before = {m.group(0) for m in lexicon.QUALIFIERS.finditer(fold_text(old))}
    after = {m.group(0) for m in lexicon.QUALIFIERS.finditer(fold_text(new))}
    exceptions = _exception_findings(old, new, diff)
    practice = [
        s for s in find_signals(old) + find_signals(new)
        if s.kind == lexicon.PRACTICE and s.category in WIDENING and s.polarity == EXPOSING
    ]
    if not practice:
        return exceptions
    cats = _cats(practice)
    dropped, added = sorted(before - after), sorted(after - before)
    findings = exceptions
    if dropped:
        findings.append(Finding("weakens", "medium", cats, f'Changed: limiting words "{dropped[0]}" removed from "{_short(new)}" ({cats[0]}: practice less limited).'))
    if added:
        findings.append(Finding("narrows", "low", cats, f'Changed: limiting words "{added[0]}" added in "{_short(new)}" ({cats[0]}: practice limited).'))
    return findings


def _exception_findings(old: str, new: str, diff: _WordDiff) -> list[Finding]:
    """An exception carved out of a promise weakens it; one taken out strengthens it.

    Counted only in the sentences whose words changed, only where the same
    sentence negates a practice (the promise the exception applies to), and only
    for promises the old text already made.
    """
    before = _exceptions_to_promises(old, _changed_sentences(old, diff.old_ranges))
    after = _exceptions_to_promises(new, _changed_sentences(new, diff.new_ranges))
    old_promises = {s.key for s in find_signals(old) if s.polarity == PROTECTIVE}
    after = [s for s in after if s.key in old_promises]  # a brand-new promise with an exception is a new protection
    if len(after) > len(before):
        sig = after[0]
        quote = _quote(new, sig.span)
        cat = sig.category.replace("_", " ")
        return [Finding("weakens", "medium", (sig.category,), f'Changed: exception added to a promise: "{quote}" ({cat}: protection narrowed by an exception).')]
    if len(after) < len(before):
        sig = before[0]
        cat = sig.category.replace("_", " ")
        return [Finding("strengthens", "low", (sig.category,), f'Changed: exception removed from a promise: "{_quote(old, sig.span)}" ({cat}).')]
    return []


def _exceptions_to_promises(text: str, sentences: Sequence[tuple[int, int]]) -> list[Signal]:
    """For each changed sentence with "unless"/"except", the negated practice it qualifies."""
    low = fold_text(text)
    signals = find_signals(text)
    out = []
    for start, end in sentences:
        for m in lexicon.EXCEPTIONS.finditer(low, start, end):
            promise = [s for s in signals if start <= s.span[0] < m.start()
                       and s.polarity == PROTECTIVE and s.kind == lexicon.PRACTICE]
            if promise:
                out.append(promise[-1])
    return out


def _rewording_findings(
    old: str, new: str, diff: _WordDiff, new_hot: Sequence[Signal], all_sigs: Sequence[Signal]
) -> list[Finding]:
    """New words inside a sentence that describes a practice: treat as a possible widening.

    Missing a material change is worse than a false alarm (DESIGN.md), so a
    practice sentence that gains several content words without any narrowing
    cue is reported as medium.
    """
    practice = [
        (s, r) for s in new_hot
        if s.polarity == EXPOSING and s.category in WIDENING and s.label not in lexicon.GENERIC_LABELS
        for r in diff.new_ranges if _overlaps(s.span, (r,)) and _content_words(new[r[0]:r[1]]) >= _MIN_REWORD_WORDS
    ]
    if practice:
        worst, (start, end) = max(practice, key=lambda p: ({"high": 2, "medium": 1}.get(p[0].risk, 0), -p[0].span[0]))
        sigs = [s for s, _ in practice]
        return [Finding("expands", "medium", _cats(sigs), f'Changed: "{_clean(new[start:end])}" added to "{_short(_sentence_around(new, worst.span))}" ({worst.category.replace("_", " ")}: practice reworded).')]
    cats = _cats(all_sigs)
    words = " ".join(diff.inserted[:_QUOTE_WORDS]) or " ".join(diff.deleted[:_QUOTE_WORDS])
    return [Finding("neutral", "low", cats, f'Changed: "{words}" in "{_short(new)}" (reworded).')]


# --- document-level guards -------------------------------------------------------------

_BULK_COPY_CLAUSES = 10  # at least this many copied clauses (and a quarter of the document) make a "copy"
_BULK_COPY_SHARE = 0.25
_MIN_POLICY_WORDS = 60  # below this a "policy" is a redirect page, a header stub or an error text
_QUALITY_CHECK_CHARS = 9000  # longer documents (about 1,500 words) are not stubs or error pages ...
_SHRINK_SHARE = 0.5  # ... unless they lost half their text


def _document_text(clauses: Sequence[Clause]) -> str:
    return "\n\n".join(c.text for c in clauses)


def _extraction_failure(old_clauses: Sequence[Clause], new_clauses: Sequence[Clause]) -> str:
    """Why either side does not look like a policy text at all ('' when both do).

    Extraction failures (redirect pages, header stubs, error pages) are short, so
    ``tracker.quality`` is only consulted for a short document or one that shrank
    a lot; a long policy that kept its length is never re-scanned (speed).
    """
    old_size = sum(len(c.text) for c in old_clauses)  # characters: a cheap stand-in for words
    new_size = sum(len(c.text) for c in new_clauses)
    sides = (("new", new_clauses, new_size, old_clauses), ("old", old_clauses, old_size, None))
    for side, clauses, size, previous in sides:
        shrank = previous is not None and size < _SHRINK_SHARE * old_size
        if size >= _QUALITY_CHECK_CHARS and not shrank:
            continue
        problem = _quality_problem(_document_text(clauses), _document_text(previous) if previous is not None else None)
        if problem:
            which = "the new version" if side == "new" else "the previous version"
            return f"Not material: {which} looks like an extraction failure ({problem}), not a policy change."
    return ""


def _quality_problem(text: str, previous: str | None) -> str:
    """Ask tracker.quality when available; otherwise a word-count floor."""
    if not text.strip():
        return "empty text" if previous is not None and previous.strip() else ""
    try:
        from policywatch.tracker.quality import assess_text, word_count
    except ImportError:  # quality.py lands separately; keep a conservative floor meanwhile
        words = len(text.split())
        return f"only {words} words" if words < _MIN_POLICY_WORDS else ""
    quality = assess_text(text, previous_words=word_count(previous) if previous else None)
    if quality.outcome == "ok":
        return ""
    return f"{quality.outcome}: {quality.detail}" if quality.detail else str(quality.outcome)


def _counted_changes(
    changes: Sequence[ClauseChange], old_clauses: Sequence[Clause], new_clauses: Sequence[Clause]
) -> tuple[list[ClauseChange], int]:
    """Drop a bulk copy of the policy added or removed (the page holds the policy twice).

    Only a run of many clauses whose text the other version already has counts as
    a copy; a single clause removed while a duplicate survives elsewhere can still
    matter (its context differed), so it is kept.
    """
    drop: set[int] = set()
    added = [c for c in changes if c.kind == "added"]
    removed = [c for c in changes if c.kind == "removed"]
    if len(added) >= max(_BULK_COPY_CLAUSES, _BULK_COPY_SHARE * len(old_clauses)):
        old_keys = {_copy_key(c.text) for c in old_clauses}
        copies = {id(c) for c in added if _copy_key(c.new_text or "") in old_keys}
        if len(copies) >= max(_BULK_COPY_CLAUSES, _BULK_COPY_SHARE * len(old_clauses)):
            drop |= copies
    if len(removed) >= max(_BULK_COPY_CLAUSES, _BULK_COPY_SHARE * len(new_clauses)):
        new_keys = {_copy_key(c.text) for c in new_clauses}
        copies = {id(c) for c in removed if _copy_key(c.old_text or "") in new_keys}
        if len(copies) >= max(_BULK_COPY_CLAUSES, _BULK_COPY_SHARE * len(new_clauses)):
            drop |= copies
    return [c for c in changes if id(c) not in drop], len(drop)


def _copy_key(text: str) -> str:
    """Cheap identity for copied clauses: a copy is the same text, give or take spacing and case."""
    return " ".join(text.split()).casefold()


def _in_context(
    changes: Sequence[ClauseChange], old_clauses: Sequence[Clause] = ()
) -> list[tuple[ClauseChange, Assessment]]:
    """Re-weigh each change's assessment against the rest of the diff and the old version.

    * a material addition whose weighty practices all appear in text that was
      removed or rewritten elsewhere in this diff: reorganised, not new (low);
    * a removed protection (its weightiest phrase) restated in added or rewritten
      text: reworded, not lost (low);
    * an added clause naming a controller the old version never named: material.
    """
    removed_keys: set = set()
    added_keys: set = set()
    for c in changes:
        if c.kind in ("removed", "modified"):
            removed_keys |= {s.key for s in find_signals(c.old_text or "")}
        if c.kind in ("added", "modified"):
            added_keys |= {s.key for s in find_signals(c.new_text or "")}
    out = []
    controllers = _ControllerCheck(old_clauses)
    for c in changes:
        a = c.assessment
        if c.kind == "added" and not a.material:
            a = controllers.upgrade(c, a)
        if a.material and c.kind in ("added", "modified") and a.direction == "expands":
            gained = _gained_practices(c)
            if c.kind == "added" and gained and gained <= removed_keys:
                a = _downgraded(a, "the same practices were described in text that this change rewrote")
        elif a.material and c.kind == "removed" and a.direction == "weakens":
            protective = [s for s in find_signals(c.old_text or "") if s.polarity == PROTECTIVE]
            if protective and _riskiest(protective).key in added_keys:
                a = _downgraded(a, "the same protections are restated in the new text")
        out.append((c, a))
    return out


class _ControllerCheck:
    """An added clause naming who controls the data: material when the company is new.

    "The data controller is Superhuman Platform Inc." is only news if the previous
    version never named Superhuman Platform Inc.; the old text is searched lazily.
    """

    def __init__(self, old_clauses: Sequence[Clause]) -> None:
        self._old_clauses = old_clauses
        self._old_text: str | None = None

    def upgrade(self, change: ClauseChange, a: Assessment) -> Assessment:
        text = change.new_text or ""
        if not self._old_clauses or not lexicon.CONTROLLER_CONTEXT.search(text):
            return a
        if self._old_text is None:
            self._old_text = "\n".join(c.text for c in self._old_clauses).casefold()
        newcomers = [o for o in _orgs(text) if _org_core(o) not in self._old_text]
        if not newcomers:
            return a
        reason = f'Added: "{newcomers[0]}" named in "{_short(text)}" (contact: new controller or operator, not named before).'
        return Assessment(order_categories(set(a.categories) | {"contact"}), "expands", "medium", True, reason)


def _org_core(org: str) -> str:
    """'Superhuman Platform Inc.' -> 'superhuman platform' (the legal suffix varies in spelling)."""
    words = org.replace(",", " ").split()
    return " ".join(words[:-1] if len(words) > 1 else words).casefold()


def _gained_practices(change: ClauseChange) -> set:
    """Keys of the weighty practices a change introduces (vs the old side of the clause)."""
    new = {s.key for s in _effective_exposing(find_signals(change.new_text or "")) if s.risk != "low"}
    if change.kind == "modified":
        new -= {s.key for s in find_signals(change.old_text or "")}
    return new


def _downgraded(a: Assessment, why: str) -> Assessment:
    reason = a.reason.rstrip(".") + f"; not counted as material: {why}."
    return Assessment(a.categories, "neutral", "low", False, reason)


def _truncation(
    changes: Sequence[ClauseChange], substantive: Sequence[ClauseChange], old_clauses: Sequence[Clause]
) -> str:
    """A capture cut short: every substantive change is a removal, and the removals are
    one contiguous run of clauses that ends the old text (the new text is a prefix)."""
    if not substantive or any(c.kind != "removed" for c in substantive):
        return ""
    ordinals = sorted(c.old_ordinal for c in changes if c.kind == "removed" and c.old_ordinal is not None)
    if not ordinals:
        return ""
    last = max((c.ordinal for c in old_clauses), default=-1)
    contiguous = ordinals == list(range(ordinals[0], ordinals[0] + len(ordinals)))
    if contiguous and ordinals[-1] == last:
        return f"Not material: possible truncated capture: the last {len(ordinals)} clauses are missing."
    return ""


def _is_cosmetic(change: ClauseChange) -> bool:
    a = change.assessment
    return change.cosmetic or a.direction == "cosmetic" or (change.kind == "moved" and a.severity == "none")


def _top(assessments: Sequence[Assessment]) -> Assessment:
    return max(assessments, key=lambda a: (severity_rank(a.severity), _DIRECTION_RANK.get(a.direction, 0)))


def _summary(
    n_changes: int,
    assessments: Sequence[Assessment],
    material: Sequence[Assessment],
    categories: tuple[str, ...],
    ignored: int,
) -> str:
    """One line: '3 material changes (sale, sharing): Added "..."; 12 clauses changed'."""
    substantive = [a for a in assessments if a.severity != "none"]
    if not n_changes:
        return "No changes."
    tail = f"{n_changes} clause{'s' if n_changes != 1 else ''} changed"
    if ignored:
        tail += f", {ignored} copied clause{'s' if ignored != 1 else ''} ignored"
    if not substantive:
        if all(a.direction == "cosmetic" for a in assessments):
            return f"Cosmetic changes only; {tail}."
        return f"No substantive change (page text that is not policy content); {tail}."
    basis = material or substantive
    if material:
        head = f"{len(material)} material change{'s' if len(material) != 1 else ''}"
    else:
        head = f"{len(substantive)} substantive change{'s' if len(substantive) != 1 else ''}, none material"
    cats = f" ({', '.join(categories)})" if categories else ""
    return f"{head}{cats}: {_top(basis).reason.rstrip('.')}; {tail}."


# --- helpers ---------------------------------------------------------------------------


def _combine(findings: Iterable[Finding]) -> Assessment:
    """The strongest finding decides; material findings' categories are kept together."""
    ranked = sorted(findings, key=lambda f: f.rank(), reverse=True)
    top = ranked[0]
    same_weight = [f for f in ranked if f.material == top.material]
    cats = order_categories({c for f in same_weight for c in f.categories})
    reason = top.reason
    others = len({f.reason for f in ranked}) - 1
    if others:
        reason = f"{reason[:-1] if reason.endswith('.') else reason} (+{others} more finding{'s' if others > 1 else ''})."
    return Assessment(cats, top.direction, top.severity, top.material, reason)


@lru_cache(maxsize=8192)
def _cosmetic_equal(old: str, new: str) -> bool:
    """True when the texts differ only in dates, punctuation, quotes, case, spacing or links."""
    from policywatch.tracker.normalize import cosmetic_key

    return cosmetic_key(old) == cosmetic_key(new)


@lru_cache(maxsize=16384)
def _categories(text: str) -> tuple[str, ...]:
    return order_categories({s.category for s in find_signals(text)})


def _word_tokens(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Normalised words and their character spans (punctuation and case ignored)."""
    masked = lexicon.MARKUP.sub(lambda m: " " * len(m.group(0)), fold_text(text))
    words, spans = [], []
    for m in _WORD.finditer(masked):
        words.append(m.group(0).replace("'", "").replace("-", ""))
        spans.append(m.span())
    return words, spans


def _word_diff(old: str, new: str) -> _WordDiff:
    """Word-level diff (difflib on word lists is enough at clause scale)."""
    a, a_spans = _word_tokens(old)
    b, b_spans = _word_tokens(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    old_ranges, new_ranges, inserted, deleted = [], [], [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (
            _renumbering(a[i1:i2], b[j1:j2], i2, j2)
            and _marker_like(old, a_spans[i1:i2]) and _marker_like(new, b_spans[j1:j2])
        ):
            continue
        old_ranges.append(_span_of(a_spans, i1, i2, len(old)))
        new_ranges.append(_span_of(b_spans, j1, j2, len(new)))
        deleted += a[i1:i2]
        inserted += b[j1:j2]
    if len(deleted) + len(inserted) <= _DATE_EDIT_WORDS and _only_dates(deleted, inserted, old, new):
        return _WordDiff((), (), (), ())
    return _WordDiff(tuple(old_ranges), tuple(new_ranges), tuple(inserted), tuple(deleted))


def _renumbering(deleted: list[str], inserted: list[str], old_end: int, new_end: int) -> bool:
    """A list or section number at the start of a clause ("3. [3. Updates]" -> "5. [3. Updates]")."""
    words = deleted + inserted
    return bool(words) and old_end <= _NUMBERING_WORDS and new_end <= _NUMBERING_WORDS and all(
        w.isdigit() and len(w) <= 3 for w in words
    )


def _marker_like(text: str, spans: Sequence[tuple[int, int]]) -> bool:
    """Numbers written as list markers: followed by '.', ')' or an escaped '\\.'."""
    return all(text[end:end + 1] in (".", ")", "\\") for _, end in spans)


def _only_dates(deleted: list[str], inserted: list[str], old: str, new: str) -> bool:
    from policywatch.tracker.normalize import neutralize_dates

    return bool(deleted or inserted) and _cosmetic_equal(neutralize_dates(old), neutralize_dates(new))


def _span_of(spans: list[tuple[int, int]], i1: int, i2: int, length: int) -> tuple[int, int]:
    """Character range of words i1..i2; an empty range sits where the insertion happened."""
    if i1 < i2:
        return (spans[i1][0], spans[i2 - 1][1])
    pos = spans[i1][0] if i1 < len(spans) else length
    return (pos, pos)


def _changed_sentences(text: str, ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences touched by the changed ranges (a pure insertion touches its sentence)."""
    out = []
    for start, end in sentence_spans(fold_text(text)):
        if any(r0 <= end and r1 >= start for r0, r1 in ranges):
            out.append((start, end))
    return out


def _content_words(text: str) -> int:
    """Words that carry meaning (not stopwords, not numbers) in a stretch of text."""
    return sum(1 for w in _WORD.findall(fold_text(text)) if w not in _STOPWORDS and not w.isdigit())


def _overlaps(span: tuple[int, int], ranges: Sequence[tuple[int, int]]) -> bool:
    return any(r0 < span[1] and span[0] < r1 for r0, r1 in ranges)


def _in_ranges(signals: Sequence[Signal], ranges: Sequence[tuple[int, int]]) -> list[Signal]:
    return [s for s in signals if any(r0 <= s.span[0] < r1 or (r0 == r1 == s.span[0]) for r0, r1 in ranges)]


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


def _page_chrome(text: str) -> bool:
    """Cookie banners, navigation and footers: short text with a chrome phrase."""
    return len(text.split()) <= lexicon.CHROME_MAX_WORDS and bool(lexicon.CHROME.search(fold_text(text)))


def _title_like(text: str) -> bool:
    """Headings, table-of-contents links and table headers: short, no sentence ending."""
    plain = lexicon.MARKUP.sub(" ", text)
    plain = re.sub(r"\(#[^)]*\)|-{3,}|={3,}", " ", plain).strip()
    words = plain.split()
    return len(words) <= _TITLE_WORDS and not re.search(r"[.!?:;]\W*$", plain)


def _riskiest(signals: Sequence[Signal]) -> Signal:
    order = {"high": 2, "medium": 1, "low": 0}
    return max(signals, key=lambda s: (order.get(s.risk, 0), -s.span[0]))


def _cats(signals: Iterable[Signal]) -> tuple[str, ...]:
    """Categories of the weightiest signals: generic "we use ... to" does not add "purpose"."""
    signals = list(signals)
    weighty = [s for s in signals if s.risk != "low"] or signals
    return order_categories({s.category for s in weighty})


def _sentence_around(text: str, span: tuple[int, int]) -> str:
    for start, end in sentence_spans(fold_text(text)):
        if start <= span[0] <= end:
            return text[start:end]
    return text


def _reason(verb: str, text: str, signal: Signal, what: str) -> str:
    """'Added: "we may sell your data to data brokers" (sale: new practice).'"""
    quote = _quote(text, signal.span)
    label = signal.category.replace("_", " ")
    what = what if what.startswith(label) else f"{label}: {what}"
    return f'{verb}: "{quote}" ({what}; "{signal.phrase}").'


def _quote(text: str, span: tuple[int, int]) -> str:
    """Words around a trigger, inside its sentence, trimmed to a checkable length."""
    sentence = _sentence_around(text, span)
    offset = text.find(sentence) if sentence else 0
    words = list(_TOKEN.finditer(sentence))
    if not words:
        return _short(text)
    hit = next((i for i, w in enumerate(words) if offset + w.end() > span[0]), 0)
    lo, hi = max(0, hit - _QUOTE_WORDS), min(len(words), hit + _QUOTE_WORDS)
    out = sentence[words[lo].start():words[hi - 1].end()]
    return ("..." if lo else "") + _clean(out) + ("..." if hi < len(words) else "")


def _short(text: str, limit: int = 160) -> str:
    text = _clean(text)
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "..."


def _clean(text: str) -> str:
    """Quotable text: markup that means nothing to a reader removed, one line."""
    text = _QUOTE_MARKUP.sub(" ", text).replace("\\", "")
    return " ".join(text.replace('"', "'").split())
