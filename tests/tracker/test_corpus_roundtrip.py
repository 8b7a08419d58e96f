"""Every consecutive pair of real policy versions: round trip and cosmetic verdicts.

Reads the shared Open Terms Archive corpus (skipped when it is absent).
"""
from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest

from policywatch.tracker.align import apply_changes
from policywatch.tracker.compare import compare_clauses
from policywatch.tracker.quality import assess_text
from policywatch.tracker.segment import segment_text

CORPUS = Path(os.environ.get("POLICYWATCH_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}"),
]


def histories() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.is_dir() and any(p.glob("*.md")))


# An oracle independent of normalize.cosmetic_key: the letters of the clause, in order, once
# link targets, bare URLs and month names (dates) are set aside. A cosmetic edit keeps them all.
_LINK_TARGET = re.compile(r"\]\([^)]*\)|https?://\S+|\]\[[^\]]*\]")
_MARKER = re.compile(r"^[ \t>#*\\-]*(?:\(?(?:[a-z]|[ivx]+|\d{1,3})[.)])?[ \t]+", re.M)  # list markers, headings
_MONTH = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b")


def letters(text: str | None) -> str:
    text = _MARKER.sub("", unicodedata.normalize("NFKC", text or ""))
    text = _MONTH.sub(" ", _LINK_TARGET.sub(" ", text).casefold())
    return "".join(ch for ch in text if ch.isalpha())


@pytest.mark.parametrize("service", histories(), ids=lambda p: p.name)
def test_every_consecutive_pair_round_trips_and_cosmetic_verdict_is_exact(service: Path):
    files = sorted(service.glob("*.md"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    clauses = [segment_text(t) for t in texts]
    for k in range(1, len(files)):
        old, new = clauses[k - 1], clauses[k]
        diff = compare_clauses(old, new)
        where = f"{files[k - 1].name} -> {files[k].name}"
        assert apply_changes(old, diff.changes) == [c.text for c in new], where
        for c in diff.changes:
            if c.cosmetic and c.kind != "moved":  # a cosmetic flag never hides a changed word
                assert letters(c.old_text) == letters(c.new_text), f"{where}: {c.old_text!r} -> {c.new_text!r}"
        both_policies = all(assess_text(t).outcome == "ok" for t in (texts[k - 1], texts[k]))
        if both_policies:  # otherwise the extraction-failure guard decides the verdict
            # Exactly the cosmetic-key-equal changes, plus those materiality explicitly
            # judged cosmetic (e.g. leaked inline HTML dropped), with its reason.
            cosmetic = all(c.cosmetic or c.assessment.direction == "cosmetic" for c in diff.changes)
            assert diff.verdict.cosmetic_only == cosmetic, where
            if all(c.cosmetic for c in diff.changes):
                assert diff.verdict.cosmetic_only, where
            if diff.verdict.cosmetic_only:
                assert diff.verdict.material is False, where
                assert all(c.assessment.severity == "none" for c in diff.changes), where
