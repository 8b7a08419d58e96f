"""Identity normalisation (version hashes) and cosmetic keys (cosmetic edits)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policywatch.tracker.normalize import cosmetic_key, neutralize_dates, normalize_text, text_sha256


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("caf\u0065\u0301", "caf\u00e9"),  # NFC
        ("a\u00a0b\u2009c\u3000d", "a b c d"),  # Unicode spaces
        ("pri\u200bva\u200ccy\u200d\u2060\ufeff", "privacy"),  # zero-width characters
        ("\u2018it\u2019s\u2019 \u201cquoted\u201d", "'it's' \"quoted\""),
        ("a \u2013 b \u2014 c \u2212 d", "a - b - c - d"),
        ("trailing   \nspaces\t\t", "trailing\nspaces"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("too    many   spaces", "too many spaces"),
        ("\n\nbody\n\n", "body"),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_normalize_keeps_line_structure_and_indentation() -> None:
    text = "# Title\n\n- item\n  - nested  item\n\nAfter the list."
    assert normalize_text(text) == "# Title\n\n- item\n  - nested item\n\nAfter the list."


def test_spacer_lines_inside_a_list_are_dropped() -> None:
    loose = "Intro.\n\n*   one\n    \n*   two\n  \n\t\n* three\n\nEnd."
    tight = "Intro.\n\n* one\n* two\n* three\n\nEnd."
    assert normalize_text(loose) == normalize_text(tight) == tight


def test_spacer_between_different_lists_stays() -> None:
    text = "    * **Analytics cookies.** We use them.\n    \n3. **Other sources**\n    1. Third parties."
    assert normalize_text(text) == "    * **Analytics cookies.** We use them.\n\n3. **Other sources**\n    1. Third parties."


def test_empty_line_between_list_and_numbered_heading_stays() -> None:
    text = "* [Contents entry](#a)\n\n1. **PROFILES ARE PUBLIC**\n\nBody."
    assert normalize_text(text) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


def test_text_sha256_ignores_render_noise() -> None:
    assert text_sha256("We don\u2019t sell data.\u00a0 \n") == text_sha256("We don't sell data.")
    assert text_sha256("We sell data.") != text_sha256("We don't sell data.")


@pytest.mark.corpus
@pytest.mark.parametrize(
    "old, new",
    [
        ("2026-07-20T22-30-09Z.md", "2026-07-25T10-30-09Z.md"),  # apostrophe style only
        ("2026-07-09T10-30-01Z.md", "2026-07-20T22-30-09Z.md"),  # trailing whitespace only
    ],
)
def test_chatgpt_cosmetic_pairs_hash_equal(corpus: Path, old: str, new: str) -> None:
    old_text = (corpus / "chatgpt" / old).read_text(encoding="utf-8")
    new_text = (corpus / "chatgpt" / new).read_text(encoding="utf-8")
    assert old_text != new_text
    assert text_sha256(old_text) == text_sha256(new_text)


# --- cosmetic key ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("Last updated: May 1, 2024", "Last updated: June 3, 2025"),
        ("Last Updated: November 2025", "Last Updated: October 2025"),
        ("Effective 27 May 2025", "Effective 1 June 2026"),
        ("Updated: 2024-05-01", "Updated: 05/01/2025"),
        ("Last updated: November 8 , 2022", "Last updated: Dec. 1, 2023"),
        ("Stand: 1. Mai 2024", "Stand: 3. Juni 2025"),
        ("Last updated: 2024", "Last updated: 2025"),
        ("\u00a9 2024 Example Inc.", "\u00a9 2025 Example Inc."),
        ("We won\u2019t sell it.", "we wont sell it"),
        ("See [our cookie policy](https://a.example/cookies).", "See our cookie policy."),
        ("See [our cookie policy](https://a.example/cookies).", "See [our cookie policy](https://b.example/c)."),
        ("## **Sharing**", "Sharing"),
        ("- We collect *your* email.", "* We collect your email"),
        ("1. We share data.", "2) We share data"),
        ("e-mail", "email"),
        ("WE SHARE DATA WITH PARTNERS", "We share data with partners"),
    ],
)
def test_cosmetic_key_equal(a: str, b: str) -> None:
    assert cosmetic_key(a) == cosmetic_key(b)


def test_a_bare_url_is_text_but_a_link_target_is_not() -> None:
    linked = cosmetic_key("See [our cookie policy](https://a.example/cookies).")
    assert cosmetic_key("See our cookie policy (https://b.example/c)") != linked
    assert "b example" in cosmetic_key("See our cookie policy (https://b.example/c)")


@pytest.mark.parametrize(
    "invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"],
    ids=["zero-width space", "zero-width non-joiner", "zero-width joiner", "word joiner", "BOM", "soft hyphen"],
)
def test_invisible_characters_do_not_change_the_version_identity(invisible: str) -> None:
    text = f"We col{invisible}lect your per{invisible}sonal data.\n\nWe do not sell it."
    assert normalize_text(text) == "We collect your personal data.\n\nWe do not sell it."
    assert text_sha256(text) == text_sha256("We collect your personal data.\n\nWe do not sell it.")


@pytest.mark.parametrize(
    "a, b",
    [
        ("We keep logs for 6 months.", "We keep logs for 18 months."),
        ("We do not sell your data.", "We sell your data."),
        ("Users under 13", "Users under 16"),
        ("we may 30 days", "we may 31 days"),
        ("May 2 accounts", "May 3 accounts"),
        ("version 3.5", "version 35"),
        ("Data collected since 2018.", "Data collected since 2021."),
        ("We share with partners.", "We share with advertisers."),
    ],
)
def test_cosmetic_key_differs(a: str, b: str) -> None:
    assert cosmetic_key(a) != cosmetic_key(b)


def test_neutralize_dates_leaves_other_numbers() -> None:
    assert "18 months" in neutralize_dates("Kept for 18 months since May 1, 2024")
    assert "2024" not in neutralize_dates("Kept for 18 months since May 1, 2024")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_cosmetic_key_ignores_identity_noise(text: str) -> None:
    assert cosmetic_key(normalize_text(text)) == cosmetic_key(text)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 10_000), st.sampled_from(["days", "months", "years", "%", "users"]))
def test_cosmetic_key_keeps_quantities(a: int, b: int, unit: str) -> None:
    if a != b:
        assert cosmetic_key(f"We keep it for {a} {unit}.") != cosmetic_key(f"We keep it for {b} {unit}.")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("* a\n    \n* b", "* a\n* b"),  # a converter's spacer inside a loose list goes
        ("1. a\n   \n2. b", "1. a\n2. b"),
        ("(a) x\n  \n(b) y", "(a) x\n(b) y"),
        ("a. x\n  \nb. y", "a. x\nb. y"),
        ("* a\n\n* b", "* a\n\n* b"),  # a truly empty line stays
        ("* a\n    \n1. b", "* a\n\n1. b"),  # bullet then number: two lists
        ("(a) x\n   \n- y", "(a) x\n\n- y"),
        ("* a\n   \n  * b", "* a\n\n  * b"),  # another indent: a nested list
        ("* a\n   \nplain", "* a\n\nplain"),
        ("plain\n   \n* a", "plain\n\n* a"),
        ("para\n   \nmore", "para\n\nmore"),
        ("Xerox\n", "Xerox"),
        ("\nXa\n\n", "Xa"),
    ],
)
def test_blank_lines_between_list_items(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


@pytest.mark.parametrize(
    "text, key",
    [
        ("See [our policy][1] now.", "see our policy now"),
        ("Write to <mailto:privacy@example.org> today", "write to mailto privacy example org today"),
        ("We don\\'t \\*sell\\* data", "we dont sell data"),
        ("Updated May 1, 2024.", "updated datetoken"),
        ("Copyright 2023 Acme", "copyright datetoken acme"),
    ],
)
def test_cosmetic_key_exact(text: str, key: str) -> None:
    assert cosmetic_key(text) == key


def test_neutralize_dates_exact() -> None:
    assert neutralize_dates("Updated May 1, 2024.") == "Updated  datetoken ."
    assert neutralize_dates("Last updated: 2024") == "Last updated:  datetoken "
