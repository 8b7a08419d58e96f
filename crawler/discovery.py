"""Finding a site's privacy policy from its home page, in many languages.

Links are scored by their visible text (strongest signal: sites label the link
"Privacy Policy", "Datenschutzerklärung", "Politique de confidentialité"...)
and by their URL path (``/privacy``, ``/datenschutz``, ``/privacidad``...).
Cookie settings, "Do not sell" forms and terms of service mention privacy
without being the policy, so they are pushed down. Pure functions over
``(url, text)`` pairs so ranking is tested without a crawl.

Rediscovery of a tracked policy is stricter (:func:`rediscovery_candidates`):
it never moves onto a URL another policy tracks, and only onto a notice of the
policy's own kind (a general privacy policy never onto a children's or a
state-specific notice), because moving onto another document records its text
as a "change" of this policy.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

# Phrases matched against accent-folded, lower-cased link text; first match wins, so
# longer (more specific) phrases come first.
TEXT_PHRASES: tuple[tuple[str, float], ...] = (
    ("privacy policy", 10), ("privacy notice", 10), ("privacy statement", 10), ("data privacy policy", 10),
    ("data protection policy", 9), ("data protection notice", 9), ("data policy", 8),
    ("datenschutzerklarung", 10), ("datenschutzhinweise", 9), ("datenschutzrichtlinie", 9),
    ("politica de privacidad", 10), ("aviso de privacidad", 10), ("politica de privacidade", 10),
    ("aviso de privacidade", 9), ("politique de confidentialite", 10), ("politique de protection des donnees", 9),
    ("protection des donnees", 7), ("declaration de confidentialite", 9), ("vie privee", 7),
    ("privacybeleid", 10), ("privacy-beleid", 10), ("privacyverklaring", 10),
    ("informativa sulla privacy", 10), ("informativa privacy", 10), ("informativa sul trattamento", 8),
    ("integritetspolicy", 10), ("personvernerklaering", 10), ("privatlivspolitik", 10),
    ("polityka prywatnosci", 10), ("zasady ochrony prywatnosci", 9), ("tietosuojaseloste", 10),
    ("ochrana osobnich udaju", 9), ("adatvedelmi", 9), ("gizlilik politikasi", 10),
    ("politika konfidentsialnosti", 9), ("politica de confidentialitate", 10),
    ("プライバシーポリシー", 10), ("隐私政策", 10), ("隱私權政策", 10), ("개인정보처리방침", 10),
    ("политика конфиденциальности", 10),
    ("data protection", 7), ("datenschutz", 8), ("privacidad", 7), ("privacidade", 7),
    ("confidentialite", 7), ("privacy", 6),
)
PATH_TOKENS: tuple[tuple[str, float], ...] = (
    ("privacy-policy", 5), ("privacypolicy", 5), ("privacy_policy", 5), ("privacy-notice", 5),
    ("privacy-statement", 5), ("datenschutzerklaerung", 5), ("datenschutzerklarung", 5), ("datenschutz", 4),
    ("politica-de-privacidad", 5), ("privacidad", 4), ("privacidade", 4), ("confidentialite", 4),
    ("politique-de-confidentialite", 5), ("privacy-beleid", 5), ("privacybeleid", 5),
    ("privacyverklaring", 5), ("informativa-privacy", 5), ("informativa", 3), ("data-protection", 4),
    ("dataprotection", 4), ("integritet", 4), ("personvern", 4), ("prywatnosc", 4), ("privacy", 3),
    ("legal", 0.5),
)
# Links that talk about privacy without being the policy (cookie banners, opt-out forms).
NEGATIVE: tuple[tuple[str, float], ...] = (
    ("cookie", -4), ("do not sell", -6), ("your privacy choices", -5), ("privacy choices", -4),
    ("privacy settings", -5), ("preferences", -3), ("einstellungen", -3), ("parametres", -3),
    ("terms", -3), ("conditions", -3), ("agb", -3), ("nutzungsbedingungen", -3), ("imprint", -3),
    ("impressum", -3), ("opt-out", -4), ("opt out", -4), ("children", -2), ("california", -2),
    ("center", -1), ("centre", -1), ("hub", -1), ("request", -2), ("form", -2),
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Candidate:
    """A link that may be the privacy policy, with its score (higher is better)."""

    url: str
    text: str
    score: float


def fold(text: str) -> str:
    """Lower-case, strip accents and squeeze spaces: "Datenschutzerklärung" -> "datenschutzerklarung"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.replace("\u00a0", " ")).strip().lower()


def _first(phrases: tuple[tuple[str, float], ...], text: str) -> float:
    for phrase, weight in phrases:
        if phrase in text:
            return weight
    return 0.0


def _negative(text: str) -> float:
    return sum(weight for phrase, weight in NEGATIVE if phrase in text)


def score_link(url: str, text: str, home_url: str) -> float:
    """How much a link looks like the site's privacy policy (0 or less: not at all)."""
    folded_text = fold(text)
    path = fold(urlsplit(url).path + "?" + urlsplit(url).query).replace("%20", "-")
    text_score = _first(TEXT_PHRASES, folded_text)
    path_score = _first(PATH_TOKENS, path)
    if text_score == 0 and path_score < 3:
        return 0.0
    score = text_score + path_score + _negative(folded_text) + _negative(path) / 2
    if len(folded_text) > 60:  # a sentence mentioning privacy, not a link label
        score -= 3
    if same_site(url, home_url):
        score += 1
    if urlsplit(url).path.lower().endswith((".pdf", ".doc", ".docx")):
        score -= 4
    return score


def registrable_host(host: str) -> str:
    """Rough site identity: the last two labels (three for ``co.uk``-style suffixes)."""
    labels = (host or "").lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(url: str, home_url: str) -> bool:
    """Whether a link stays on the same site (subdomains included)."""
    return registrable_host(urlsplit(url).hostname or "") == registrable_host(urlsplit(home_url).hostname or "")


def rank_candidates(links: Iterable[tuple[str, str]], home_url: str, *, limit: int = 5) -> list[Candidate]:
    """Best privacy-policy candidates among ``(absolute url, text)`` links, best first.

    Duplicate URLs keep their best-scoring text; ties go to the shorter URL (the
    canonical page rather than a section anchor or a tracking variant).
    """
    best: dict[str, Candidate] = {}
    for url, text in links:
        url = urldefrag(url)[0]
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        score = score_link(url, text, home_url)
        if score <= 0:
            continue
        if url not in best or score > best[url].score:
            best[url] = Candidate(url, _SPACES.sub(" ", text).strip(), score)
    ranked = sorted(best.values(), key=lambda c: (-c.score, len(c.url), c.url))
    return ranked[:limit]


# Notices that are about one audience or jurisdiction, not the general policy.
SPECIFIC_NOTICES: dict[str, tuple[str, ...]] = {
    "children": ("children", "childrens", "child", "kids", "minors", "student", "coppa", "enfants", "kinder",
                 "ninos", "menores"),
    "state": ("california", "ccpa", "cpra", "nevada", "virginia", "colorado", "connecticut", "utah", "texas",
              "oregon", "montana", "washington", "us state", "u.s. state", "state privacy", "state-privacy",
              "your state"),
}
_WORD = re.compile(r"[a-z][a-z.\-]*")


def notice_kind(text: str) -> str | None:
    """``children`` / ``state`` for a specific notice (by its words), None for a general one."""
    folded = fold(text).replace("'", "").replace("\u2019", "")
    words = " ".join(_WORD.findall(folded.replace("/", " ").replace("_", " ").replace("-", " ")))
    for kind, markers in SPECIFIC_NOTICES.items():
        if any(f" {m} " in f" {words} " for m in markers):
            return kind
    return None


def candidate_kind(candidate: Candidate) -> str | None:
    return notice_kind(f"{candidate.text} {urlsplit(candidate.url).path}")


def same_url(url: str) -> str:
    """A comparison key: no fragment, lower-case scheme and host, no trailing slash on the path."""
    parts = urlsplit(urldefrag(url)[0])
    path = parts.path.rstrip("/") or "/"
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}" + (f"?{parts.query}" if parts.query else "")


def rediscovery_candidates(candidates: Iterable[Candidate], *, exclude: Iterable[str], policy_type: str | None
                           ) -> list[Candidate]:
    """Candidates a tracked policy may move to: not tracked by anyone, of the policy's kind, best first."""
    taken = {same_url(u) for u in exclude}
    wanted = notice_kind(policy_type or "")
    return [c for c in candidates if same_url(c.url) not in taken and candidate_kind(c) == wanted]


def page_links(html: str | bytes, base_url: str) -> list[tuple[str, str]]:
    """``(absolute url, link text)`` of every ``<a href>`` in a page (text includes title/aria-label)."""
    from parsel import Selector

    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    selector = Selector(text=html or "<html></html>")
    base = selector.xpath("//base/@href").get()
    root = urljoin(base_url, base) if base else base_url
    links = []
    for anchor in selector.xpath("//a[@href]"):
        href = (anchor.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        text = " ".join(anchor.xpath(".//text()").getall())
        label = anchor.attrib.get("aria-label") or anchor.attrib.get("title") or ""
        links.append((urljoin(root, href), _SPACES.sub(" ", f"{text} {label}").strip()))
    return links


def site_home(url: str) -> str:
    """The front page of a URL's site, where rediscovery starts."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"
