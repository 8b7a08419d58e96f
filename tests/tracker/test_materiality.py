"""Materiality: clause changes and whole-document verdicts (docs/DESIGN.md "Materiality")."""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from policywatch.tracker.materiality import assess_change, judge_document
from policywatch.tracker.model import Assessment, Clause, ClauseChange

CORPUS = Path(os.environ.get("POLICYWATCH_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))


def modified(old: str, new: str, cosmetic: bool = False) -> Assessment:
    return assess_change(ClauseChange("modified", 0, 0, old, new, cosmetic=cosmetic))


def added(text: str) -> Assessment:
    return assess_change(ClauseChange("added", None, 0, None, text))


def removed(text: str) -> Assessment:
    return assess_change(ClauseChange("removed", 0, None, text, None))


# --- negation and modality ----------------------------------------------------------


def test_negation_dropped_is_high_and_material() -> None:
    a = modified("We do not sell your personal information.", "We may sell your personal information.")
    assert (a.severity, a.material, a.direction) == ("high", True, "weakens")
    assert "sale" in a.categories and '"We may sell your personal information."' in a.reason


def test_negation_added_is_low_and_not_material() -> None:
    a = modified("We may sell your personal information.", "We do not sell your personal information.")
    assert (a.severity, a.material, a.direction) == ("low", False, "strengthens")


def test_never_share_to_may_share() -> None:
    a = modified("We will never share your data with advertisers.", "We may share your data with advertisers.")
    assert a.material and a.severity == "high" and "sharing" in a.categories
    back = modified("We may share your data with advertisers.", "We will never share your data with advertisers.")
    assert not back.material and back.direction == "strengthens"


def test_ai_training_protection_vs_practice() -> None:
    protection = added("We do not use your content to train our artificial intelligence models.")
    practice = added("We may use your content to train our artificial intelligence models.")
    assert not protection.material and protection.direction == "strengthens"
    assert practice.material and practice.severity == "high" and "purpose" in practice.categories


# --- additions and removals, every widening category -------------------------------


@pytest.mark.parametrize(
    "text,category",
    [
        ("We may sell your personal information to data brokers.", "sale"),
        ("We may share your personal information with advertisers.", "sharing"),
        ("We collect biometric information such as a scan of your face geometry.", "collection"),
        ("We collect your precise location when the app is in the background.", "collection"),
        ("We use your information to build profiles for targeted advertising.", "purpose"),
        ("We and our partners use pixels and SDKs to track you across websites and apps.", "tracking"),
        ("We may transfer your personal data to the United States and other countries.", "international_transfer"),
        ("We share personal information with third parties for cross-context behavioral advertising.", "sale"),
    ],
)
def test_added_practice_is_material(text: str, category: str) -> None:
    a = added(text)
    assert a.material and a.direction == "expands" and category in a.categories, a
    assert a.reason.startswith("Added: ")


def test_added_high_risk_practices_are_high() -> None:
    assert added("We may sell your personal information.").severity == "high"
    assert added("We may share your data with data brokers.").severity == "high"


def test_added_protection_is_low() -> None:
    for text in ("We do not sell your personal information.",
                 "You have the right to delete your personal data at any time.",
                 "We encrypt your data in transit and at rest."):
        a = added(text)
        assert (a.severity, a.material) == ("low", False), (text, a)


@pytest.mark.parametrize(
    "text,category",
    [
        ("You have the right to delete your personal data at any time.", "user_rights"),
        ("You can opt out of the sale of your personal information.", "user_rights"),
        ("We delete your messages after 30 days.", "retention"),
        ("Children under the age of 13 are not allowed to create an account.", "children"),
        ("We use encryption and other security measures to protect your personal information.", "security"),
        ("Transfers outside the EEA rely on Standard Contractual Clauses.", "international_transfer"),
    ],
)
def test_removed_protection_weakens(text: str, category: str) -> None:
    a = removed(text)
    assert a.material and a.direction == "weakens" and category in a.categories, a
    assert a.reason.startswith("Removed: ")


def test_denied_right_weakens_but_non_discrimination_does_not() -> None:
    assert added("You will not be able to opt out of the sharing of your data with our affiliates.").material
    assert added("We do not encrypt messages stored on our servers.").direction == "weakens"
    assert not added("We will not discriminate against you for exercising your rights.").material


def test_removed_negation_is_high() -> None:
    a = removed("We do not sell your personal information.")
    assert a.severity == "high" and a.direction == "weakens"


def test_removed_practice_narrows() -> None:
    a = removed("We share your data with partners for marketing purposes.")
    assert (a.direction, a.severity, a.material) == ("narrows", "low", False)


# --- numbers, names, contacts --------------------------------------------------------


def test_retention_lengthened_is_material_and_shortened_is_not() -> None:
    short = "If you do not come online for at least 6 months, your account will be deleted."
    long = "If you do not come online for at least 18 months, your account will be deleted."
    assert modified(short, long).material and "retention" in modified(short, long).categories
    assert '"6 months" -> "18 months"' in modified(short, long).reason
    back = modified(long, short)
    assert not back.material and back.direction == "strengthens"


def test_retention_units_are_converted() -> None:
    assert modified("We keep logs for 90 days.", "We keep logs for 1 year.").material
    assert not modified("We keep logs for 1 year.", "We keep logs for 90 days.").material


def test_retention_extended_by_an_open_ended_clause() -> None:
    assert modified("We retain logs for 30 days.", "We retain logs for 30 days, or longer where required by law.").material


def test_new_hosting_country_is_a_transfer() -> None:
    a = added("Your data may be stored on servers located in India.")
    assert a.material and "international_transfer" in a.categories


def test_retention_period_replaced_by_open_ended_wording() -> None:
    a = modified("We retain your data for 2 years.", "We retain your data for as long as necessary.")
    assert a.material and a.direction == "weakens" and '"2 years"' in a.reason


def test_retention_made_indefinite() -> None:
    a = modified("We retain your data as long as necessary to provide the service.", "We retain your data indefinitely.")
    assert a.material and a.severity == "high" and "retention" in a.categories


def test_age_threshold_lowered() -> None:
    a = modified("You must be at least 16 years old to use the service.", "You must be at least 13 years old to use the service.")
    assert a.material and "children" in a.categories and "16 -> 13" in a.reason
    assert not modified("You must be at least 13 years old to use the service.",
                        "You must be at least 16 years old to use the service.").material


def test_new_controller_is_material() -> None:
    a = modified("The controller of your personal data is Grammarly Inc.",
                 "The controller of your personal data is Superhuman Platform Inc.")
    assert a.material and "contact" in a.categories and "Superhuman Platform Inc." in a.reason


def test_contact_change_is_low() -> None:
    a = modified("Contact us at privacy@example.com.", "Contact us at legal@example.org.")
    assert (a.severity, a.material, a.categories) == ("low", False, ("contact",))


def test_new_recipient_in_modified_clause() -> None:
    a = modified("We share data with our service providers.", "We share data with our service providers and advertisers.")
    assert a.material and a.severity == "high" and "advertisers" in a.reason


def test_exception_added_to_a_promise_weakens_and_removed_strengthens() -> None:
    a = modified("We never sell your personal data.", "We do not sell your personal data, except to our partners.")
    assert a.material and a.direction == "weakens"
    b = modified("We do not share your data unless required by law.", "We do not share your data.")
    assert not b.material and b.direction == "strengthens"


def test_negation_narrowed_from_sell_or_share_to_sell_weakens() -> None:
    a = modified("We do not sell or share personal information as defined under the CCPA.",
                 "We do not sell personal information as defined under the CCPA.")
    assert a.material and a.direction == "weakens" and "sharing" in a.categories


def test_commitment_softened_to_may_weakens() -> None:
    assert modified("We will delete your messages after 30 days.", "We may delete your messages after 30 days.").material
    assert modified("We encrypt all personal data at rest.", "We may encrypt personal data at rest.").direction == "weakens"
    assert not modified("We will share data with partners.", "We may share data with partners.").material


def test_limiting_word_removed() -> None:
    a = modified("We share aggregated information with our partners.", "We share information with our partners.")
    assert a.material and a.direction == "weakens"


# --- cosmetic and moved ----------------------------------------------------------------


@pytest.mark.parametrize(
    "old,new",
    [
        ("Last updated: January 1, 2024", "Last updated: March 5, 2025"),
        ("We may share your data with partners.", "We may share your data with partners"),
        ("Chats won't appear in history.", "Chats won\u2019t appear in history."),
        ("We  may share your\ndata with partners.", "We may share your data with partners."),
        ("We May Share Your Data With Partners.", "we may share your data with partners."),
        ("See our [cookie policy](https://a.example/cookies).", "See our [cookie policy](https://b.example/c)."),
    ],
)
def test_cosmetic_edits_are_none(old: str, new: str) -> None:
    a = modified(old, new)
    assert (a.severity, a.material, a.direction) == ("none", False, "cosmetic")


def test_list_renumbering_is_cosmetic_but_leading_quantities_are_not() -> None:
    assert modified("3. [3\\. Updates to this notice](#updates)", "5. [3\\. Updates to this notice](#updates)").severity == "none"
    assert modified("6 months is how long we keep logs.", "18 months is how long we keep logs.").material


def test_page_chrome_is_not_policy_text() -> None:
    banner = "We use cookies to improve your experience. By clicking \u201cAccept all\u201d, you agree to our use of cookies."
    assert added(banner).severity == "none"
    assert added("We use cookies to track you across websites. You can manage cookies in your settings.").material


def test_cosmetic_flag_wins() -> None:
    a = modified("We collect data.", "We collect data!", cosmetic=True)
    assert a.severity == "none" and not a.material


def test_pure_move_is_none() -> None:
    text = "We may share your personal information with advertisers."
    a = assess_change(ClauseChange("moved", 3, 7, text, text))
    assert a.severity == "none" and not a.material


# --- document verdicts -------------------------------------------------------------------


def _clauses(texts: list[str]) -> list[Clause]:
    return [Clause(i, "paragraph", t) for i, t in enumerate(texts)]


def _assessed(change: ClauseChange) -> ClauseChange:
    return replace(change, assessment=assess_change(change))


POLICY = [
    "We collect your email address and the content you post.",
    "We use your information to provide and improve the service.",
    "We share information with service providers that help us run the service.",
    "We do not sell your personal information.",
    "You may access, correct or delete your data by contacting us.",
    "We retain your data for as long as your account is active.",
    "We use encryption to protect your information.",
    "Children under 13 may not use the service.",
] + [f"Section {i}: this paragraph explains how the service works for users in region {i}." for i in range(8)]


def test_no_changes_is_cosmetic_only() -> None:
    v = judge_document([], _clauses(POLICY), _clauses(POLICY))
    assert v.cosmetic_only and not v.material and v.severity == "none"


def test_material_verdict_and_summary() -> None:
    old = _clauses(POLICY)
    new_texts = POLICY[:3] + ["We may sell your personal information to data brokers."] + POLICY[4:]
    new = _clauses(new_texts)
    change = _assessed(ClauseChange("modified", 3, 3, POLICY[3], new_texts[3]))
    v = judge_document([change], old, new)
    assert v.material and v.severity == "high" and "sale" in v.categories and not v.cosmetic_only
    assert v.summary.startswith("1 material change (") and "sell" in v.summary


def test_cosmetic_only_verdict() -> None:
    old = _clauses(POLICY)
    new = _clauses([POLICY[0].replace(".", "!")] + POLICY[1:])
    change = _assessed(ClauseChange("modified", 0, 0, POLICY[0], new[0].text, cosmetic=True))
    v = judge_document([change], old, new)
    assert v.cosmetic_only and not v.material and v.severity == "none"


def test_extraction_failure_is_not_material() -> None:
    old = _clauses(POLICY)
    new = _clauses(["Redirecting to legal.example.com"])
    changes = [_assessed(ClauseChange("removed", i, None, t, None)) for i, t in enumerate(POLICY)]
    changes.append(_assessed(ClauseChange("added", None, 0, None, new[0].text)))
    v = judge_document(changes, old, new)
    assert not v.material and "extraction failure" in v.reason


def test_truncated_capture_is_not_material() -> None:
    old = _clauses(POLICY * 4)
    cut = len(old) - 6
    new = old[:cut]
    changes = [_assessed(ClauseChange("removed", i, None, old[i].text, None)) for i in range(cut, len(old))]
    v = judge_document(changes, old, new)
    assert not v.material and "truncated capture: the last 6 clauses" in v.reason


def test_removal_in_the_middle_is_not_truncation() -> None:
    old = _clauses(POLICY * 4)
    new = old[:4] + old[5:]
    changes = [_assessed(ClauseChange("removed", 4, None, old[4].text, None))]
    v = judge_document(changes, old, new)
    assert v.material and "user_rights" in v.categories


def test_policy_appended_twice_is_not_material() -> None:
    old = _clauses(POLICY)
    new = _clauses(POLICY + POLICY)
    changes = [_assessed(ClauseChange("added", None, len(POLICY) + i, None, t)) for i, t in enumerate(POLICY)]
    v = judge_document(changes, old, new)
    assert not v.material


# --- corpus (skipped when the shared corpus is absent) ---------------------------------

corpus = pytest.mark.skipif(not (CORPUS / "labels.json").exists(), reason=f"shared corpus not found at {CORPUS}")


@corpus
@pytest.mark.corpus
def test_corpus_retention_pair_is_material() -> None:
    from policywatch.tracker.compare import compare_texts

    old = (CORPUS / "telegram/2024-09-27T18-12-57Z.md").read_text(encoding="utf-8")
    new = (CORPUS / "telegram/2024-10-02T18-13-23Z.md").read_text(encoding="utf-8")
    v = compare_texts(old, new).verdict
    assert v.material and "retention" in v.categories


@corpus
@pytest.mark.corpus
def test_corpus_whitespace_pair_is_cosmetic() -> None:
    from policywatch.tracker.compare import compare_texts

    old = (CORPUS / "chatgpt/2026-07-20T22-30-09Z.md").read_text(encoding="utf-8")
    new = (CORPUS / "chatgpt/2026-07-25T10-30-09Z.md").read_text(encoding="utf-8")
    v = compare_texts(old, new).verdict
    assert not v.material and v.severity == "none"


@corpus
@pytest.mark.corpus
def test_classifying_the_longest_policy_finds_its_categories() -> None:
    from policywatch.tracker.classify import classify_text
    from policywatch.tracker.segment import segment_text

    files = sorted((CORPUS / "microsoft-copilot").glob("*.md"), key=lambda p: p.stat().st_size)
    clauses = segment_text(files[-1].read_text(encoding="utf-8"))
    found = {cat for c in clauses for cat in classify_text(c.text)}  # speed: bench/speed_bench.py
    assert {"collection", "sharing", "retention"} <= found


def test_added_clause_naming_a_new_controller_is_material() -> None:
    old = _clauses(POLICY + ["The data controller for your information is Example Inc."])
    text = "The data controller for your information is Other Holdings LLC."
    new = _clauses(POLICY + [text])
    change = _assessed(ClauseChange("added", None, len(POLICY), None, text))
    v = judge_document([change], old, new)
    assert v.material and "contact" in v.categories and "Other Holdings LLC" in v.reason
    same = _assessed(ClauseChange("added", None, len(POLICY), None, "Example Inc. is the data controller."))
    assert not judge_document([same], old, _clauses(POLICY + ["Example Inc. is the data controller."])).material


def test_assess_in_context_matches_the_verdict() -> None:
    from policywatch.tracker.materiality import assess_in_context

    old = _clauses(POLICY)
    new = _clauses(POLICY + POLICY)
    changes = [_assessed(ClauseChange("added", None, len(POLICY) + i, None, t)) for i, t in enumerate(POLICY)]
    contextual = assess_in_context(changes, old, new)
    assert len(contextual) == len(changes)
    assert not any(c.assessment.material for c in contextual)
    assert all(c.assessment.severity == "none" for c in contextual)


def test_judge_assesses_changes_that_arrive_unassessed() -> None:
    old = _clauses(POLICY)
    new_texts = POLICY[:3] + ["We may sell your personal information to data brokers."] + POLICY[4:]
    change = ClauseChange("modified", 3, 3, POLICY[3], new_texts[3])  # no assessment attached
    v = judge_document([change], old, _clauses(new_texts))
    assert v.material and "sale" in v.categories
