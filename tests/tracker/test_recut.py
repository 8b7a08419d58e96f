"""Paragraphs re-cut (same words, other clause boundaries) are never material.

Property over real policies (../shared/corpus, the latest version of each
service): merging adjacent paragraphs or splitting one at a sentence end, as
page re-renders and extractor updates do, never makes a material change.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policywatch.tracker.compare import compare_clauses, compare_texts
from policywatch.tracker.model import Clause

_SENTENCE_END = re.compile(r"(?<=[a-z]\.) (?=[A-Z])")


def _clauses(texts: list[str]) -> list[Clause]:
    filler = [f"Section {i}: this paragraph explains how the service works for users in region {i}." for i in range(12)]
    return [Clause(i, "paragraph", t) for i, t in enumerate(filler + texts)]


def test_a_heading_merged_into_its_paragraph_is_not_material() -> None:
    old = ["International data transfers", "We may transfer and store personal information in other countries."]
    new = ["International data transfers We may transfer and store personal information in other countries."]
    diff = compare_clauses(_clauses(old), _clauses(new))
    assert not diff.verdict.material
    assert all("paragraphs re-cut" in c.assessment.reason for c in diff.changes if c.kind != "moved")


def test_a_list_item_joined_to_its_lead_in_is_not_material() -> None:
    old = ["You may give us more information, shown publicly on the site. This includes:", "* Your location"]
    new = ["You may give us more information, shown publicly on the site. This includes: * Your location"]
    assert not compare_clauses(_clauses(old), _clauses(new)).verdict.material


def test_new_words_next_to_a_merge_are_still_judged() -> None:
    old = ["International data transfers", "We may transfer and store personal information in other countries."]
    new = ["International data transfers We may transfer and store personal information in other countries "
           "and sell it to data brokers."]
    assert compare_clauses(_clauses(old), _clauses(new)).verdict.material


def _latest_versions(corpus: Path) -> list[str]:
    return [sorted(d.glob("*.md"))[-1].read_text(encoding="utf-8")
            for d in sorted(p for p in corpus.iterdir() if p.is_dir())]


@st.composite
def _recut(draw: st.DrawFn, texts: list[str]) -> tuple[str, str]:
    text = texts[draw(st.integers(0, len(texts) - 1))]
    paragraphs = text.split("\n\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(paragraphs) - 2))
        splits = list(_SENTENCE_END.finditer(paragraphs[i]))
        if draw(st.booleans()) or not splits:
            paragraphs[i:i + 2] = [paragraphs[i].rstrip() + " " + paragraphs[i + 1].lstrip()]
        else:
            at = splits[draw(st.integers(0, len(splits) - 1))].start()
            paragraphs[i:i + 1] = [paragraphs[i][:at], paragraphs[i][at + 1:]]
    return text, "\n\n".join(paragraphs)


@pytest.mark.slow
@pytest.mark.corpus
def test_recut_paragraphs_of_real_policies_are_never_material(corpus: Path) -> None:
    texts = _latest_versions(corpus)

    @settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(_recut(texts))
    def check(pair: tuple[str, str]) -> None:
        old, new = pair
        verdict = compare_texts(old, new).verdict
        assert not verdict.material, verdict.summary

    check()


def test_a_clause_boundary_moved_a_few_words_is_not_material() -> None:
    # a sentence splitter reading "Platforms, Inc." and "Platforms Inc." differently moves the cut
    old = ["Advertising cookies are set by Meta Platforms, Inc. (see its cookie policy) and by LinkedIn Corp.",
           "(see its cookie policy). The data collected may be shared with these partners."]
    new = ["Advertising cookies are set by Meta Platforms, Inc.",
           "(see its cookie policy) and by LinkedIn Corp. (see its cookie policy). The data collected may be "
           "shared with these partners."]
    diff = compare_clauses(_clauses(old), _clauses(new))
    assert not diff.verdict.material
    assert diff.changes and all("paragraphs re-cut" in c.assessment.reason for c in diff.changes)
