"""Rules for a modified clause: compare the signals of the changed sentences with the other version."""
from __future__ import annotations

import re

from collections import Counter
from typing import Sequence

from policywatch.tracker import lexicon
from policywatch.tracker.classify import EXPOSING, PROTECTIVE, Signal, find_signals, fold_text
from policywatch.tracker.materiality.edits import edit_reason
from policywatch.tracker.materiality.restated import still_stated
from policywatch.tracker.materiality.quotes import _clean, _quote, _sentence_around, _short
from policywatch.tracker.model import Direction, Severity
from policywatch.tracker.materiality.signals import (
    WIDENING, _COMMITMENTS, _MIN_REWORD_WORDS, RuleFinding, _ages, _cats, _duration_phrase, _durations,
    _categories, _effective_exposing, _orgs, _riskiest, _widening_finding,
)
from policywatch.tracker.materiality.worddiff import _WordDiff, _changed_sentences, _content_words, _in_ranges, _overlaps, _word_diff


def _assess_modified(old: str, new: str) -> list[RuleFinding]:
    """Compare the signals of the changed sentences with the other version."""
    diff = _word_diff(old, new)
    if not diff.inserted and not diff.deleted:
        return [RuleFinding("cosmetic", "none", (), f'Cosmetic edit: "{_short(new)}".')]
    if _inside_links(old, diff.old_ranges) and _inside_links(new, diff.new_ranges):
        # only the words of a link were renamed ("Do Not Sell My Info" -> "Your Privacy Choices"):
        # the page it points to, and what the sentence says, are unchanged
        return [RuleFinding("neutral", "low", _categories(new), *edit_reason(old, new, diff, "new", None, "link text renamed"))]
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
            and hot_new_counts[s.key] < hot_old_counts[s.key] and not still_stated(old, s, new))
    ]
    # first, so that a new controller wins a tie: who holds the data outranks what else changed
    findings = _controller_findings(old, new)
    findings += _polarity_findings(old, new, diff, gained, lost, old_keys, new_keys, new_sigs, new_hot)
    findings += _softened_commitments(old, new, old_hot, new_hot)
    findings += _number_findings(old, new, old_sigs, new_sigs)
    findings += _qualifier_findings(old, new, diff, new_hot)
    findings += _recipient_findings(old, new, diff, new_sigs)
    if not any(f.severity != "low" or f.direction != "neutral" for f in findings):
        findings += _rewording_findings(old, new, diff, new_hot, old_sigs + new_sigs)
    return findings


_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")


def _inside_links(text: str, ranges: Sequence[tuple[int, int]]) -> bool:
    """Every changed range lies inside the text or target of a Markdown link."""
    links = [m.span() for m in _LINK.finditer(text)]
    return bool(links) and bool(ranges) and all(any(a <= r0 and r1 <= b for a, b in links) for r0, r1 in ranges)


def _polarity_findings(
    old: str,
    new: str,
    diff: _WordDiff,
    gained: list[Signal],
    lost: list[Signal],
    old_keys: set,
    new_keys: set,
    new_sigs: Sequence[Signal],
    new_hot: Sequence[Signal],
) -> list[RuleFinding]:
    """Negations dropped/added, practices gained/lost, protections gained/lost."""
    findings: list[RuleFinding] = []
    flipped: set[tuple[str, str]] = set()
    for s in gained:
        before = (s.category, s.label, PROTECTIVE if s.polarity == EXPOSING else EXPOSING)
        if before in old_keys and before not in new_keys:
            flipped.add((s.category, s.label))
            if s.polarity == EXPOSING:
                sev: Severity = "high" if s.risk != "low" else "medium"
                findings.append(RuleFinding("weakens", sev, (s.category,), *edit_reason(old, new, diff, "new", s, "negation or limit dropped")))
            else:
                findings.append(RuleFinding("strengthens", "low", (s.category,), *edit_reason(old, new, diff, "new", s, "negation added")))
    exposing = [s for s in _effective_exposing(new_sigs) if s in gained and (s.category, s.label) not in flipped]
    if exposing:
        findings.append(_widening_finding("Added", new, exposing))
    protective_lost = [s for s in lost if s.polarity == PROTECTIVE and (s.category, s.label) not in flipped]
    if protective_lost:
        worst = _riskiest(protective_lost)
        findings.append(RuleFinding("weakens", "medium", _cats(protective_lost), *edit_reason(old, new, diff, "old", worst, "protection removed")))
    protective_gained = [s for s in gained if s.polarity == PROTECTIVE and (s.category, s.label) not in flipped]
    if protective_gained:
        findings.append(RuleFinding("strengthens", "low", _cats(protective_gained), *edit_reason(old, new, diff, "new", protective_gained[0], "protection added")))
    exposing_lost = [s for s in lost if s.polarity == EXPOSING and (s.category, s.label) not in flipped]
    if exposing_lost:
        findings.append(RuleFinding("narrows", "low", _cats(exposing_lost), *edit_reason(old, new, diff, "old", exposing_lost[0], "practice no longer described")))
    return findings


def _softened_commitments(old: str, new: str, old_hot: Sequence[Signal], new_hot: Sequence[Signal]) -> list[RuleFinding]:
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
    return [RuleFinding("weakens", "medium", (sig.category,), f'Changed: "{_quote(new, sig.span)}" ({cat}: commitment softened to "may"; "{sig.phrase}").')]


def _number_findings(old: str, new: str, old_sigs: Sequence[Signal], new_sigs: Sequence[Signal]) -> list[RuleFinding]:
    """Retention periods compared in days; children's age thresholds compared."""
    findings: list[RuleFinding] = []
    cats = {s.category for s in old_sigs} | {s.category for s in new_sigs}
    if "retention" in cats:
        before, after = _durations(old), _durations(new)
        if before and not after and any(s.category == "retention" for s in new_sigs):
            b = _duration_phrase(old, max(before))
            findings.append(RuleFinding("weakens", "medium", ("retention",), f'Changed: retention period "{b}" removed from: "{_short(_around_duration(old, b), 240)}" (retention: limit removed).', _clean(_around_duration(old, b))))
        if before and after and max(after) != max(before):
            b, a = _duration_phrase(old, max(before)), _duration_phrase(new, max(after))
            if max(after) > max(before):
                findings.append(RuleFinding("weakens", "medium", ("retention",), f'Changed: retention period "{b}" -> "{a}" in: "{_short(_around_duration(new, a), 240)}" (retention: kept longer).', _clean(_around_duration(new, a))))
            else:
                findings.append(RuleFinding("strengthens", "low", ("retention",), f'Changed: retention period "{b}" -> "{a}" in: "{_short(_around_duration(new, a), 240)}" (retention: kept for less time).', _clean(_around_duration(new, a))))
    if "children" in cats:
        ages_before, ages_after = _ages(old), _ages(new)
        if ages_before and ages_after and ages_before != ages_after:
            if min(ages_after) < min(ages_before):
                findings.append(RuleFinding("weakens", "medium", ("children",), f"Changed: age threshold {min(ages_before)} -> {min(ages_after)} (children: age limit lowered)."))
            elif min(ages_after) > min(ages_before):
                findings.append(RuleFinding("strengthens", "low", ("children",), f"Changed: age threshold {min(ages_before)} -> {min(ages_after)} (children: age limit raised)."))
    return findings


def _around_duration(text: str, phrase: str) -> str:
    """The sentence stating a retention period."""
    at = text.find(phrase)
    return _sentence_around(text, (at, at + len(phrase))) if at >= 0 else text


def _controller_findings(old: str, new: str) -> list[RuleFinding]:
    """A different company named where the text says who controls or operates the service."""
    if not (lexicon.CONTROLLER_CONTEXT.search(new) or lexicon.CONTROLLER_CONTEXT.search(old)):
        findings: list[RuleFinding] = []
    else:
        before, after = _orgs(old), _orgs(new)
        newcomers = [o for o in after if o.lower() not in {b.lower() for b in before}]
        if newcomers and (before or lexicon.CONTROLLER_CONTEXT.search(new)):
            at = new.find(newcomers[0])
            sentence = _sentence_around(new, (at, at + len(newcomers[0])))
            return [RuleFinding("expands", "medium", ("contact",), f'Changed: "{newcomers[0]}" now named in "{_short(new)}" (contact: new controller or operator).', _clean(sentence))]
        findings = []
    if set(lexicon.EMAIL.findall(old)) != set(lexicon.EMAIL.findall(new)):
        findings.append(RuleFinding("neutral", "low", ("contact",), f'Changed: contact details in "{_short(new)}" (contact).'))
    return findings


def _qualifier_findings(old: str, new: str, diff: _WordDiff, new_hot: Sequence[Signal]) -> list[RuleFinding]:
    """A limiting word ("only", "aggregated", "with your consent") deleted from, or inserted into,
    a sentence that describes a practice, where it limits that practice.

    Only words the word diff actually deleted or inserted count, and only when their
    sentence describes a widening practice; "only" limiting who may act ("only you or
    an authorized agent may make a request") limits a person, not a practice.
    """
    findings = _exception_findings(old, new, diff)
    dropped = _limiting_words(old, diff.old_ranges, new)
    if dropped:
        findings.append(_qualifier_finding(dropped, "weakens", "medium", "removed from", "practice less limited"))
    added = _limiting_words(new, diff.new_ranges, old)
    if added:
        findings.append(_qualifier_finding(added, "narrows", "low", "added to", "practice limited"))
    return findings


def _qualifier_finding(
    found: tuple[str, str, Signal], direction: Direction, severity: Severity, edit: str, what: str
) -> RuleFinding:
    """'Changed: "only" removed from: "..." (sharing: practice less limited).', quoting the sentence."""
    word, sentence, sig = found
    cat = sig.category.replace("_", " ")
    return RuleFinding(direction, severity, (sig.category,),
                       f'Changed: "{word}" {edit}: "{_short(sentence, 240)}" ({cat}: {what}).', _clean(sentence))


# "strictly necessary cookies" names a kind of cookie; it limits nothing.
_NAMES_A_KIND = re.compile(r"\s*(?:necessary\s+)?(?:cookies|technologies|trackers|tags)\b")
_ACTOR_AFTER = re.compile(r"\s+(?:you|your|we|us|the user|users|an? authori[sz]ed|authori[sz]ed|the account|account)\b")


def _limiting_words(text: str, ranges: Sequence[tuple[int, int]], other: str) -> tuple[str, str, Signal] | None:
    """(word, its sentence, the practice it limits) for a qualifier inside a changed range."""
    low = fold_text(text)
    other_low = fold_text(other)
    signals = find_signals(text)
    for m in lexicon.QUALIFIERS.finditer(low):
        if not any(r0 <= m.start() < r1 for r0, r1 in ranges):
            continue
        if _ACTOR_AFTER.match(low, m.end()) or _NAMES_A_KIND.match(low, m.end()):
            continue
        sentence = _sentence_around(text, m.span())
        lo, hi = _part_span(low, m.start())  # "(available only in some countries)" limits nothing outside
        practice = [s for s in signals if s.kind == lexicon.PRACTICE and s.category in WIDENING
                    and s.polarity == EXPOSING and lo <= s.span[0] < hi]
        if not practice or _same_sentence_kept(fold_text(sentence), other_low, m.group(0)):
            continue
        return text[m.start():m.end()], sentence, _riskiest(practice)
    return None


_PART_END = re.compile(r"[()\[\];|]|\.\s|\n")


def _part_span(low: str, at: int) -> tuple[int, int]:
    """The stretch of text around ``at`` up to brackets, semicolons, table cells or a sentence end."""
    starts = [m.end() for m in _PART_END.finditer(low, 0, at)]
    end = _PART_END.search(low, at)
    return (starts[-1] if starts else 0, end.start() if end else len(low))


def _same_sentence_kept(sentence: str, other: str, word: str) -> bool:
    """The other version still has this qualifier in a sentence sharing most words with this one."""
    words = set(sentence.split())
    for part in other.split("."):
        if word in part and len(words & set(part.split())) >= 0.6 * len(words):
            return True
    return False


def _exception_findings(old: str, new: str, diff: _WordDiff) -> list[RuleFinding]:
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
        return [RuleFinding("weakens", "medium", (sig.category,), f'Changed: exception added to a promise: "{quote}" ({cat}: protection narrowed by an exception).')]
    if len(after) < len(before):
        sig = before[0]
        cat = sig.category.replace("_", " ")
        return [RuleFinding("strengthens", "low", (sig.category,), f'Changed: exception removed from a promise: "{_quote(old, sig.span)}" ({cat}).')]
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


_NAME = re.compile(r"\b[A-Z][\w&'-]*[A-Za-z](?:\s+[A-Z][\w&'-]*[A-Za-z])*")
_SHARING = frozenset({"sharing", "sale"})
_NOT_NAMES = frozenset("We Our Your You These This Those That How What When Where Which If In For To".split())
_LIST_BEFORE = re.compile(r"(?:,|\bor|\band|\bsuch as|\bincluding|\blike|\bwith)\s+$")


def _recipient_findings(old: str, new: str, diff: _WordDiff, new_sigs: Sequence[Signal]) -> list[RuleFinding]:
    """Named recipients added to a sharing or sale sentence ("..., Yahoo, Facebook or The Trade Desk").

    docs/DESIGN.md: an enumeration of recipients that gains members widens the practice
    even when the rest of the sentence is unchanged.
    """
    old_low = fold_text(old)
    for start, end in diff.new_ranges:
        inserted = new[start:end]
        names = [m for m in _NAME.finditer(new, start, end) if _listed_name(new, m) and m.group(0).casefold() not in old_low]
        if not names:
            continue
        sentence = _sentence_around(new, (start, end))
        s0 = new.find(sentence)
        sharing = [s for s in new_sigs if s.category in _SHARING and s.polarity == EXPOSING
                   and s.label not in lexicon.GENERIC_LABELS and s0 <= s.span[0] < s0 + len(sentence)]
        if sharing:
            return [RuleFinding("expands", "medium", ("sharing",),
                                f'Changed: "{_clean(inserted)}" added to: "{_short(sentence, 240)}" (sharing: new recipients named).',
                                _clean(sentence))]
    return []


def _listed_name(text: str, m: re.Match) -> bool:
    """A proper name that is a member of a list ("partners, such as Xandr, Yahoo or Facebook"),
    not a sentence start, a pronoun or a quoted title."""
    if m.group(0).split()[0] in _NOT_NAMES:
        return False
    before = text[max(0, m.start() - 12):m.start()]
    return bool(_LIST_BEFORE.search(before))


def _rewording_findings(
    old: str, new: str, diff: _WordDiff, new_hot: Sequence[Signal], all_sigs: Sequence[Signal]
) -> list[RuleFinding]:
    """New words inside a sentence that describes a practice: treat as a possible widening.

    Missing a material change is worse than a false alarm (docs/DESIGN.md), so a
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
        return [RuleFinding("expands", "medium", _cats(sigs), *edit_reason(old, new, diff, "new", worst, "practice reworded"))]
    return [RuleFinding("neutral", "low", _cats(all_sigs), *edit_reason(old, new, diff, "new", None, "reworded"))]
