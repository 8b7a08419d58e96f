"""A change made only of cosmetic edits is never material, on real policies.

Every tenth policy of ../shared/policies (28 real layouts), each cosmetic edit of
``policywatch.testing.cosmetic_edits`` on its own. ``bench/cosmetic_bench.py``
runs all 275 policies and reports the rate.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from policywatch.testing.cosmetic_edits import EDITS, apply_edit
from policywatch.tracker.compare import compare_texts

POLICIES = Path(__file__).resolve().parents[3] / "shared" / "policies"


def _sample() -> list[Path]:
    return sorted(p for p in POLICIES.glob("*.md") if p.name != "README.md")[::10]


@pytest.mark.slow
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_cosmetic_edits_of_real_policies_are_never_material(edit: str) -> None:
    sample = _sample()
    if not sample:
        pytest.skip(f"real policies not found at {POLICIES} (check out ../shared)")
    flagged = []
    for path in sample:
        text = path.read_text(encoding="utf-8")
        edited = apply_edit(edit, text)
        verdict = compare_texts(text, edited).verdict
        if verdict.material:
            flagged.append(f"{path.name}: {verdict.summary[:160]}")
    assert not flagged, flagged


def test_cosmetic_edits_change_text_but_keep_its_words() -> None:
    text = ("Last updated: May 1, 2024\n\nWe share data with third-party partners. You can't e-mail us at "
            "[our page](https://example.com/privacy).\n\n1. First item\n\n* Example, Inc. runs the service.")
    for name in EDITS:
        edited = apply_edit(name, text)
        assert edited != text, name
        assert apply_edit(name, text) == edited  # deterministic
