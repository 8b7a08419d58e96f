"""Segmentation: heading/list/table formats, long paragraphs, the lossless invariant."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policywatch.tracker.segment import MAX_PARAGRAPH_CHARS, clause_lines, heading_text, segment_text


def nonempty_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def assert_invariant(text: str) -> None:
    clauses = segment_text(text)
    assert clause_lines(clauses) == nonempty_lines(text)
    assert [c.ordinal for c in clauses] == list(range(len(clauses)))
    assert all(c.text.strip() for c in clauses)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(c.kind, c.text) for c in segment_text(text)]


def by_text(text: str) -> dict[str, object]:
    return {c.text: c for c in segment_text(text)}


# --- headings -------------------------------------------------------------------------


def test_atx_headings_give_nested_paths() -> None:
    text = "# Policy\n\nIntro.\n\n## Sharing\n\nWe share.\n\n### Partners ###\n\nWith partners.\n\n## Rights\n\nYou may."
    clauses = by_text(text)
    assert clauses["# Policy"].kind == "heading"
    assert clauses["Intro."].heading == ("Policy",)
    assert clauses["We share."].heading == ("Policy", "Sharing")
    assert clauses["With partners."].heading == ("Policy", "Sharing", "Partners")
    assert clauses["You may."].heading == ("Policy", "Rights")
    assert clauses["## Rights"].heading == ("Policy",)


def test_setext_headings_keep_their_underline() -> None:
    text = "Privacy Policy\n==============\n\nIntro text.\n\nSharing\n-------\n\nWe share data."
    clauses = segment_text(text)
    assert clauses[0].kind == "heading" and clauses[0].text == "Privacy Policy\n=============="
    assert clauses[2].kind == "heading" and clauses[2].heading == ("Privacy Policy",)
    assert clauses[3].heading == ("Privacy Policy", "Sharing")


def test_thematic_break_is_not_a_setext_heading() -> None:
    text = "Para one.\n\n---\n\nPara two."
    assert kinds(text) == [("paragraph", "Para one."), ("paragraph", "---"), ("paragraph", "Para two.")]


@pytest.mark.parametrize(
    "line, title",
    [
        ("**Sharing**", "Sharing"),
        ("__Sharing__", "Sharing"),
        ("How to contact us:", "How to contact us"),
        ("What do we collect?", "What do we collect?"),
        ("INFORMATION WE COLLECT", "INFORMATION WE COLLECT"),
        ("1. Collection", "1. Collection"),
        ("1\\. Collection", "1. Collection"),
        ("3.2 Sharing with partners", "3.2 Sharing with partners"),
        ("Section 4 - Your rights", "Section 4 - Your rights"),
    ],
)
def test_inferred_headings(line: str, title: str) -> None:
    text = f"# Policy\n\n{line}\n\nWe collect your email address when you sign up."
    clauses = segment_text(text)
    assert clauses[1].kind == "heading", clauses
    assert clauses[2].heading == ("Policy", title)


def test_inferred_heading_needs_content_after_it() -> None:
    assert segment_text("Intro.\n\n**The end**")[-1].kind == "paragraph"


def test_sentence_ending_in_colon_is_not_a_heading() -> None:
    text = "We collect the following kinds of personal data from you:\n\n- name\n- email"
    assert segment_text(text)[0].kind == "paragraph"


@pytest.mark.parametrize("line", ["We use information about you to:", "This Privacy Policy explains the following:", "Key features of Settings include:"])
def test_list_intro_sentence_is_not_a_heading(line: str) -> None:
    assert segment_text(f"{line}\n\n- one\n- two")[0].kind == "paragraph"


def test_bullet_with_bold_label_stays_a_list_item() -> None:
    text = "* **Account Usage:**\n\n    * Logs of sign-ins."
    assert [c.kind for c in segment_text(text)] == ["list_item", "list_item"]


def test_numbered_lines_in_a_run_are_a_list_not_headings() -> None:
    text = "Contents\n\n1. Collection\n2. Sharing\n3. Retention\n\nBody."
    assert [c.kind for c in segment_text(text)] == ["paragraph", "list_item", "list_item", "list_item", "paragraph"]


def test_numbered_heading_followed_by_bullets() -> None:
    text = "1. Collection\n- name\n- email\n\n2. Sharing\n\nWe share."
    clauses = by_text(text)
    assert clauses["1. Collection"].kind == "heading"
    assert clauses["- email"].heading == ("1. Collection",)
    assert clauses["We share."].heading == ("2. Sharing",)


def test_numbered_heading_depth_nests() -> None:
    text = "3. Sharing\n\nIntro.\n\n3.1 Partners\n\nWith partners.\n\n4. Retention\n\nKept."
    clauses = by_text(text)
    assert clauses["With partners."].heading == ("3. Sharing", "3.1 Partners")
    assert clauses["Kept."].heading == ("4. Retention",)


def test_bold_title_inside_markdown_list_number() -> None:
    # OTA renders <ol><li><strong>2. Updates</strong></li></ol> sections like this.
    text = "1. **1\\. PROFILES ARE PUBLIC**\n\nYour profile is public.\n\n3. **2\\. UPDATES**\n\nWe may update this."
    clauses = by_text(text)
    assert clauses["Your profile is public."].heading == ("1. PROFILES ARE PUBLIC",)
    assert clauses["We may update this."].heading == ("2. UPDATES",)


def test_markdown_heading_closes_inferred_sections() -> None:
    text = "## A\n\n**Bold part**\n\nx.\n\n## B\n\ny."
    assert by_text(text)["y."].heading == ("B",)


def test_date_stamp_heading_opens_no_section() -> None:
    text = "Policy\n======\n\n#### Last Updated: February 5, 2024\n\n**Overview**\n\n* item"
    clauses = by_text(text)
    assert clauses["#### Last Updated: February 5, 2024"].kind == "heading"
    assert clauses["* item"].heading == ("Policy", "Overview")


def test_heading_text_strips_markup() -> None:
    assert heading_text("### [](#1-intro)1\\. Introduction") == "1. Introduction"
    assert heading_text("## **Sharing** ##") == "Sharing"
    assert heading_text("**How to contact us:**") == "How to contact us"


# --- lists ----------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["*", "-", "+", "•", "–", "·", "1.", "2)", "a)", "(i)", "(a)", "(1)"])
def test_bullet_and_number_markers(marker: str) -> None:
    text = f"Intro paragraph.\n\n{marker} first item\n{marker} second item"
    assert [c.kind for c in segment_text(text)] == ["paragraph", "list_item", "list_item"]


def test_nested_list_items_are_own_clauses_under_the_same_heading() -> None:
    text = "## Data\n\n- Contact data\n  - email\n    - work email\n- Usage data"
    clauses = segment_text(text)
    assert [c.kind for c in clauses] == ["heading", "list_item", "list_item", "list_item", "list_item"]
    assert [c.text for c in clauses[1:]] == ["- Contact data", "- email", "- work email", "- Usage data"]
    assert all(c.heading == ("Data",) for c in clauses[1:])


def test_lazy_continuation_line_stays_in_its_item() -> None:
    text = "- first item that wraps\ncontinues here\n- second"
    assert kinds(text) == [("list_item", "- first item that wraps\ncontinues here"), ("list_item", "- second")]


def test_paragraph_lines_form_one_clause() -> None:
    assert kinds("line one\nline two\n\nnext") == [("paragraph", "line one\nline two"), ("paragraph", "next")]


# --- tables ---------------------------------------------------------------------------


def test_table_is_one_clause_per_row_with_separator_in_header() -> None:
    text = "| Category | Kept |\n| --- | --- |\n| Logs | 6 months |\n| Email | 2 years |"
    assert kinds(text) == [
        ("paragraph", "| Category | Kept |\n| --- | --- |"),
        ("paragraph", "| Logs | 6 months |"),
        ("paragraph", "| Email | 2 years |"),
    ]


# --- long paragraphs ------------------------------------------------------------------


def long_paragraph(sentences: int = 60) -> str:
    return " ".join(f"Sentence number {i} explains how we process data for purpose {i}." for i in range(sentences))


def test_long_paragraph_is_split_at_sentence_boundaries() -> None:
    para = long_paragraph()
    assert len(para) > MAX_PARAGRAPH_CHARS
    clauses = segment_text("## Use\n\n" + para)
    pieces = clauses[1:]
    assert len(pieces) > 1
    assert all(c.kind == "paragraph" and c.heading == ("Use",) for c in pieces)
    assert all(c.text.endswith(".") for c in pieces)
    assert not pieces[0].continues and all(c.continues for c in pieces[1:])
    assert " ".join(c.text for c in pieces) == para
    assert max(len(c.text) for c in pieces) <= 1600


def test_long_paragraph_split_is_deterministic_and_local() -> None:
    para = long_paragraph(80)
    first = [c.text for c in segment_text(para)]
    assert first == [c.text for c in segment_text(para)]
    edited = para.replace("Sentence number 1 explains", "Sentence number 1 now clearly explains")
    second = [c.text for c in segment_text(edited)]
    assert len(set(first) - set(second)) <= 2  # an early edit does not re-cut every later piece


def test_short_paragraph_is_not_split() -> None:
    para = long_paragraph(5)
    assert [c.text for c in segment_text(para)] == [para]


def test_empty_and_blank_text() -> None:
    assert segment_text("") == []
    assert segment_text(" \n\t\n\u00a0\n") == []


# --- invariant (property-based) -------------------------------------------------------

_words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
_line = st.one_of(
    _words,
    st.builds(lambda n, w: "#" * n + " " + w, st.integers(1, 7), _words),
    st.builds(lambda w: f"**{w.strip() or 'x'}**", _words),
    st.builds(lambda w: w + ":", _words),
    st.builds(lambda w: w.upper() + "?", _words),
    st.builds(lambda i, m, w: " " * i + m + " " + w, st.integers(0, 8),
              st.sampled_from(["-", "*", "+", "•", "–", "·", "1.", "a)", "(i)", "12."]), _words),
    st.sampled_from(["===", "---", "-", "=", "***", "| a | b |", "| --- | --- |", "", "   ", "\t", "\u00a0", "1\\. Title", "3.2 Sub"]),
    st.builds(lambda n: "Sentence with words. " * n, st.integers(50, 200)),
)
_document = st.lists(_line, max_size=40).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(_document)
def test_every_nonempty_line_lands_in_exactly_one_clause(text: str) -> None:
    assert_invariant(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_invariant_on_arbitrary_text(text: str) -> None:
    assert_invariant(text)


@settings(max_examples=50, deadline=None)
@given(_document)
def test_segmentation_is_deterministic(text: str) -> None:
    assert segment_text(text) == segment_text(text)


# --- real corpus ----------------------------------------------------------------------


@pytest.mark.corpus
def test_corpus_invariant_and_heading_paths(corpus: Path) -> None:
    files = sorted(corpus.glob("*/*.md"))
    assert len(files) > 100
    for path in files:
        text = path.read_text(encoding="utf-8")
        clauses = segment_text(text)
        assert clause_lines(clauses) == nonempty_lines(text), path
        if len(text) > 2000:
            assert sum(c.kind == "heading" for c in clauses) >= 3, path
            with_path = sum(1 for c in clauses if c.heading)
            assert with_path >= 0.8 * len(clauses), path


@pytest.mark.corpus
@pytest.mark.parametrize(
    "file, clause_start, expected_heading",
    [
        ("chatgpt/2025-11-11T15-20-03Z.md", "If you live in the UK", ("Europe privacy policy", "1. Data controller")),
        ("discord/2022-12-01T09-26-56Z.md", "* **Account information**", ("Welcome!", "The information we collect", "Information you provide to us")),
        ("zoom/2022-11-07T12-46-22Z.md", "* **Account Information**", ("Zoom Privacy Statement", "What Personal Data Do We Receive?")),
        ("coinbase/2024-10-21T18-03-31Z.md", "We collect the following personal information", ("1. WHAT INFORMATION WE COLLECT",)),
        ("telegram/2024-06-14T18-14-57Z.md", "* We don't use your data to show you ads.", ("Telegram Privacy Policy", "1. Introduction", "1.1 Privacy Principles")),
    ],
)
def test_corpus_known_headings(corpus: Path, file: str, clause_start: str, expected_heading: tuple[str, ...]) -> None:
    clauses = segment_text((corpus / file).read_text(encoding="utf-8"))
    match = next(c for c in clauses if c.text.startswith(clause_start))
    assert match.heading == expected_heading


@pytest.mark.corpus
def test_largest_corpus_file_segments_deterministically(corpus: Path) -> None:
    largest = max(corpus.glob("*/*.md"), key=lambda p: p.stat().st_size)
    text = largest.read_text(encoding="utf-8")
    assert len(text.split()) > 40_000
    clauses = segment_text(text)  # speed: bench/speed_bench.py
    assert clauses and segment_text(text) == clauses
    assert [c.ordinal for c in clauses] == list(range(len(clauses)))


@pytest.mark.corpus
def test_corpus_normalised_text_segments_like_the_original(corpus: Path) -> None:
    """Ingest segments normalised text: normalising must not change clause kinds."""
    from policywatch.tracker.normalize import normalize_text

    invisible = "\u200b\u200c\u200d\u2060\ufeff"
    for path in sorted(corpus.glob("*/*.md")):
        text = path.read_text(encoding="utf-8")
        raw = [c.kind for c in segment_text(text) if c.text.strip(invisible) and not c.continues]
        normalised = [c.kind for c in segment_text(normalize_text(text)) if not c.continues]
        assert raw == normalised, path


# --- headings in plain text and Open Terms Archive Markdown (issue 12) -----------------

OTA_NUMBERED = """# Example Privacy Policy

Welcome to Example. This policy explains what we do with personal data.

1.  CHANGES TO THIS PRIVACY POLICY
    ------------------------------
    
    We may change this policy from time to time and will post the new version here.
    
2.  INFORMATION WE COLLECT
    ----------------------
    
    We collect the information you give us when you register.
    
    *   Contact data, such as your email address.
    *   Payment data, such as your card number.
    
3.  KIDS
    ----
    
    We do not knowingly collect personal information from children.
"""


def test_setext_headings_inside_numbered_list_items() -> None:
    clauses = segment_text(OTA_NUMBERED)
    assert_invariant(OTA_NUMBERED)
    headings = [c for c in clauses if c.kind == "heading"]
    assert [c.text.split("\n")[0] for c in headings] == [
        "# Example Privacy Policy", "1.  CHANGES TO THIS PRIVACY POLICY", "2.  INFORMATION WE COLLECT", "3.  KIDS",
    ]
    by_start = {c.text.split("\n")[0][:25]: c.heading for c in clauses}
    assert by_start["We may change this policy"] == ("Example Privacy Policy", "1. CHANGES TO THIS PRIVACY POLICY")
    assert by_start["*   Payment data, such as"] == ("Example Privacy Policy", "2. INFORMATION WE COLLECT")
    assert by_start["We do not knowingly colle"] == ("Example Privacy Policy", "3. KIDS")


def test_setext_heading_in_a_bullet_item() -> None:
    text = "*   What Is Personal Data?\n    ----------------------\n    \n    Personal data identifies you.\n"
    clauses = segment_text(text)
    assert clauses[0].kind == "heading" and clauses[1].heading == ("What Is Personal Data?",)


def test_a_list_item_followed_by_a_rule_is_not_a_heading() -> None:
    text = "- one item that is long\n\n---\n\nNext paragraph."
    assert [c.kind for c in segment_text(text)] == ["list_item", "paragraph", "paragraph"]


TITLE_CASE = """Privacy Policy

We respect your privacy and explain here what we collect.

Information We Collect

We collect your name, email address and the pages you visit on our site.

Kids

We do not knowingly collect personal information from children.

Do Not Track

We do not respond to Do Not Track signals at this time, as explained below.
"""


def test_title_case_lines_before_body_text_are_headings() -> None:
    clauses = segment_text(TITLE_CASE)
    kids = next(c for c in clauses if c.text.startswith("We do not knowingly"))
    assert kids.heading[-1] == "Kids"
    dnt = next(c for c in clauses if c.text.startswith("We do not respond"))
    assert dnt.heading[-1] == "Do Not Track" and "Kids" not in dnt.heading  # siblings, not nested


PLAIN = """ACME PRIVACY NOTICE

INFORMATION WE COLLECT
We collect your name and your email address when you sign up for an account.

Kids
We do not knowingly collect personal information from children under 13.

How do we share data?
We share data with processors that host our services, and with nobody else.

Contact Us:
Write to privacy@acme.example with any question you have about this notice.
"""


def test_plain_text_headings_with_the_body_on_the_next_line() -> None:
    clauses = segment_text(PLAIN)
    assert_invariant(PLAIN)
    under = {c.text[:12]: c.heading[-1] for c in clauses if c.kind == "paragraph"}
    assert under["We collect y"] == "INFORMATION WE COLLECT"
    assert under["We do not kn"] == "Kids"
    assert under["We share dat"] == "How do we share data?"
    assert under["Write to pri"] == "Contact Us"


@pytest.mark.parametrize(
    "text",
    [
        "Yes\n\nDevice IP address, email address and cookie identifiers we collect.",  # a table cell
        "Open\n\nPalantir collects personal data through three main sources.",  # an accordion button
        "[Go to Settings](https://example.com/settings)\n\nChange what we collect in your account settings page.",
        "Dear Customer,\n\nWe are writing to tell you about changes to our policy today.",
        "Acme Inc.\n\n1 Main Street, Springfield, and offices in many other cities.",
        "how we use data\n\nWe use it to provide the service you asked us for.",  # not Title Case
        "Contents\n\n1. Collection\n2. Sharing",
    ],
)
def test_lines_that_are_not_section_titles(text: str) -> None:
    assert segment_text(text)[0].kind != "heading"


# --- robustness over the 275 real policies of ../shared/policies ------------------------

POLICIES = Path(__file__).resolve().parents[3] / "shared" / "policies"


@pytest.mark.corpus
@pytest.mark.slow
def test_every_real_policy_segments_without_losing_or_duplicating_a_word() -> None:
    """Property over real Open Terms Archive Markdown: the clauses hold exactly the
    document's words, in order (normalised as ingest sees it)."""
    from collections import Counter

    from policywatch.tracker.normalize import normalize_text

    files = sorted(p for p in POLICIES.glob("*.md") if p.name != "README.md")
    if not files:
        pytest.skip(f"real policies not found at {POLICIES}")
    for path in files:
        text = normalize_text(path.read_text(encoding="utf-8"))
        clauses = segment_text(text)
        assert clause_lines(clauses) == nonempty_lines(text), path.name
        assert Counter(" ".join(c.text for c in clauses).split()) == Counter(text.split()), path.name
        assert [c.ordinal for c in clauses] == list(range(len(clauses))), path.name
