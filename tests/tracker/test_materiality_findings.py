"""Ranked findings: ranking, merging, storage with recorded changes, and the webhook body."""
from __future__ import annotations

import json
from pathlib import Path

from policywatch.db.connection import open_database
from policywatch.tracker.compare import compare_clauses
from policywatch.tracker.materiality import change_findings, rank_findings
from policywatch.tracker.model import Clause, ClauseChange


# Enough ordinary text that neither side looks like a stub or an extraction failure.
FILLER = [f"Section {i}: this paragraph explains how the service works for users in region {i}." for i in range(12)]


def _clauses(texts: list[str]) -> list[Clause]:
    return [Clause(i, "paragraph", t) for i, t in enumerate(list(texts) + FILLER)]


BASE = [
    "We collect your name and email address when you create an account.",
    "We do not sell your personal information to data brokers.",
    "We keep account data for 30 days after you close your account.",
    "You can contact our privacy team at privacy@example.com.",
]


def test_removed_protection_ranks_before_new_contact_details() -> None:
    new = [BASE[0], BASE[2], "You can contact our privacy team at help@example.org.",
           "We use your photos to train our artificial intelligence models."]
    diff = compare_clauses(_clauses(BASE), _clauses(new))
    findings = diff.verdict.findings
    assert diff.verdict.material
    assert findings[0].direction == "weakens" and "sell" in findings[0].quote
    assert any("train" in f.quote for f in findings)
    assert findings[0].quote[:40] in diff.verdict.summary
    for f in findings:
        assert diff.changes[f.change].assessment.material


def test_near_duplicates_merge_with_a_count() -> None:
    old = _clauses(BASE)
    repeated = "We collect precise location information from your device to show nearby content."
    new = _clauses(BASE + [f"{repeated} (section {n})" for n in range(4)])
    findings = compare_clauses(old, new).verdict.findings
    location = [f for f in findings if "precise location" in f.quote]
    assert len(location) == 1 and location[0].count == 4


def test_discounted_clause_says_why_and_is_not_material() -> None:
    from policywatch.tracker.materiality import judge_changes

    promise = "We do not share your personal information with advertisers for their own marketing."
    restated = "Your personal information is never something we share with advertisers for their own marketing."
    old, new = _clauses(BASE + [promise]), _clauses(BASE + [restated])
    changes = [ClauseChange("removed", len(BASE), None, promise, None),
               ClauseChange("added", None, len(BASE), None, restated)]
    out, verdict = judge_changes(changes, old, new)
    removed = out[0].assessment
    assert not removed.material and f"discounted: restated in clause {len(BASE)}" in removed.reason
    assert verdict.material == any(c.assessment.material for c in out)


def test_phrase_match_elsewhere_does_not_offset_a_removed_protection() -> None:
    old = _clauses(["We do not share personal information with third parties for their direct marketing purposes.",
                    "Text messages are sent by our provider."])
    new = _clauses(["We will not share mobile data from text messaging campaigns except with our SMS provider.",
                    "Text messages are sent by our provider."])
    diff = compare_clauses(old, new)
    assert diff.verdict.material
    removed = [c for c in diff.changes if c.kind == "removed" or "direct marketing" in (c.old_text or "")]
    assert any(c.assessment.material for c in removed)


def test_findings_are_stored_and_reach_the_webhook_body(tmp_path: Path) -> None:
    from policywatch.tracker.alerts import render
    from policywatch.tracker.alerts.outbox import enqueue_change_alerts
    from policywatch.tracker.config import parse_config
    from tests.alerts.conftest import add_change, add_policy

    db = open_database(tmp_path / "f.db", create=True)
    policy = add_policy(db)
    change_id = add_change(db, policy)
    stored = change_findings(db, change_id)
    assert stored and stored[0].category in ("sale", "sharing") and "data brokers" in stored[0].quote
    channels = parse_config({"alerts": [{"kind": "webhook", "url": "http://127.0.0.1:9/", "name": "h"}]}).channels
    [alert_id] = enqueue_change_alerts(db, change_id=change_id, policy=policy, severity="high", channels=channels)
    payload = json.loads(render.render_alert(db, alert_id).body_bytes())
    assert payload["change"]["findings"] == [f.to_json() for f in stored]
    # a change recorded before findings were stored gets them rebuilt from its clause changes
    db.execute("UPDATE changes SET findings = NULL WHERE id = ?", [change_id])
    rebuilt = change_findings(db, change_id)
    assert [(f.change, f.category, f.direction) for f in rebuilt] == [(f.change, f.category, f.direction) for f in stored]


def test_rank_findings_ignores_changes_that_are_not_material() -> None:
    change = ClauseChange("added", None, 0, None, "You can contact us by mail.")
    assert rank_findings([change]) == []


# --- exact reasons, cosmetic variants, direction ------------------------------------


def _modified(old: str, new: str):
    from policywatch.tracker.materiality import assess_change

    return assess_change(ClauseChange("modified", 0, 0, old, new))


def test_reason_quotes_only_the_deleted_words_in_their_sentence() -> None:
    a = _modified("Reddit does not 'sell' or 'share' your personal information.",
                  "Reddit does not 'sell' your personal information.")
    assert a.material
    assert a.reason.startswith('''Changed: "or 'share'" removed from: "Reddit does not 'sell' or 'share' your personal''')


def test_spelling_variants_and_company_suffix_are_cosmetic() -> None:
    for old, new in [
        ("We share data with third-party partners for analytics.", "We share data with third party partners for analytics."),
        ("Send us an e-mail to sign-in again.", "Send us an email to sign in again."),
        ("Acme operates the service and collects your data.", "Acme, Inc. operates the service and collects your data."),
    ]:
        a = _modified(old, new)
        assert a.severity == "none" and not a.material, (old, a)


def test_losing_only_before_the_requester_is_not_a_wider_practice() -> None:
    a = _modified("Only you or an authorized agent may make a request to access your data.",
                  "You or an authorized agent may make a request to access your data.")
    assert not a.material
    b = _modified("We share your data only with service providers.", "We share your data with service providers.")
    assert b.material and b.direction == "weakens" and '"only" removed from' in b.reason


def test_opt_out_added_is_a_protection_not_a_new_practice() -> None:
    from policywatch.tracker.materiality import assess_change

    text = ("If you don't want to learn about products and services we or our partners offer, "
            "you can opt out of marketing communications in any message we send you.")
    a = assess_change(ClauseChange("added", None, 0, None, text))
    assert not a.material and a.direction == "strengthens"


def test_no_ai_training_promise_is_a_protection() -> None:
    from policywatch.tracker.materiality import assess_change

    a = assess_change(ClauseChange("added", None, 0, None,
                                   "We do not use your audio, video or chat content to train artificial intelligence models."))
    assert not a.material and a.direction == "strengthens"


def test_rewrite_is_framed_as_a_rewrite() -> None:
    old = _clauses(BASE + [f"Cookies for feature {i} keep your personal data settings for session {i}." for i in range(30)])
    new = _clauses(BASE + [f"Preference {i} of the app is remembered on your device between visits." for i in range(30)]
                   + ["We may sell your personal information to data brokers."])
    v = compare_clauses(old, new).verdict
    assert v.summary.startswith("Rewritten policy (") and v.material and "data brokers" in v.summary


def test_heading_path_decides_the_clause_category() -> None:
    from policywatch.tracker.clause_categories import classify_clause, heading_category

    assert heading_category(("Privacy Policy", "How We Share Your Information")) == "sharing"
    text = "We collect this information when you contact our support team."
    assert classify_clause(text, ("Privacy Policy", "Contact us")) == ("contact",)
    # a high-risk practice in the text is kept whatever the section
    assert "sale" in classify_clause("We sell your personal information to data brokers.", ("Contact us",))


def test_the_shipped_text_model_is_applied_without_scikit_learn() -> None:
    import sys

    from policywatch.tracker.clause_categories import MODEL_PATH, text_model_categories

    assert MODEL_PATH.exists()
    cats = text_model_categories("We use cookies and similar tracking technologies such as pixels and web beacons on our sites.")
    assert "tracking" in cats
    assert "sklearn" not in sys.modules  # training needs scikit-learn; applying the weights does not


def test_a_heading_alone_is_never_material() -> None:
    from policywatch.tracker.materiality import assess_change

    for heading in ("Payment data .", "Payment data.", "**Data shared with advertising companies**",
                    "Data collected by or shared with other advertising companies ."):
        a = assess_change(ClauseChange("added", None, 0, None, heading))
        assert not a.material and a.severity in ("none", "low"), (heading, a)
    assert assess_change(ClauseChange("added", None, 0, None, "We collect payment data.")).material


def test_a_renamed_link_or_link_target_alone_is_not_material() -> None:
    a = _modified("You may opt out of targeted advertising; see [Do Not Sell My Info](https://example.com/ccpa).",
                  "You may opt out of targeted advertising; see [Your Privacy Choices](https://example.com/ccpa).")
    assert not a.material and a.severity == "low" and "link text renamed" in a.reason
    b = _modified("We share data with partners listed [here](https://example.com/a).",
                  "We share data with partners listed [here](https://example.com/partners/b).")
    assert not b.material and b.severity in ("none", "low")


def test_removed_and_added_clause_stating_the_same_practice_are_one_reworded_change() -> None:
    from policywatch.tracker.materiality import judge_changes

    before = "We share your precise location with advertising partners to show you relevant ads."
    after = "To show you relevant ads, your precise location is shared with our advertising partners."
    old, new = _clauses(BASE + [before]), _clauses(BASE + [after])
    changes = [ClauseChange("removed", len(BASE), None, before, None),
               ClauseChange("added", None, len(BASE), None, after)]
    out, verdict = judge_changes(changes, old, new)
    assert not verdict.material
    assert f"discounted: reworded from clause {len(BASE)}" in out[1].assessment.reason
    assert f"reworded as clause {len(BASE)}" in out[0].assessment.reason


def test_a_protection_that_only_moved_into_its_own_clause_does_not_lead() -> None:
    # A list that was one paragraph is split into items: the old clause "loses" a right that the
    # new version states word for word as its own clause; the new AI training is the news.
    right = "Right to non-discrimination: We will not discriminate against you for exercising your rights."
    old = BASE + [f"You can opt out of marketing emails in your settings. {right}"]
    new = BASE + ["You can opt out of marketing emails in your settings. You may also contact our team.", right,
                  "We use your photos to train our artificial intelligence models."]
    findings = compare_clauses(_clauses(old), _clauses(new)).verdict.findings
    assert findings and "train" in findings[0].quote


def test_a_promise_that_still_stands_with_another_object_ranks_after_a_promise_gone() -> None:
    old = BASE + ["We do not make user content available to advertising partners for their own use."]
    new = [BASE[0], BASE[2], BASE[3], "We do not make user content available to these companies for their own use."]
    findings = compare_clauses(_clauses(old), _clauses(new)).verdict.findings
    assert [f.direction for f in findings[:2]] == ["weakens", "weakens"]
    assert "sell" in findings[0].quote  # the whole "do not sell" promise is gone
    assert "these companies" in findings[1].quote


def test_a_new_controller_leads_a_rewrite_even_in_a_clause_that_also_shares() -> None:
    intro_old = "This Privacy Policy describes how Example Labs Inc. collects and uses your personal information."
    intro_new = ("This Privacy Policy describes how Northwind Platform Inc. (formerly Example Labs) and our "
                 "subsidiaries share and use your personal information.")
    old = _clauses([intro_old] + BASE + [f"Cookies for feature {i} keep your personal data settings for session {i}." for i in range(30)])
    new = _clauses([intro_new] + BASE + [f"Preference {i} of the app is remembered on your device between visits." for i in range(30)]
                   + ["We may share your personal information with our advertising partners."])
    v = compare_clauses(old, new).verdict
    assert v.summary.startswith("Rewritten policy (")
    assert v.findings[0].category == "contact" and "Northwind Platform Inc." in v.findings[0].reason
    assert "formerly Example Labs" in v.findings[0].quote
    assert "Northwind Platform" in v.summary


def test_processing_that_stays_on_the_device_is_not_a_new_collection() -> None:
    from policywatch.tracker.materiality import assess_change

    local = ("If you turn on voice isolation, software on your device will capture and analyze a clip of your audio "
             "to create a voice profile. We do not receive the clip, which stays on your device.")
    a = assess_change(ClauseChange("added", None, 0, None, local))
    assert not a.material, a
    uploaded = "If you turn on voice isolation, we capture and analyze a clip of your audio to create a voice profile."
    assert assess_change(ClauseChange("added", None, 0, None, uploaded)).material


def test_a_right_cut_out_into_its_own_clause_is_discounted_as_moved() -> None:
    right = "Right to deletion: You have the right to delete your personal data at any time."
    old = BASE + [f"You can opt out of marketing emails in your settings. {right}"]
    new = BASE + ["You can opt out of marketing emails in your settings. You may also contact our team.", right]
    diff = compare_clauses(_clauses(old), _clauses(new))
    modified = [c for c in diff.changes if c.kind == "modified"]
    assert modified and not any(c.assessment.material for c in modified)
    assert any("discounted: moved: the sentence stands word for word" in c.assessment.reason for c in modified)
    assert not diff.verdict.material
    # the same edit with the right gone from the whole new version stays material
    gone = compare_clauses(_clauses(old), _clauses(new[:-1]))
    assert gone.verdict.material and "delete your personal data" in gone.verdict.findings[0].quote


def test_re_spaced_clauses_do_not_make_a_rewrite() -> None:
    body = [f"Cookies for feature {i} keep your personal data settings for session {i}." for i in range(30)]
    old = _clauses(BASE + body)
    new = _clauses(BASE + [t.replace(" for ", "  for ") for t in body] + ["We may sell your personal information to data brokers."])
    v = compare_clauses(old, new).verdict
    assert v.material and not v.summary.startswith("Rewritten policy"), v.summary


def test_a_rewritten_sentence_is_quoted_whole_on_both_sides() -> None:
    old = ("Zoom Email is encrypted by default. End-to-end encryption means that we cannot access your "
           "email content, including body text and attachments.")
    new = ("Zoom Email is encrypted by default. When an email is encrypted, only you and your account "
           "administrators hold the key and may therefore access the email content, including body text and attachments.")
    a = _modified(old, new)
    assert a.material
    assert ('"End-to-end encryption means that we cannot access your email content, including body text and '
            'attachments." rewritten as: "When an email is encrypted') in a.reason, a.reason
    # a small edit still quotes only the words that changed
    b = _modified("Reddit does not 'sell' or 'share' your personal information.", "Reddit does not 'sell' your personal information.")
    assert "rewritten" not in b.reason


def test_findings_say_in_which_section_to_read_them() -> None:
    from policywatch.tracker.compare import compare_texts, diff_to_json

    old = ("# Privacy Policy\n\n## How we share\n\n### Advertising partners\n\n"
           "We do not sell your personal information to anyone.\n\n## Contact\n\nWrite to privacy@example.com.\n\n"
           + "\n\n".join(FILLER) + "\n")
    new = old.replace("We do not sell your personal information to anyone.",
                      "We may sell your personal information to data brokers.")
    diff = compare_texts(old, new)
    top = diff.verdict.findings[0]
    assert top.section == ("Privacy Policy", "How we share", "Advertising partners")
    assert top.where == "How we share > Advertising partners"
    assert 'in section "How we share > Advertising partners"' in diff.verdict.summary
    assert diff_to_json(diff)["findings"][0]["section"] == ["Privacy Policy", "How we share", "Advertising partners"]
