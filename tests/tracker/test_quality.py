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


# --- suspect captures: a text that lost most of its predecessor (issue 12) -------------

SECTIONS = {
    "Information we collect": "We collect your name, email address, postal address and payment card details when you buy.",
    "Cookies": "We use cookies and similar technologies to remember preferences and to measure site traffic.",
    "Sharing": "We share personal information with service providers and advertising partners under contract.",
    "Retention": "We retain personal data for as long as your account is open and delete it within ninety days.",
    "Kids": "We do not knowingly collect personal information from children under the age of thirteen years.",
    "Your rights": "You may request access to, correction of or deletion of your personal data at any time.",
}


def policy_text(*names: str, repeat: int = 4) -> str:
    parts = ["# Example Privacy Policy"]
    for name in names:
        parts.append(f"## {name}")
        parts.extend(f"{SECTIONS[name]} (clause {n} of {name.lower()})" for n in range(repeat))
    return "\n\n".join(parts)


FULL = policy_text(*SECTIONS)
# A navigation bar and footer plus one section: what a broken extraction leaves.
BROKEN = policy_text("Kids") + "\n\nHome Pricing Blog Careers Press Contact Log in Sign up for our newsletter today."


def test_retained_share() -> None:
    from policywatch.tracker.quality import retained_share

    assert retained_share(FULL, FULL) == 1.0
    assert retained_share(FULL, BROKEN) < 0.3
    assert retained_share("", "anything") == 1.0
    assert retained_share("a a b b", "a b") == 0.5  # words count with repeats


def test_lost_most_of_the_previous_text_is_suspect_even_when_long_enough() -> None:
    assert word_count(FULL) > 300 and word_count(BROKEN) > 50
    # The word-count ratio alone would pass this text (it keeps > 30% of the words) ...
    replaced = BROKEN + "\n\n" + " ".join(["Our offices and our teams and our brand story."] * 12)
    assert word_count(replaced) > 0.3 * word_count(FULL)
    assert assess_text(replaced, previous_words=word_count(FULL)).outcome == "ok"
    # ... but it kept little of what the previous version said.
    quality = assess_text(replaced, previous_words=word_count(FULL), previous_text=FULL)
    assert quality.outcome == "truncated" and quality.detail.startswith("Suspect capture")
    # An edit that keeps most of the text is fine.
    edited = FULL.replace("ninety days", "thirty days").replace(policy_text("Cookies", repeat=4).split("\n\n", 1)[1], "")
    assert assess_text(edited, previous_text=FULL).outcome == "ok"


@pytest.fixture
def seeded(fresh_db):
    from policywatch.db.policies import add_policy, mark_seeded

    for name in ("example", "other"):
        add_policy(fresh_db, f"https://{name}.org/privacy", name=name)
    mark_seeded(fresh_db, [1, 2])
    return fresh_db


def put(db, policy: str, when: str, text: str):
    from policywatch.tracker.config import parse_config
    from policywatch.tracker.ingest import Ingestor
    from policywatch.tracker.model import Capture

    channels = parse_config({"alerts": [{"kind": "webhook", "url": "http://127.0.0.1:9/hook"}]}).channels
    capture = Capture(policy, "live", f"https://{policy}.org/privacy", when, text.encode(), 200, "text/markdown")
    return Ingestor(db, channels=channels).put(capture)


def table_count(db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_suspect_capture_makes_no_version_and_no_alert_until_confirmed(seeded) -> None:
    assert put(seeded, "example", "2025-01-01T00:00:00Z", FULL).new_version
    suspect = put(seeded, "example", "2025-02-01T00:00:00Z", BROKEN)
    assert suspect.outcome == "truncated" and suspect.version_id is None and not suspect.alert_ids
    assert "Suspect capture" in suspect.detail
    assert table_count(seeded, "versions") == 1 and table_count(seeded, "changes") == 0
    assert table_count(seeded, "alerts") == 0
    # The next capture shows the same shorter text: the page really shrank.
    confirmed = put(seeded, "example", "2025-02-02T00:00:00Z", BROKEN)
    assert confirmed.outcome == "ok" and confirmed.new_version
    assert "accepted because the previous capture (2025-02-01T00:00:00Z)" in confirmed.detail
    assert table_count(seeded, "changes") == 1


def test_a_good_capture_between_suspects_resets_the_confirmation(seeded) -> None:
    put(seeded, "example", "2025-01-01T00:00:00Z", FULL)
    assert put(seeded, "example", "2025-02-01T00:00:00Z", BROKEN).outcome == "truncated"
    assert put(seeded, "example", "2025-02-02T00:00:00Z", FULL).outcome == "ok"
    # One suspect again: the earlier suspect is no longer the previous capture.
    assert put(seeded, "example", "2025-02-03T00:00:00Z", BROKEN).outcome == "truncated"
    # A different broken text does not confirm another one.
    other_broken = policy_text("Retention") + "\n\nHome Pricing Blog Careers Press Contact Log in."
    assert put(seeded, "example", "2025-02-04T00:00:00Z", other_broken).outcome == "truncated"


def test_backfilled_capture_confirmed_by_a_later_version(seeded) -> None:
    put(seeded, "example", "2025-01-01T00:00:00Z", FULL)
    put(seeded, "example", "2025-03-01T00:00:00Z", BROKEN)  # suspect
    put(seeded, "example", "2025-03-02T00:00:00Z", BROKEN)  # confirmed: a version from 03-02
    # A wayback capture from February with the shorter text: the later version confirms it.
    backfilled = put(seeded, "example", "2025-02-01T00:00:00Z", BROKEN)
    assert backfilled.outcome == "ok", backfilled.detail
    assert "a later capture (2025-03-02T00:00:00Z) has the same text" in backfilled.detail


def test_missing_text_found_in_another_policy(seeded) -> None:
    """The company moved half of its policy to a separate page that is tracked too."""
    put(seeded, "example", "2025-01-01T00:00:00Z", FULL)
    moved = ("Cookies", "Sharing", "Retention", "Your rights")
    put(seeded, "other", "2025-01-15T00:00:00Z", policy_text(*moved))
    shrunk = put(seeded, "example", "2025-02-01T00:00:00Z", policy_text("Information we collect", "Kids"))
    assert shrunk.outcome == "ok" and shrunk.new_version, shrunk.detail
    assert "of the missing text is in another tracked policy" in shrunk.detail
