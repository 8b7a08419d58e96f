"""Clause classification: every category from short real-world-style sentences."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from policywatch.tracker.classify import EXPOSING, PROTECTIVE, classify_text, find_signals
from policywatch.tracker.model import CATEGORIES

EXAMPLES = [
    ("collection", "We collect your precise location and device identifiers when you use the app."),
    ("collection", "If you choose to connect your device contacts, we upload information from your address book."),
    ("collection", "We may receive information about you from data providers and advertisers."),
    ("sharing", "We may share your personal information with our business partners and affiliates."),
    ("sharing", "We may disclose your IP address and phone number to the relevant judicial authorities."),
    ("sale", "We may sell your personal information to data brokers."),
    ("sale", "We share personal information for cross-context behavioral advertising."),
    ("purpose", "We use the content you provide to train our artificial intelligence models."),
    ("purpose", "We use your information to show you personalized advertising."),
    ("tracking", "We and our partners use cookies, pixels and SDKs to track you across websites."),
    ("tracking", "Our services do not respond to Do Not Track signals."),
    ("retention", "We retain your personal data for as long as necessary to provide the services."),
    ("retention", "If you do not come online for at least 6 months, your account will be deleted."),
    ("user_rights", "You have the right to access, correct or delete your personal data."),
    ("user_rights", "You can opt out of marketing emails or withdraw your consent at any time."),
    ("children", "Children under the age of 13 are not allowed to create an account."),
    ("children", "We may use facial age estimation to verify your age."),
    ("international_transfer", "We may transfer your data to countries outside the European Economic Area."),
    ("international_transfer", "Such transfers rely on the Standard Contractual Clauses approved by the Commission."),
    ("security", "We use encryption and other security measures to protect your personal information."),
    ("policy_change", "We may update this Privacy Policy from time to time and will notify you of changes."),
    ("contact", "If you have questions, contact us at privacy@example.com."),
    ("contact", "The controller of your personal data is Example Platform Inc."),
]


@pytest.mark.parametrize("category,text", EXAMPLES)
def test_category_found(category: str, text: str) -> None:
    assert category in classify_text(text)


def test_categories_follow_vocabulary_order() -> None:
    cats = classify_text("We collect cookies and may sell data. Contact us at a@b.org.")
    assert list(cats) == sorted(cats, key=CATEGORIES.index)
    assert set(cats) <= set(CATEGORIES)


def test_plain_text_has_no_category() -> None:
    assert classify_text("Welcome to our website. We hope you enjoy it.") == ()
    assert classify_text("") == ()


def _polarity(text: str, category: str) -> set[str]:
    return {s.polarity for s in find_signals(text) if s.category == category}


def test_negation_makes_practice_protective() -> None:
    assert _polarity("We do not sell your personal information.", "sale") == {PROTECTIVE}
    assert _polarity("We may sell your personal information.", "sale") == {EXPOSING}
    assert _polarity("We will never share your data with advertisers.", "sharing") == {PROTECTIVE}


def test_negated_verb_reaches_a_purpose_far_away() -> None:
    text = ("Zoom does not use any of your audio, video, chat, screen sharing, attachments or other "
            "communications-like Customer Content to train Zoom's or third-party artificial intelligence models.")
    training = [s for s in find_signals(text) if s.label == "AI model training"]
    assert training and all(s.polarity == PROTECTIVE for s in training)


def test_unrelated_negation_does_not_flip() -> None:
    text = ("We scan emails from someone who is not a registered user, and files exchanged through chat, "
            "and we use them to target advertising to you.")
    ads = [s for s in find_signals(text) if s.label == "targeted advertising"]
    assert ads and ads[0].polarity == EXPOSING


def test_opt_out_frames_sale_as_a_choice() -> None:
    sigs = find_signals("You have the right to opt out of the sale of your personal information.")
    assert {s.polarity for s in sigs if s.category == "sale"} == {PROTECTIVE}
    assert "user_rights" in {s.category for s in sigs}


def test_modality_recorded() -> None:
    may = [s for s in find_signals("We may share your data with advertisers.") if s.label == "advertisers"]
    will = [s for s in find_signals("We will share your data with advertisers.") if s.label == "advertisers"]
    assert may[0].modality == "may" and will[0].modality == "will"


def test_signal_spans_point_at_the_phrase() -> None:
    text = "Sometimes We SELL your personal information."
    sale = [s for s in find_signals(text) if s.category == "sale"][0]
    assert text[sale.span[0]:sale.span[1]] == sale.phrase == "SELL"


def test_ambiguous_words_need_data_context() -> None:
    assert "sale" not in classify_text("Our servers are rented from European hosting companies.")
    assert "security" not in classify_text("Your social security number is required for tax forms.")
    assert "children" not in classify_text("Inactive accounts are deleted after at least 6 months.")


CORPUS = Path(os.environ.get("POLICYWATCH_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))


@pytest.mark.corpus
@pytest.mark.skipif(not (CORPUS / "labels.json").exists(), reason=f"shared corpus not found at {CORPUS}")
def test_anchor_precheck_never_changes_signals() -> None:
    """The substring pre-check is only a speed-up: same signals with and without it."""
    from policywatch.tracker.classify import _signals_cached
    from policywatch.tracker.segment import segment_text

    files = [CORPUS / "grammarly" / "2025-10-29T06-09-39Z.md", CORPUS / "sourcehut" / "2025-07-10T18-16-17Z.md",
             CORPUS / "telegram" / "2024-10-02T18-13-23Z.md"]
    for path in files:
        for clause in segment_text(path.read_text(encoding="utf-8")):
            assert _signals_cached(clause.text, True) == _signals_cached(clause.text, False), clause.text[:80]


def test_exception_repeating_a_negated_practice_stays_protective() -> None:
    same = find_signals("Employees do not access customer content unless the customer content owner authorizes it.")
    assert {s.polarity for s in same if s.label == "messages and content"} == {PROTECTIVE}
    new = find_signals("We do not share your data with third parties, except with advertisers.")
    assert {s.polarity for s in new if s.label == "advertisers"} == {EXPOSING}


@pytest.mark.parametrize(
    "heading,category",
    [("How We Share Information", "sharing"), ("Cookies", "tracking"), ("Data Retention", "retention"),
     ("Your Rights", "user_rights"), ("Children's Privacy", "children"), ("International Transfers", "international_transfer"),
     ("## 7. Data Security", "security"), ("Changes to This Policy", "policy_change"), ("Contact Us", "contact")],
)
def test_section_headings_are_classified(heading: str, category: str) -> None:
    assert category in classify_text(heading)


def test_negated_use_does_not_negate_an_unrelated_sharing_word() -> None:
    sigs = find_signals("We do not use your content (such as files shared in chats) to train our models, "
                        "and we share usage data with partners.")
    assert {s.polarity for s in sigs if s.label == "AI model training"} == {PROTECTIVE}
    assert EXPOSING in {s.polarity for s in sigs if s.label == "partners"}


def test_screen_sharing_is_not_data_sharing() -> None:
    assert "sharing" not in classify_text("Meetings support screen sharing with third-party apps.")


def test_one_phrase_is_negated_once_for_every_reading() -> None:
    # "Targeted Advertising" reads as a sale (reached by the negated "sell") and as an advertising
    # purpose; the sentence denies both (bluesky, 2025-08).
    text = ('We do not sell or share Personal Data for the purpose of displaying advertisements that are '
            'selected based on Personal Data from your activities ("Targeted Advertising").')
    exposing = [s for s in find_signals(text) if s.polarity == EXPOSING]
    assert exposing == []


def test_negated_sharing_denies_its_own_purpose_only() -> None:
    denied = find_signals("We do not share personal data for advertising.")
    assert [s.polarity for s in denied if s.phrase == "advertising"] == [PROTECTIVE]
    # a relative clause states the recipient's own purpose: not denied by "do not share"
    relative = find_signals("We do not share data with partners, who may use it for advertising.")
    assert [s.polarity for s in relative if s.phrase == "advertising"] == [EXPOSING]
    # a clause break ends the denial
    later = find_signals("We do not sell your data, but we use it for targeted advertising.")
    assert EXPOSING in {s.polarity for s in later if s.category == "purpose" and "advertising" in s.phrase}


def test_cross_platform_features_are_not_tracking() -> None:
    feature = find_signals("We work with partners to display their videos or to allow cross-platform sharing.")
    assert not [s for s in feature if s.category == "tracking"]
    tracking = find_signals("We and our partners link your activity across devices for cross-device tracking.")
    assert [s for s in tracking if s.category == "tracking" and s.polarity == EXPOSING]


def test_a_policy_that_does_not_apply_negates_no_practice() -> None:
    scope = find_signals("This Privacy Policy does not apply to the content you upload to our products.")
    assert [s.polarity for s in scope if s.phrase == "upload"] == [EXPOSING]
    denied = find_signals("We do not collect the content you upload.")
    assert {s.polarity for s in denied if s.category == "collection"} == {PROTECTIVE}
