"""Ranking privacy-policy links across languages."""
from __future__ import annotations

import pytest

from policywatch.crawler.discovery import fold, page_links, rank_candidates, site_home

HOME = "https://www.example.com/"


def best(links: list[tuple[str, str]], home: str = HOME) -> str | None:
    ranked = rank_candidates(links, home)
    return ranked[0].url if ranked else None


@pytest.mark.parametrize(
    "label, href",
    [
        ("Privacy Policy", "/legal/privacy-policy"),
        ("Privacy Notice", "/notice"),
        ("Datenschutzerklärung", "/datenschutz"),
        ("Datenschutz", "/de/ds"),
        ("Política de privacidad", "/es/politica-de-privacidad"),
        ("Aviso de privacidad", "/mx/aviso"),
        ("Politique de confidentialité", "/fr/confidentialite"),
        ("Confidentialité", "/fr/conf"),
        ("Privacybeleid", "/nl/privacy-beleid"),
        ("Informativa sulla privacy", "/it/informativa-privacy"),
        ("Polityka prywatności", "/pl/polityka"),
        ("Protection des données", "/fr/donnees"),
        ("プライバシーポリシー", "/ja/privacy"),
    ],
)
def test_policy_link_beats_the_noise(label: str, href: str) -> None:
    links = [
        ("https://www.example.com/", "Home"),
        ("https://www.example.com/terms", "Terms of Service"),
        ("https://www.example.com/cookie-settings", "Cookie settings"),
        ("https://www.example.com/privacy-choices", "Your Privacy Choices"),
        ("https://www.example.com/about", "About us"),
        ("https://www.example.com" + href, label),
    ]
    assert best(links) == "https://www.example.com" + href


def test_url_pattern_alone_is_enough_and_noise_is_dropped() -> None:
    links = [("https://www.example.com/legal/privacy-policy", "Legal"), ("https://www.example.com/blog", "Blog")]
    assert best(links) == "https://www.example.com/legal/privacy-policy"
    assert best([("https://www.example.com/blog", "Blog"), ("https://www.example.com/terms", "Terms")]) is None


def test_policy_beats_cookie_policy_and_do_not_sell() -> None:
    links = [
        ("https://www.example.com/cookie-policy", "Cookie Policy"),
        ("https://www.example.com/ccpa-opt-out", "Do Not Sell or Share My Personal Information"),
        ("https://www.example.com/privacy", "Privacy"),
    ]
    assert best(links) == "https://www.example.com/privacy"


def test_same_site_preferred_and_duplicates_merged() -> None:
    links = [
        ("https://tracker.other.net/privacy-policy", "Privacy Policy"),
        ("https://www.example.com/privacy-policy#top", "Privacy Policy"),
        ("https://www.example.com/privacy-policy", "privacy"),
    ]
    ranked = rank_candidates(links, HOME)
    assert ranked[0].url == "https://www.example.com/privacy-policy"
    assert len([c for c in ranked if c.url.endswith("example.com/privacy-policy")]) == 1


def test_page_links_resolve_relative_and_base() -> None:
    html = ("<html><head><base href='/en/'></head><body><a href='privacy'>Privacy <b>Policy</b></a>"
            "<a href='mailto:x@y'>mail</a><a href='https://x.org/' aria-label='Datenschutz'></a></body></html>")
    links = page_links(html, "https://ex.org/start")
    assert ("https://ex.org/en/privacy", "Privacy Policy") in links
    assert ("https://x.org/", "Datenschutz") in links
    assert len(links) == 2


def test_fold_and_home() -> None:
    assert fold("Politique de Confidentialité\u00a0 ") == "politique de confidentialite"
    assert site_home("https://ex.org/a/b?c=1") == "https://ex.org/"
