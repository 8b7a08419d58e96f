"""Comparing two documents: verdicts, JSON shape, renderers."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from policywatch.tracker.compare import compare_texts, diff_to_json, render_html, render_text
from policywatch.tracker.model import CATEGORIES

POLICY = """# Example Privacy Policy

Last updated: October 1, 2025

## Information we collect

We collect your name and email address when you create an account.

We collect information about how you use the service.

## How we share information

We share information with service providers who process it on our behalf.

## Your choices

You can delete your account at any time from the settings page.

## Contact

Write to privacy@example.org with any question.
"""

CONTRACT_KEYS = {"kind", "old_text", "new_text", "heading", "categories", "severity", "material", "reason"}


def test_a_document_compared_with_itself_has_no_changes():
    diff = compare_texts(POLICY, POLICY)
    assert diff.changes == ()
    assert diff.verdict.material is False


def test_json_shape_follows_the_contract():
    new = POLICY.replace("service providers who", "advertising partners and service providers who")
    data = diff_to_json(compare_texts(POLICY, new))
    assert {"cosmetic_only", "material", "changes"} <= data.keys()
    assert data["changes"], "the edit must show up"
    for change in data["changes"]:
        assert CONTRACT_KEYS <= change.keys()
        assert change["kind"] in {"added", "removed", "modified", "moved"}
        assert change["severity"] in {"high", "medium", "low", "none"}
        assert set(change["categories"]) <= set(CATEGORIES)
        assert isinstance(change["heading"], list)
    modified = [c for c in data["changes"] if c["kind"] == "modified"]
    assert modified and "{+advertising partners and +}" in modified[0]["redline"]
    assert modified[0]["heading"][-1] == "How we share information"


def test_cosmetic_only_change_is_never_material():
    new = POLICY.replace("October 1, 2025", "December 3, 2025").replace("any time", "any  time")
    new = new.replace("We collect information about how you use the service.",
                      "We collect information about how you use the Service")
    diff = compare_texts(POLICY, new)
    assert diff.changes
    assert all(c.cosmetic for c in diff.changes)
    assert diff.verdict.cosmetic_only is True
    assert diff.verdict.material is False
    assert all(c.assessment.severity == "none" for c in diff.changes)


def test_new_sale_clause_is_material():
    new = POLICY.replace(
        "## Your choices",
        "We sell your personal information to data brokers.\n\n## Your choices",
    )
    diff = compare_texts(POLICY, new)
    added = [c for c in diff.changes if c.kind == "added"]
    assert len(added) == 1
    assert diff.verdict.material is True
    assert added[0].assessment.severity in {"medium", "high"}


def test_moved_paragraph_is_severity_none():
    moved = POLICY.replace(
        "You can delete your account at any time from the settings page.\n\n", ""
    ).replace(
        "## Contact\n\n", "## Contact\n\nYou can delete your account at any time from the settings page.\n\n"
    )
    diff = compare_texts(POLICY, moved)
    assert [c.kind for c in diff.changes] == ["moved"]
    assert diff.changes[0].assessment.severity == "none"
    assert diff.verdict.material is False


def test_render_text_has_summary_and_redline():
    new = POLICY.replace("service providers", "partners")
    out = render_text(compare_texts(POLICY, new))
    first = out.splitlines()[0]
    assert "1 modified" in first
    assert "[-service providers-]{+partners+}" in out
    assert "How we share information" in out
    assert render_text(compare_texts(POLICY, POLICY)).startswith("No changes.")


def test_render_html_is_standalone_and_escapes_policy_text():
    evil = POLICY.replace(
        "Write to privacy@example.org", 'Write to <script>alert("x")</script> & <b>us</b>'
    )
    page = render_html(compare_texts(POLICY, evil), title="<Example> & co")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page and "&lt;b&gt;" in page
    assert "&lt;Example&gt; &amp; co" in page
    assert "<ins>" in page
    assert not re.search(r"(src|href)=\"https?:", page), "no external resources"


# --- properties --------------------------------------------------------------

SENTENCES = [
    "We collect your email address.",
    "We share data with our partners.",
    "You can opt out of marketing at any time.",
    "We keep logs for 30 days.",
    "Children under 13 may not use the service.",
    "We use cookies to remember your settings.",
    "Contact our privacy team with questions.",
]
HEADINGS = ["## Collection", "## Sharing", "## Choices", "## Retention"]
blocks = st.lists(st.sampled_from(SENTENCES + HEADINGS), min_size=1, max_size=12)


@given(blocks)
@settings(max_examples=60, deadline=None)
def test_property_compare_with_itself_has_no_changes(parts):
    text = "\n\n".join(parts) + "\n"
    diff = compare_texts(text, text)
    assert diff.changes == ()
    assert diff.verdict.material is False


@given(st.lists(st.integers(0, 999), min_size=2, max_size=10, unique=True), st.data())
@settings(max_examples=60, deadline=None)
def test_property_moving_one_paragraph_is_one_moved_change(numbers, data):
    paragraphs = [f"Paragraph number {n} talks about topic {n} in detail." for n in numbers]
    source = data.draw(st.integers(0, len(paragraphs) - 1))
    moved = list(paragraphs)
    item = moved.pop(source)
    moved.insert(data.draw(st.integers(0, len(moved)).filter(lambda t: t != source)), item)
    diff = compare_texts("\n\n".join(paragraphs), "\n\n".join(moved))
    assert [c.kind for c in diff.changes] == ["moved"]
    assert diff.verdict.material is False
