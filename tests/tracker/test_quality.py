"""Capture quality: which extracted texts may become versions."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from policywatch.tracker.quality import OUTCOMES, assess_text, word_count

POLICY = (
    "# Privacy Policy\n\nThis Privacy Policy explains how we collect, use and share personal information. "
    "We collect your name and email address. We use cookies. We share data with service providers "
    "and third parties. You may request access to or deletion of your personal data. "
) * 4


def test_word_count() -> None:
    assert word_count("") == 0
    assert word_count("We don't sell e-mail data, 18 months.") == 7


def test_real_policy_is_ok() -> None:
    quality = assess_text(POLICY)
    assert quality.outcome == "ok" and quality.ok


@pytest.mark.parametrize(
    "text, outcome",
    [
        ("", "extraction_failure"),
        ("   \n\n ", "extraction_failure"),
        ("Redirecting to legal.mistral.ai", "extraction_failure"),
        ("Microsoft Privacy Statement\n===\n\nLast Updated: November 2025\n\n[What's new?](https://x)", "extraction_failure"),
        ("Please enable JavaScript to view this page.", "extraction_failure"),
        ("You need to enable JavaScript to run this app.", "extraction_failure"),
        ("Checking your browser before accessing example.com. Verify you are human.", "extraction_failure"),
        ("404\n\nPage not found\n\nGo back home", "soft_404"),
        ("Oops! This page doesn't exist. Try searching our help center.", "soft_404"),
        ("Page introuvable", "soft_404"),
        ("Sign in to continue to Example. Email. Password. Forgot password?", "not_a_policy"),
        ("example.com - This domain is for sale! Buy this domain today.", "not_a_policy"),
    ],
)
def test_failures(text: str, outcome: str) -> None:
    quality = assess_text(text)
    assert quality.outcome == outcome, quality
    assert quality.detail.endswith(".") and "\n" not in quality.detail


def test_page_without_privacy_vocabulary_is_not_a_policy() -> None:
    recipe = "Preheat the oven. Mix flour, sugar and butter. Bake the cake for forty minutes and serve warm. " * 10
    assert assess_text(recipe).outcome == "not_a_policy"


def test_404_title_on_a_longer_page() -> None:
    page = "Sorry about that. Here are some popular links: pricing, blog, careers, press. " * 10
    assert assess_text(page, title="404 - Not Found").outcome == "soft_404"


def test_truncated_against_previous_version() -> None:
    assert assess_text(POLICY, previous_words=5000).outcome == "truncated"
    assert "previous" in assess_text(POLICY, previous_words=5000).detail
    assert assess_text(POLICY, previous_words=word_count(POLICY) + 10).outcome == "ok"
    assert assess_text(POLICY, previous_words=250).outcome == "ok"  # previous too short to judge


def test_policy_mentioning_javascript_or_404_stays_ok() -> None:
    text = POLICY * 3 + "\n\nIf you enable JavaScript, our cookies store preferences. Error pages (404) are logged."
    assert assess_text(text).outcome == "ok"


def test_outcomes_are_capture_outcomes() -> None:
    from policywatch.tracker.model import CAPTURE_OUTCOMES

    assert set(OUTCOMES) <= set(CAPTURE_OUTCOMES)


@pytest.mark.corpus
def test_corpus_outcomes(corpus: Path) -> None:
    """Every real version is ok except the known redirect and header stubs."""
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    bad = {}
    for entry in manifest:
        quality = assess_text((corpus / entry["file"]).read_text(encoding="utf-8"))
        if quality.outcome != "ok":
            bad[entry["file"]] = quality.outcome
    assert bad.get("le-chat/2025-12-15T11-34-51Z.md") == "extraction_failure"
    stubs = [f for f in bad if f.startswith("microsoft-copilot/")]
    assert len(stubs) == 3 and all(bad[f] == "extraction_failure" for f in stubs)
    assert len(bad) == 4, bad


@pytest.mark.parametrize(
    "text",
    [
        "Политика конфиденциальности. Мы собираем ваши персональные данные, когда вы пользуетесь нашими услугами. " * 6,
        "Política de privacidade. Coletamos seus dados pessoais quando você usa nossos serviços e os compartilhamos. " * 5,
        "当社は、お客様の個人情報を適切に取り扱います。プライバシーポリシー、収集する情報、利用目的、第三者提供、保存期間。" * 12,
        "Datenschutzerklärung. Wir verarbeiten personenbezogene Daten nur, wenn Sie unsere Dienste nutzen. " * 6,
    ],
)
def test_policies_in_other_languages_are_ok(text: str) -> None:
    assert assess_text(text).outcome == "ok"
