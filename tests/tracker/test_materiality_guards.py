"""Guards that keep materiality quiet when the words are not a change of practice.

Each test here fails when its guard is removed (issue 19: the title-like downgrade and the
bulk-copy guard could be dropped without any test noticing).
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from policywatch.tracker.materiality import assess_change, assess_in_context, judge_document
from policywatch.tracker.model import Assessment, Clause, ClauseChange, Verdict

from tests.tracker.test_materiality import POLICY  # the same small policy the clause tests use


def _clauses(texts: list[str]) -> list[Clause]:
    return [Clause(i, "paragraph", t) for i, t in enumerate(texts)]


def _removed(text: str, ordinal: int = 0) -> ClauseChange:
    change = ClauseChange("removed", ordinal, None, text, None)
    return replace(change, assessment=assess_change(change))


def _added(text: str, ordinal: int = 0) -> ClauseChange:
    change = ClauseChange("added", None, ordinal, None, text)
    return replace(change, assessment=assess_change(change))


# --- title-like clauses: a heading names a topic, the clauses under it decide -----------


@pytest.mark.parametrize(
    "heading, sentence, sentence_severity",
    [
        ("## We do not sell your personal information", "We do not sell your personal information.", "high"),
        ("### Your right to delete your data", "Your right to delete your data.", "medium"),
    ],
)
def test_removed_heading_is_low_while_the_same_sentence_is_material(heading, sentence, sentence_severity):
    as_heading, as_sentence = _removed(heading).assessment, _removed(sentence).assessment
    assert (as_sentence.severity, as_sentence.material) == (sentence_severity, True)
    assert (as_heading.direction, as_heading.severity, as_heading.material) == ("weakens", "low", False)


def test_added_heading_naming_a_practice_is_low_while_the_sentence_is_high():
    heading = _added("## Sale of your data to advertisers").assessment
    sentence = _added("We sell your personal information to advertisers.").assessment
    assert (sentence.severity, sentence.direction) == ("high", "expands")
    assert (heading.severity, heading.direction, heading.material) == ("low", "expands", False)


def test_removing_a_heading_alone_does_not_make_the_document_material():
    old_texts = ["## We do not sell your personal information", *POLICY]
    v = judge_document([_removed(old_texts[0])], _clauses(old_texts), _clauses(POLICY))
    assert not v.material and v.severity == "low"


# --- bulk copies: the page held the policy twice --------------------------------------------


def test_removing_a_duplicated_copy_of_the_policy_is_not_material():
    old = _clauses(POLICY + POLICY)  # the first copy goes (removals at the end would read as truncation)
    new = _clauses(POLICY)
    changes = [_removed(t, i) for i, t in enumerate(POLICY)]
    assert any(c.assessment.severity == "high" for c in changes)  # alone, a removed promise is alarming
    v = judge_document(changes, old, new)
    assert not v.material and v.severity == "none"
    assert "16 copied clauses ignored" in v.summary
    counted = assess_in_context(changes, old, new)
    assert all(c.assessment.severity == "none" and "discounted: copy of text" in c.assessment.reason
               for c in counted)


def test_appending_a_second_copy_is_not_material():
    old = _clauses(POLICY)
    new = _clauses(POLICY + POLICY)
    changes = [_added(t, len(POLICY) + i) for i, t in enumerate(POLICY)]
    v = judge_document(changes, old, new)
    assert not v.material and v.severity == "none"


def test_one_removed_duplicate_still_counts():
    """A single clause removed while a copy survives elsewhere is not a bulk copy: it is judged."""
    texts = ["We do not sell your personal information.", *POLICY]
    old, new = _clauses(texts), _clauses(POLICY)
    v = judge_document([_removed(texts[0], 0)], old, new)
    assert v.material and v.severity == "high"


def test_a_copy_below_a_quarter_of_the_document_is_judged():
    """Ten copied clauses of a 60-clause policy are not "the policy twice"."""
    long_policy = POLICY + [f"Paragraph {i}: more about how region {i} is served." for i in range(44)]
    copied = POLICY[:10]
    old = _clauses(copied + long_policy)
    new = _clauses(long_policy)
    changes = [_removed(t, i) for i, t in enumerate(copied)]
    v = judge_document(changes, old, new)
    assert v.material and v.severity == "high"


# --- moves, cosmetic edits and page chrome: exact assessments -------------------------------

SALE = "We do not sell your personal information."


@pytest.mark.parametrize(
    "change, expected",
    [
        (ClauseChange("moved", 0, 3, SALE, SALE),
         Assessment(("sale",), "cosmetic", "none", False,
                    f"Moved: wording unchanged apart from formatting ({SALE}).")),
        (ClauseChange("moved", 0, 3, SALE, "We do **not** sell your personal information!"),
         Assessment(("sale",), "cosmetic", "none", False,
                    "Moved: wording unchanged apart from formatting (We do not sell your personal information!).")),
        (ClauseChange("modified", 0, 0, "We share data with partners.", "We share data with partners!", cosmetic=True),
         Assessment(("sharing",), "cosmetic", "none", False,
                    "Cosmetic edit: wording unchanged apart from formatting (We share data with partners!).")),
        (ClauseChange("added", None, 0, None, "Accept all cookies"),
         Assessment((), "neutral", "none", False,
                    'Added: "Accept all cookies" (page chrome such as a cookie banner or navigation, not policy text).')),
        (ClauseChange("removed", 0, None, "Accept all cookies", None),
         Assessment((), "neutral", "none", False,
                    'Removed: "Accept all cookies" (page chrome such as a cookie banner or navigation, not policy text).')),
    ],
)
def test_exact_assessment_of_moves_cosmetic_edits_and_chrome(change, expected):
    assert assess_change(change) == expected


def test_a_moved_clause_whose_words_changed_is_judged_as_a_change():
    a = assess_change(ClauseChange("moved", 0, 3, SALE, "We sell your personal information."))
    assert (a.direction, a.severity, a.material) == ("weakens", "high", True)


# --- whole-document guards: exact verdicts ---------------------------------------------------

REDIRECT = "Redirecting to legal.example.com"
REDIRECT_PROBLEM = 'extraction_failure: The text (5 words) looks like a redirect notice: it says "Redirecting".'


def _guard_verdict(reason: str) -> Verdict:
    return Verdict(False, False, "none", (), reason, reason)


def test_an_extraction_failure_on_either_side_gives_an_exact_quiet_verdict():
    old, new = _clauses(POLICY), _clauses([REDIRECT])
    to_redirect = [_removed(t, i) for i, t in enumerate(POLICY)] + [_added(REDIRECT, 0)]
    assert judge_document(to_redirect, old, new) == _guard_verdict(
        f"Not material: the new version looks like an extraction failure ({REDIRECT_PROBLEM}), not a policy change.")
    from_redirect = [_removed(REDIRECT, 0)] + [_added(t, i) for i, t in enumerate(POLICY)]
    assert judge_document(from_redirect, new, old) == _guard_verdict(
        f"Not material: the previous version looks like an extraction failure ({REDIRECT_PROBLEM}), not a policy change.")


def test_a_truncated_capture_gives_an_exact_quiet_verdict():
    old = _clauses(POLICY * 4)
    cut = len(old) - 6
    changes = [_removed(old[i].text, i) for i in range(cut, len(old))]
    assert judge_document(changes, old, old[:cut]) == _guard_verdict(
        "Not material: possible truncated capture: the last 6 clauses are missing.")
