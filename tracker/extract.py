"""Turn a fetched body (bytes) into Markdown-like policy text.

HTML goes through trafilatura (Markdown output: ``#`` headings, blank-line
paragraphs, ``-`` list items, tables) after page chrome is removed. trafilatura is
tuned for news articles and sometimes drops whole sections of a long policy, so its
output is checked against a simple lxml walker of the main content and the walker
wins when trafilatura returns much less text; very large pages skip trafilatura.
Plain text and Markdown bodies are decoded and returned as they are. Binary bodies
raise ``InputError``.

trafilatura is imported lazily: ``policywatch compare a.md b.md`` never loads it.
"""
from __future__ import annotations

import codecs
import copy
import os
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policywatch.errors import InputError

if TYPE_CHECKING:
    from lxml.html import HtmlElement

__all__ = ["EXTRACTOR_VERSION", "Extracted", "extract_text", "read_document", "decode_body"]

# Bump whenever the text produced for the same body changes (reprocess relies on it).
# 2: the lxml walker puts consecutive list items on single lines.
# 3: role="heading" elements become Markdown headings.
EXTRACTOR_VERSION = "3"

# Bodies larger than this skip trafilatura (it is slow on multi-MB pages).
TRAFILATURA_MAX_CHARS = 3_000_000
# trafilatura output shorter than this share of the walker's words means it cut sections.
RECALL_RATIO = 0.8


@dataclass
class Extracted:
    """Extracted text plus how it was obtained."""

    text: str
    title: str | None
    engine: str  # "trafilatura", "lxml", "plain"
    encoding: str | None


# --- bytes -> str -------------------------------------------------------------------

_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a ZIP archive (or an Office document)",
    b"\x1f\x8b": "gzip-compressed data",
    b"RIFF": "a RIFF media file",
    b"\x7fELF": "an executable",
    b"\xd0\xcf\x11\xe0": "an old Office document",
}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
_SINGLE_BYTE = {"latin-1", "iso8859-1", "ascii", "cp1252", "iso8859-15"}
_HTML_SNIFF = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|title|div|p|h[1-6]|article|main|section)[\s>]", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _check_not_binary(body: bytes, content_type: str | None) -> None:
    """Raise InputError when ``body`` is clearly not text (magic bytes, NULs)."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media.startswith(("image/", "audio/", "video/", "font/")) or media in ("application/pdf", "application/zip"):
        raise InputError(f"unsupported content type {media!r}: not an HTML or text document")
    for magic, what in _MAGIC.items():
        if body.startswith(magic):
            raise InputError(f"the input is {what}, not an HTML or text document")
    head = body[:65536]
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return
    if b"\x00" in head:
        raise InputError("the input is binary data (it contains NUL bytes), not an HTML or text document")


def _check_control_ratio(text: str) -> None:
    """Raise InputError when decoded text is mostly control characters."""
    sample = text[:65536]
    if sample and len(_CONTROL.findall(sample)) > 0.05 * len(sample):
        raise InputError("the input is binary data (too many control characters), not an HTML or text document")


def _codec(name: str | None) -> str | None:
    """Python codec name for a declared charset (WHATWG: latin-1 means cp1252)."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def _sniff_encoding(body: bytes) -> str:
    """Best guess for undeclared bytes: UTF-8 if valid, else cp1252 for mostly-ASCII
    (Western) text, else charset_normalizer's guess (Cyrillic, Greek, CJK pages)."""
    if _is_utf8(body):
        return "utf-8"
    sample = body[:200_000]
    non_ascii = sum(1 for byte in sample if byte >= 0x80)
    if non_ascii <= 0.15 * max(1, len(sample)):
        return "cp1252"
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - charset_normalizer comes with trafilatura
        return "cp1252"
    best = from_bytes(sample).best()
    return (_codec(best.encoding) if best is not None else None) or "cp1252"


def decode_body(body: bytes, content_type: str | None = None, html: bool = True) -> tuple[str, str]:
    """Decode ``body``: BOM, then Content-Type charset, then ``<meta>``, then sniffing.

    A declared single-byte charset loses to valid non-ASCII UTF-8 (a common server
    misconfiguration); a declaration the bytes do not fit is skipped.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), codec.replace("-sig", "")
    declared = []
    match = _CT_CHARSET.search(content_type or "")
    if match:
        declared.append(_codec(match.group(1)))
    if html:
        meta = _META_CHARSET.search(body[:8192])
        if meta:
            declared.append(_codec(meta.group(1).decode("ascii", "replace")))
    for codec in [c for c in declared if c]:
        if codec in _SINGLE_BYTE and not body.isascii() and _is_utf8(body):
            codec = "utf-8"
        try:
            return body.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    codec = _sniff_encoding(body)
    try:
        return body.decode(codec), codec
    except (UnicodeDecodeError, LookupError):
        return body.decode("cp1252", errors="replace"), "cp1252"


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _looks_like_html(body: bytes) -> bool:
    return bool(_HTML_SNIFF.search(body[:4096]))


# --- HTML -> cleaned tree -----------------------------------------------------------

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
    """Remove scripts, forms and (unless ``keep_landmarks``) navigation, banners, widgets."""
    from lxml import etree

    _drop([el for el in root.iter(*_DROP_TAGS)])
    _drop([el for el in root.iter(etree.Comment, etree.ProcessingInstruction)])
    body_text = len(root.text_content())
    _drop([f for f in root.iter("form") if len(f.text_content()) < 0.5 * body_text])
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
    _drop(doomed)


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


# --- engines ------------------------------------------------------------------------


def _trafilatura(root: HtmlElement, url: str | None = None) -> str:
    """Markdown from trafilatura (tables, formatting; links reduced to their text)."""
    import lxml.html
    import trafilatura

    # Unwrap links first: we keep only their text anyway, and trafilatura's
    # link-density filter otherwise drops policy list items made of links.
    root = copy.deepcopy(root)
    for anchor in list(root.iter("a")):
        anchor.drop_tag()
    html = lxml.html.tostring(root, encoding="unicode")
    result = trafilatura.extract(
        html,
        url=url,
        output_format="markdown",
        include_tables=True,
        include_links=False,
        include_images=False,
        include_comments=False,
        include_formatting=True,
        favor_recall=True,
        deduplicate=False,
    )
    return result or ""


def _walker(root: HtmlElement) -> str:
    return _MarkdownWalker().render(_main_content(root))


_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = {
    "p", "div", "section", "article", "main", "body", "html", "header", "footer", "blockquote",
    "figure", "figcaption", "address", "center", "details", "summary", "fieldset", "dl", "dt", "dd",
    "li", "tr", "td", "th", "tbody", "thead", "tfoot", "caption", "hgroup", "form", "legend", "menu",
}
_LIST_TAGS = {"ul", "ol", "menu"}
_LAYOUT_IN_TABLE = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table")
_LIST_LINE = re.compile(r"^ *(?:- |\d+\. )")
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


class _MarkdownWalker:
    """A small recall-first HTML -> Markdown renderer (the fallback engine).

    Every text node of the content lands in some block: headings become ``#``
    lines, list items ``-``/``1.`` lines indented by depth, data tables Markdown
    rows; other block elements become paragraphs; a paragraph whose only content is
    bold becomes ``**text**`` (the segmenter reads it as a heading).
    """

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.buffer: list[str] = []
        self.prefix = ""
        self.indent = ""

    def render(self, element: HtmlElement) -> str:
        self._visit(element)
        self._flush()
        out: list[str] = []
        for i, block in enumerate(self.blocks):
            if i:  # list items follow each other on single lines, like trafilatura's output
                out.append("\n" if _LIST_LINE.match(block) and _LIST_LINE.match(self.blocks[i - 1]) else "\n\n")
            out.append(block)
        return "".join(out)

    def _flush(self) -> None:
        if not self.buffer:
            return
        raw = "".join(self.buffer)
        self.buffer = []
        if raw.isspace():
            return
        lines = [_HTML_SPACE.sub(" ", part).strip() for part in raw.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            return
        first = self.prefix + lines[0] if self.prefix else self.indent + lines[0]
        rest = [self.indent + ("  " if self.prefix else "") + line for line in lines[1:]]
        self.blocks.append("\n".join([first, *rest]))
        self.prefix = ""

    def _visit(self, el: HtmlElement) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        level = _HEADINGS.get(tag) or _aria_heading_level(el)
        if level:
            self._flush()
            text = _inline_text(el)
            if text:
                self.blocks.append("#" * level + " " + text)
        elif tag in _LIST_TAGS:
            self._flush()
            self._list(el)
        elif tag == "table" and not el.xpath(".//*[self::" + " or self::".join(_LAYOUT_IN_TABLE[:-1]) + "]|.//table"):
            self._flush()
            self._table(el)
        elif tag == "pre":
            self._flush()
            self.blocks.extend(line.rstrip() for line in el.text_content().split("\n") if line.strip())
        elif tag == "br":
            self.buffer.append("\n")
        elif tag in _BLOCKS or tag == "table":
            self._flush()
            if tag in ("p", "div", "dt") and _bold_only(el):
                self.buffer.append("**" + _inline_text(el) + "**")
            else:
                self._children(el)
            self._flush()
        else:
            self._children(el)
        if el.tail and el.getparent() is not None:
            self.buffer.append(el.tail)

    def _children(self, el: HtmlElement) -> None:
        if el.text:
            self.buffer.append(el.text)
        for child in el:
            self._visit(child)

    def _list(self, el: HtmlElement) -> None:
        ordered = el.tag == "ol"
        outer_indent = self.indent
        number = 0
        for item in el:
            if not isinstance(item.tag, str) or item.tag != "li":
                self._visit(item)
                continue
            number += 1
            self._flush()
            self.prefix = outer_indent + (f"{number}. " if ordered else "- ")
            self.indent = outer_indent + "  "
            self._children(item)
            self._flush()
            self.prefix = ""
            if item.tail:
                self.buffer.append(item.tail)
        self.indent = outer_indent

    def _table(self, el: HtmlElement) -> None:
        rows = []
        for tr in el.iter("tr"):
            cells = [_inline_text(td).replace("|", "\\|") for td in tr if td.tag in ("td", "th")]
            if any(cells):
                rows.append((cells, all(td.tag == "th" for td in tr if td.tag in ("td", "th"))))
        if not rows:
            return
        lines = ["| " + " | ".join(cells) + " |" for cells, _ in rows]
        if rows[0][1] or len(rows) > 1:
            lines.insert(1, "|" + " --- |" * len(rows[0][0]))
        self.blocks.append("\n".join(lines))
        if el.tail:
            self.buffer.append(el.tail)


def _aria_heading_level(el: HtmlElement) -> int:
    """Level of a ``role="heading"`` element (``aria-level``, default 2), else 0."""
    if el.get("role") != "heading":
        return 0
    level = el.get("aria-level", "2").strip()
    return min(max(int(level), 1), 6) if level.isdigit() else 2


def _inline_text(el: HtmlElement) -> str:
    return _HTML_SPACE.sub(" ", el.text_content()).strip()


def _bold_only(el: HtmlElement) -> bool:
    """True when all text of a block sits inside one ``<strong>``/``<b>`` child."""
    children = [c for c in el if isinstance(c.tag, str)]
    if len(children) != 1 or children[0].tag not in ("strong", "b"):
        return False
    if (el.text or "").strip() or (children[0].tail or "").strip():
        return False
    text = _inline_text(el)
    return 0 < len(text) <= 150


_HEADING_LINE = re.compile(r"^#{1,6} ", re.M)


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def _tidy(text: str) -> str:
    """Strip trailing spaces, collapse blank-line runs, drop leading/trailing blank lines."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def extract_text(
    body: bytes,
    content_type: str | None = None,
    url: str | None = None,
    select_css: str | None = None,
    remove_css: str | None = None,
) -> Extracted:
    """Extract the policy text of one fetched body (see module docstring)."""
    _check_not_binary(body, content_type)
    media = (content_type or "").split(";")[0].strip().lower()
    is_html = media in ("text/html", "application/xhtml+xml") or (
        media not in ("text/plain", "text/markdown", "text/x-markdown") and _looks_like_html(body)
    )
    text, encoding = decode_body(body, content_type, html=is_html)
    _check_control_ratio(text)
    if not is_html:
        return Extracted(text, None, "plain", encoding)
    root = _parse_html(text)
    title = _title(root)
    root = _apply_css(root, select_css, remove_css)
    _remove_chrome(root, keep_landmarks=bool(select_css))
    walked = _tidy(_walker(root))
    if len(text) > TRAFILATURA_MAX_CHARS or not walked:
        return Extracted(walked, title, "lxml", encoding)
    extracted = _tidy(_trafilatura(root, url))
    if _lost_content(extracted, walked):
        return Extracted(walked, title, "lxml", encoding)
    return Extracted(extracted, title, "trafilatura", encoding)


def _lost_content(extracted: str, walked: str) -> bool:
    """True when trafilatura's output lost words, headings or paragraph breaks.

    On some pages trafilatura falls back to a plain-text baseline without any
    Markdown structure; the segmenter needs the structure as much as the words.
    """
    if _words(extracted) < RECALL_RATIO * _words(walked):
        return True
    walked_headings, extracted_headings = _HEADING_LINE.findall(walked), _HEADING_LINE.findall(extracted)
    if len(walked_headings) >= 2 and len(extracted_headings) < 0.5 * len(walked_headings):
        return True
    walked_blocks, extracted_blocks = walked.count("\n\n"), extracted.count("\n\n")
    return walked_blocks >= 4 and extracted_blocks < 0.3 * walked_blocks


# --- files --------------------------------------------------------------------------


def _read_bytes(path: str) -> bytes:
    """Read a file (or stdin for ``-``) or raise InputError saying what is wrong."""
    if path == "-":
        return sys.stdin.buffer.read()
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, expected a .html, .md or .txt file")
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def read_document(path: str) -> str:
    """Policy text of a CLI FILE argument: HTML is extracted, text is decoded as it is."""
    body = _read_bytes(path)
    ext = os.path.splitext(path)[1].lower()
    label = "standard input" if path == "-" else path
    try:
        if ext in (".html", ".htm", ".xhtml"):
            return extract_text(body, "text/html").text
        if ext in (".md", ".markdown", ".txt", ".text"):
            return extract_text(body, "text/plain").text
        return extract_text(body, None).text
    except InputError as exc:
        raise InputError(f"{label}: {exc}") from exc
