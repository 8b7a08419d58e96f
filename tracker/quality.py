"""Is this extracted text a privacy policy at all?

A failed capture must never become a version (docs/DESIGN.md), so before ingesting we
look at the text with generic rules: word counts, a few phrase lists (English plus
cheap French/German/Spanish variants) for error, redirect, JavaScript-wall, login
and parked-domain pages, the presence of privacy vocabulary, and a comparison with
the previous version to catch truncated pages: a text that keeps less than half of
its predecessor's words is a suspect capture (outcome ``truncated``, no version, no
alert) until ``tracker.shrink`` sees that the page really shrank. Phrase rules apply only to
short texts, where such a message is the page rather than a sentence of a policy.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Quality", "assess_text", "word_count", "retained_share", "OUTCOMES"]

OUTCOMES = ("ok", "extraction_failure", "soft_404", "not_a_policy", "truncated")

# Below this many words a page can only be a stub (a header, a redirect notice).
STUB_WORDS = 50
# Phrase rules (404, login, JavaScript, parked) apply up to 3 x STUB_WORDS words, or
# up to this many words when the text has little privacy vocabulary.
SHORT_PAGE_WORDS = 400
# Truncation: the previous version had more than this many words ...
TRUNCATION_MIN_PREVIOUS = 300
# ... and the new text keeps less than this share of them.
TRUNCATION_RATIO = 0.3
# Suspect capture: the new text holds less than this share of the previous version's
# words (counted with repeats): a page whose policy was cut by
# a bad extraction keeps its navigation and footer, not the policy's words.
SUSPECT_RETAINED = 0.5
# ... provided the page also got shorter: a rewrite of the same length in new words lost
# nothing of the page (it is a change to judge, not a capture to doubt).
SUSPECT_LENGTH = 0.8

_WORD = re.compile(r"\w+(?:['’-]\w+)*")


def _phrases(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


_REDIRECT = _phrases(
    r"\bredirecting\b", r"\byou are being redirected\b", r"\bif you are not redirected\b",
    r"\bthis page has moved\b", r"\bredirection en cours\b", r"\bweiterleitung\b", r"\bredirigiendo\b",
)
_JS_WALL = _phrases(
    r"\benable javascript\b", r"\bjavascript (?:is )?(?:required|disabled|must be enabled)\b",
    r"\brequires javascript\b", r"\bturn on javascript\b", r"\byour browser does not support javascript\b",
    r"\bactive[zr] javascript\b", r"\bjavascript aktivieren\b", r"\bhabilit[ae] javascript\b",
)
_BOT_WALL = _phrases(
    r"\bverify (?:that )?you are (?:a )?human\b", r"\bchecking your browser\b", r"\bare you a robot\b",
    r"\baccess denied\b", r"\battention required\b", r"\bunusual traffic\b", r"\bcaptcha\b",
)
_NOT_FOUND = _phrases(
    r"\bpage not found\b", r"\b404\b", r"\bnot found\b", r"\b(?:this|the) page (?:you requested )?(?:does ?n[o']t|does not|doesn't) exist\b",
    r"\bcould ?n[o']t (?:be )?f(?:ou)?nd (?:the|this|that) page\b", r"\bwe can(?:no|')t find\b",
    r"\bpage (?:is )?no longer available\b", r"\bseite nicht gefunden\b", r"\bpage introuvable\b",
    r"\bpágina no encontrada\b", r"\bnothing (?:was )?found\b",
)
_LOGIN = _phrases(
    r"\b(?:sign|log) ?in to (?:continue|view|access|see)\b", r"\bplease (?:sign|log) ?in\b",
    r"\byou (?:must|need to) (?:be )?(?:signed|logged) ?in\b", r"\bcreate an account to continue\b",
    r"\bconnectez-vous pour continuer\b", r"\bmelden sie sich an\b", r"\binicia sesión para continuar\b",
)
_PARKED = _phrases(
    r"\bdomain (?:name )?(?:is|may be) for sale\b", r"\bbuy this domain\b", r"\bdomain is parked\b",
    r"\bparked (?:free|domain)\b", r"\bthis domain has expired\b", r"\bdomain for sale\b",
)
_PRIVACY_TERMS = _phrases(
    r"\bprivacy\b", r"\bpersonal (?:data|information)\b", r"\bdata\b", r"\bcollect", r"\bcookies?\b",
    r"\bthird[- ]part(?:y|ies)\b", r"\bprocess(?:ing|es)?\b", r"\bretain|retention\b", r"\bconsent\b",
    r"\bgdpr\b", r"\bccpa\b", r"\bshare\b|\bdisclose\b",
    r"\bdonnées\b", r"\bconfidentialité\b", r"\bdatenschutz", r"\bpersonenbezogen", r"\bdaten\b",
    r"\bdatos\b", r"\bprivacidad\b", r"\bprivacy policy\b",
    r"\bdados pessoais\b", r"\bprivacidade\b", r"\bdati personali\b", r"\bpersoonsgegevens\b",
    r"персональн", r"конфиденциальн", r"個人情報", r"プライバシー", r"个人信息", r"隐私", r"개인정보",
)


@dataclass(frozen=True)
class Quality:
    """Verdict on one extracted text: an outcome (see ``OUTCOMES``) and why."""

    outcome: str
    detail: str

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def word_count(text: str) -> int:
    """Number of words (runs of letters/digits, with inner apostrophes and hyphens)."""
    return len(_WORD.findall(text))


def _quote(match: re.Match[str]) -> str:
    return f'"{match.group(0)}"'


def _short_page_verdict(text: str, title: str, words: int) -> Quality | None:
    """Error, wall and parked pages: only on short texts (or an error title)."""
    haystack = f"{title}\n{text}"
    checks = (
        (_REDIRECT, "extraction_failure", "a redirect notice"),
        (_JS_WALL, "extraction_failure", "a page that needs JavaScript to show its content"),
        (_BOT_WALL, "extraction_failure", "a bot check or access-denied page"),
        (_NOT_FOUND, "soft_404", "a 'page not found' page served as a success"),
        (_LOGIN, "not_a_policy", "a login wall"),
        (_PARKED, "not_a_policy", "a parked or for-sale domain page"),
    )
    for pattern, outcome, what in checks:
        match = pattern.search(haystack)
        if match:
            return Quality(outcome, f"The text ({words} words) looks like {what}: it says {_quote(match)}.")
    return None


def _privacy_terms(text: str, window: int = 20_000) -> set[str]:
    """Distinct privacy terms; a long policy shows enough of them early, so scan a window first."""
    terms = {m.group(0).lower() for m in _PRIVACY_TERMS.finditer(text, 0, window)}
    if len(terms) < 5 and len(text) > window:
        terms = {m.group(0).lower() for m in _PRIVACY_TERMS.finditer(text)}
    return terms


def retained_share(previous: str, text: str) -> float:
    """Share of ``previous``'s words (with repeats, case-folded) still found in ``text``."""
    from collections import Counter

    before = Counter(w.lower() for w in _WORD.findall(previous))
    total = sum(before.values())
    if not total:
        return 1.0
    after = Counter(w.lower() for w in _WORD.findall(text))
    return sum((before & after).values()) / total


def assess_text(
    text: str, previous_words: int | None = None, title: str | None = None, previous_text: str | None = None
) -> Quality:
    """Classify extracted text as ``ok`` or one of the failure outcomes, with a reason.

    With ``previous_text`` (the previous version), a text that lost most of it is a
    suspect capture (``truncated``) even when its own length looks like a policy.
    """
    words = word_count(text)
    if words == 0:
        return Quality("extraction_failure", "The extracted text is empty.")
    lines = [line for line in text.splitlines() if line.strip()]
    terms = _privacy_terms(text)
    short = words <= STUB_WORDS * 3 or (words <= SHORT_PAGE_WORDS and len(terms) < 5)
    if short or (title and _NOT_FOUND.search(title) and words < 2 * SHORT_PAGE_WORDS):
        verdict = _short_page_verdict(text, title or "", words)
        if verdict:
            return verdict
    if words < STUB_WORDS:
        return Quality(
            "extraction_failure",
            f"Only {words} words in {len(lines)} lines: a header or stub without the policy body.",
        )
    if previous_words and previous_words > TRUNCATION_MIN_PREVIOUS and words < TRUNCATION_RATIO * previous_words:
        share = round(100 * words / previous_words)
        return Quality(
            "truncated",
            f"Suspect capture: the text has {words} words, {share}% of the previous version's {previous_words}: "
            "most of the policy is missing (accepted once the page is seen to really shrink).",
        )
    previous_total = word_count(previous_text) if previous_text is not None else 0
    if previous_text is not None and previous_total > TRUNCATION_MIN_PREVIOUS and words < SUSPECT_LENGTH * previous_total:
        kept = retained_share(previous_text, text)
        if kept < SUSPECT_RETAINED:
            return Quality(
                "truncated",
                f"Suspect capture: the text ({words} words) keeps {round(100 * kept)}% of the previous version's "
                f"words: most of the policy is missing (accepted once the page is seen to really shrink).",
            )
    if len(terms) < 2:
        return Quality("not_a_policy", f"The text ({words} words) uses no privacy vocabulary (personal data, collect, cookies, ...).")
    return Quality("ok", f"The text has {words} words and reads like a privacy policy.")
