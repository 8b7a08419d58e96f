"""HTML -> cleaned tree: parse, drop scripts and page chrome, apply a policy's CSS rules.

Chrome (navigation, cookie banners, share widgets) is recognised by tag, ARIA role and
class/id names; the main content is ``<main>``/``<article>`` when they hold most text.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from policywatch.errors import InputError

if TYPE_CHECKING:
    from lxml.html import HtmlElement


# Always dropped: never policy text.
_DROP_TAGS = (
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed",
    "button", "input", "select", "textarea", "option", "label", "dialog", "link", "meta",
)
# Page chrome by class/id. Kept narrow: a policy's own "cookies" or "how-we-share"
# sections must survive, so bare "cookie" or "share" never match. Phrases match
# inside a token at "-"/"_" boundaries ("js-cookie-banner-wrapper"); ambiguous
# words ("sharing", "social", "sidebar") only as a whole class token or id.
_CHROME_PHRASE = re.compile(
    r"(?:^|[_-])(?:"
    r"cookie-?(?:banner|consent|notice|bar|popup|modal|law|message|wall)|cookiebanner|cookieconsent"
    r"|onetrust|ot-sdk|cybotcookiebot|cookiebot|truste-?consent|didomi|usercentrics|cmp-?(?:banner|container)"
    r"|consent-?(?:banner|manager|modal|bar)|gdpr-?(?:banner|consent|notice)|cc-(?:window|banner)"
    r"|share-?(?:buttons?|bar|links?|icons?|widget|tools?|this)|social-?(?:share|sharing|links|icons|media|buttons?)"
    r"|sharethis|addthis|a2a_kit|shariff"
    r"|smart-?banner|app-?(?:banner|install|download|promo)|download-?(?:the-?)?app|get-?the-?app|open-?in-?app"
    r"|skip-?(?:link|to-content)|site-?(?:header|footer|nav)|global-?(?:header|footer|nav)"
    r"|nav-?bar|main-?nav|back-?to-?top|print-?button|feedback-?widget"
    r")(?:$|[_-])",
    re.I,
)
_CHROME_TOKEN = re.compile(
    r"share|sharing|social|sidebar|navbar|navigation|breadcrumbs?|newsletter|subscribe|toolbar|menu",
    re.I,
)
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "dialog", "alertdialog", "search", "complementary"}


def _parse_html(text: str) -> HtmlElement:
    """Parse HTML text with lxml; an empty page becomes an empty ``<html>``."""
    import lxml.html

    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    # Characters XML trees cannot hold (lxml refuses them when text is edited later).
    text = _XML_INVALID.sub(" ", text)
    if not text.strip():
        return lxml.html.fromstring("<html><body></body></html>")
    try:
        return lxml.html.document_fromstring(text, parser=_html_parser())
    except Exception:  # lxml raises ParserError on documents without any element
        return lxml.html.fromstring("<html><body></body></html>")


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _html_parser():
    """An lxml HTML parser that accepts multi-MB text nodes (libxml2 caps them by default)."""
    import lxml.html

    return lxml.html.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True)


def _drop(elements: list[HtmlElement]) -> None:
    for element in elements:
        if element.getparent() is not None:
            element.drop_tree()


def _remove_chrome(root: HtmlElement, keep_landmarks: bool) -> None:
    """Remove scripts, forms, hidden elements and (unless ``keep_landmarks``) navigation,
    banners, widgets.

    An element holding most of the page's text is never chrome, whatever its name or
    role: a site builder may wrap the whole policy in ``id="white-nav-bar"``.
    """
    from lxml import etree

    _drop([el for el in root.iter(*_DROP_TAGS)])
    _drop([el for el in root.iter(etree.Comment, etree.ProcessingInstruction)])
    body_text = _text_size(root)
    _drop([f for f in root.iter("form") if _text_size(f) < 0.5 * body_text])
    _drop([el for el in _hidden_elements(root) if not _holds_the_page(el, body_text)])
    if keep_landmarks:
        return
    doomed = []
    for el in root.iter("nav", "header", "footer", "aside", "div", "section", "ul", "p", "span", "a", "ol"):
        if el.tag == "nav":
            doomed.append(el)
        elif el.tag in ("header", "footer", "aside"):
            # Page landmarks are chrome; inside the article they hold its title or an
            # "In short" summary, which are policy text.
            if not any(a.tag in ("article", "main") for a in el.iterancestors()):
                doomed.append(el)
        elif el.get("role") in _CHROME_ROLES or el.get("aria-modal") == "true":
            doomed.append(el)
        elif _is_chrome_by_name(el):
            doomed.append(el)
    _drop([el for el in doomed if not _holds_the_page(el, body_text)])


_SPACE = re.compile(r"\s+")
_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\s*(?:!important\s*)?(?:;|$)", re.I)
_COLLAPSIBLE = re.compile(r"accordion|collaps|expand|panel|tab-?content|tabpanel|toggle|faq", re.I)
_OPEN_STATE = {"show", "open", "is-open", "active", "is-active", "in", "visible", "is-visible", "opened"}


# An element holding this share of the page's text, and at least this many characters
# (a policy, not a page that is only a menu), is the content whatever it is called.
_MOST_TEXT = 0.5
_MIN_CONTENT_CHARS = 1000


def _holds_the_page(el: HtmlElement, body_text: int) -> bool:
    size = _text_size(el)
    return size >= _MIN_CONTENT_CHARS and size >= _MOST_TEXT * body_text


def _text_size(el: HtmlElement) -> int:
    """Characters of visible text (whitespace ignored) inside ``el``."""
    return len(_SPACE.sub("", el.text_content()))


def _hidden_elements(root: HtmlElement) -> list[HtmlElement]:
    """Elements a reader never sees: ``hidden``, ``aria-hidden="true"``, ``display:none``,
    closed modals. Collapsed accordion or tab panels are policy text a click away, so they
    stay (``hidden="until-found"``, panels named by an ``aria-controls`` or by their class).
    """
    controlled = {token for value in root.xpath("//@aria-controls") for token in str(value).split()}
    hidden = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body"):
            continue
        classes = el.get("class", "")
        tokens = {t.lower() for t in classes.split()}
        is_hidden = (
            (el.get("hidden") is not None and el.get("hidden") != "until-found")
            or el.get("aria-hidden", "").strip().lower() == "true"
            or bool(_HIDDEN_STYLE.search(el.get("style", "")))
        )
        closed_modal = any(t == "modal" or t.endswith(("-modal", "_modal")) for t in tokens) and not tokens & _OPEN_STATE
        if closed_modal and el.get("aria-hidden", "").lower() != "false":
            hidden.append(el)
        elif is_hidden and not (el.get("id") in controlled or _COLLAPSIBLE.search(f"{classes} {el.get('id', '')}")):
            hidden.append(el)
    return hidden


def _is_chrome_by_name(el: HtmlElement) -> bool:
    tokens = f"{el.get('class', '')} {el.get('id', '')}".split()
    return any(_CHROME_TOKEN.fullmatch(t) or _CHROME_PHRASE.search(t) for t in tokens)


def _apply_css(root: HtmlElement, select_css: str | None, remove_css: str | None) -> HtmlElement:
    """Remove ``remove_css`` matches, then keep only ``select_css`` matches (in order)."""
    import lxml.html
    from cssselect import SelectorError

    try:
        if remove_css:
            _drop(root.cssselect(remove_css))
        if not select_css:
            return root
        selected = root.cssselect(select_css)
    except SelectorError as exc:
        raise InputError(f"invalid CSS selector ({exc}): fix the policy's select/remove rule") from exc
    chosen = set(selected)  # lxml keeps one proxy per node while referenced
    selected = [el for el in selected if not any(a in chosen for a in el.iterancestors())]
    new_root = lxml.html.fromstring("<html><body></body></html>")
    body = new_root.find("body")
    for el in selected:
        el.tail = None
        body.append(el)
    return new_root


def _title(root: HtmlElement) -> str | None:
    for xpath in ("//meta[@property='og:title']/@content", "//title//text()", "//h1//text()"):
        values = [v.strip() for v in root.xpath(xpath) if v.strip()]
        if values:
            return " ".join(values)[:300]
    return None


def _main_content(root: HtmlElement) -> HtmlElement:
    """The element holding the policy: ``<main>``, ``<article>``, role=main, else body."""
    body = root.find("body") if root.find("body") is not None else root
    total = len(body.text_content())
    for xpath in ("//main", "//*[@role='main']", "//article"):
        found = root.xpath(xpath)
        if found:
            best = max(found, key=lambda el: len(el.text_content()))
            if len(best.text_content()) >= 0.5 * total:
                return best
    return body

