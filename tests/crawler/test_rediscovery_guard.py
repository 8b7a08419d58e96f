"""Rediscovery never moves a policy onto another policy's URL, nor onto a notice of another kind.

A soft 404 once moved two policies onto a third one's URL: one real change
became three high-severity alerts. Unit rules first, then a real crawl.
"""
from __future__ import annotations

import pytest

from policywatch.crawler.discovery import Candidate, notice_kind, rank_candidates, rediscovery_candidates
from policywatch.crawler.runner import run_crawl
from tests.crawler.conftest import add_policy, fast_env, query

HOME = "https://shop.example/"


@pytest.mark.parametrize("text, kind", [
    ("Privacy Policy /privacy", None),
    ("Children's Privacy Notice /kids-privacy", "children"),
    ("Kids /legal/coppa", "children"),
    ("Your California Privacy Rights /ccpa", "state"),
    ("US State Privacy Notice /us-state-privacy", "state"),
    ("Privacy Statement /legal/privacy-statement", None),
])
def test_notice_kind(text, kind):
    assert notice_kind(text) == kind


def test_rediscovery_skips_tracked_urls_and_other_kinds():
    links = [
        (HOME + "privacy", "Privacy Policy"),
        (HOME + "kids/privacy-policy", "Children's Privacy Policy"),
        (HOME + "ccpa", "California Privacy Policy"),
        (HOME + "legal/privacy-notice", "Privacy Notice"),
    ]
    ranked = rank_candidates(links, HOME, limit=20)
    chosen = rediscovery_candidates(ranked, exclude=[HOME + "privacy/"], policy_type="privacy_policy")
    assert [c.url for c in chosen] == [HOME + "legal/privacy-notice"]
    kids = rediscovery_candidates(ranked, exclude=[], policy_type="childrens_privacy_policy")
    assert [c.url for c in kids] == [HOME + "kids/privacy-policy"]


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.timeout(150)
def test_soft_404s_never_move_two_policies_onto_a_third_ones_url(site, db_path):
    s = site.site
    s.policy("/privacy", paragraphs=["We collect your email address to send receipts and share nothing else."])
    s.policy("/a-privacy", paragraphs=["Policy A: we collect your name and share it with payment processors."])
    s.policy("/b-privacy", paragraphs=["Policy B: we collect your address to deliver orders."])
    main_id = add_policy(db_path, site.url + "/privacy", "main")
    a_id = add_policy(db_path, site.url + "/a-privacy", "a")
    b_id = add_policy(db_path, site.url + "/b-privacy", "b")
    env = fast_env()
    run_crawl(db_path, live=True, env=env, timeout=90)
    # A and B turn into soft 404s; the home page links the main policy (tracked), a children's
    # notice (another kind) and one new general notice.
    s.soft_404("/a-privacy")
    s.soft_404("/b-privacy")
    s.policy("/kids-privacy", title="Children's Privacy Policy")
    s.policy("/legal/privacy-notice", paragraphs=["We collect your name and share it with payment processors."])
    s.home([("/privacy", "Privacy Policy"), ("/kids-privacy", "Children's Privacy Policy"),
            ("/legal/privacy-notice", "Privacy Notice")])
    run_crawl(db_path, live=True, env=env, timeout=90)
    urls = {r["id"]: r["url"] for r in query(db_path, "SELECT id, url FROM policies")}
    assert urls[main_id] == site.url + "/privacy"
    moved = [pid for pid in (a_id, b_id) if urls[pid] != site.url + ("/a-privacy" if pid == a_id else "/b-privacy")]
    assert len(moved) == 1, urls  # one of them took the new notice; the other stays (and keeps failing)
    assert urls[moved[0]] == site.url + "/legal/privacy-notice"
    new_urls = [r["new_url"] for r in query(db_path, "SELECT new_url FROM policy_moves")]
    assert new_urls == [site.url + "/legal/privacy-notice"]
    # nothing was captured for A or B at the main policy's URL or at the children's notice
    stray = query(db_path, "SELECT count(*) AS n FROM captures WHERE policy_id IN (?, ?) AND url IN (?, ?)",
                  [a_id, b_id, site.url + "/privacy", site.url + "/kids-privacy"])
    assert stray[0]["n"] == 0
