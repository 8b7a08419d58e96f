"""Policy text (Markdown, as extraction and Open Terms Archive write it) as safe HTML.

Policy text comes from websites we do not control. It is parsed with
markdown-it-py with raw HTML off (``<script>`` stays visible text), links are
kept only for http(s) and mailto (relative links are resolved against the
policy's own URL, others become plain text), and the result goes through the
nh3 sanitizer with a short allow-list, which also repairs any nesting a redline
marker broke. A redline is rendered by marking the inserted and deleted words
with private-use characters *before* Markdown parsing and turning the marks
into ``<ins>``/``<del>`` after it, so emphasis, links and lists survive a diff.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache
from urllib.parse import urljoin, urlparse

import nh3
from markdown_it import MarkdownIt

from policywatch.tracker.redline import DELETE, EQUAL, INSERT, Ops, word_diff

__all__ = ["markdown_html", "markdown_plain", "readable_ops", "redline_markdown", "side_markdown"]

# Private-use marks: never produced by extraction (stripped from input first), never touched by Markdown.
_DEL_OPEN, _DEL_CLOSE, _INS_OPEN, _INS_CLOSE, _BREAK, _CELL = "\ue100\ue101\ue102\ue103\ue104\ue105"
_MARKS = re.compile("[\ue100-\ue105]")
_MARK_HTML = {_DEL_OPEN: "<del>", _DEL_CLOSE: "</del>", _INS_OPEN: "<ins>", _INS_CLOSE: "</ins>",
              _BREAK: "<br>", _CELL: "·"}
_BR = re.compile(r"<br\s*/?>", re.I)
_SPACE_BEFORE_STOP = re.compile(r"(?<=\w) +(?=[.,;:](?:\s|$|<))")
# Markdown syntax a word diff can cut through (links, strong emphasis), and how to take it out.
_SYNTAX, _LINK, _EMPHASIS = (re.compile(p) for p in (r"\]\(|\[|\]|\*\*|__", r"!?\[([^\]]*)\]\([^)]*\)", r"\*\*|__"))
_DESTINATION = re.compile(r"\]\(([^()\s]*)\)")
_BLOCK_MARKER = re.compile(r"(?:[*+-]|\d{1,3}[.)]|#{1,6}|>)[ \t]+")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_HEADING_TAG = re.compile(r"<(/?)h[1-6]\b")
_ENCODED_MARK = re.compile(r"%EE%84%8[0-5]", re.I)

_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "code", "pre", "del", "ins", "s", "blockquote",
         "table", "thead", "tbody", "tr", "th", "td", "h4", "hr"}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # commonmark + tables + strikethrough; html False: tags in policy text are text.
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )
    # Every link renders; nh3's filter below decides which keep an address.
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    return parser


@lru_cache(maxsize=8192)
def markdown_html(text: str, base_url: str | None = None) -> str:
    """One clause (or any policy text) as sanitised HTML (cached: consecutive changes share their context)."""
    return _render(_clean_source(text), base_url, DELETE)


def markdown_plain(text: str) -> str:
    """Policy Markdown as the words a reader sees (for quotes and one-line summaries); escape it again to show it."""
    rendered = _BLOCK_TAG.sub(" ", _render(_clean_source(text), None, DELETE))
    words = html.unescape(_TAG.sub("", rendered))
    # Fragments (a quote cut mid-emphasis, a table row inside a sentence) leave markers Markdown could not pair.
    words = _STRAY_BULLET.sub(" · ", words)
    return " ".join(_STRAY_MARK.sub("", words).split())


def redline_markdown(ops: Ops, base_url: str | None = None) -> str:
    """A redline as Markdown-rendered HTML with ``<ins>``/``<del>``; pass ops through ``readable_ops`` first."""
    return _render(_marked(ops), base_url, DELETE)


def readable_ops(ops: Ops) -> Ops:
    """Ops whose edits cut through link or emphasis syntax are redone on the words alone.

    A word diff may delete ``[old label](old-url`` and insert ``[new label](new-url``:
    no Markdown parser can rebuild a link from that, and the reader would see
    brackets. Those clauses (only those) lose their links and bold in the redline.
    """
    if not any(op != EQUAL and _SYNTAX.search(piece) for op, piece in ops):
        return ops
    old = "".join(piece for op, piece in ops if op != INSERT)
    new = "".join(piece for op, piece in ops if op != DELETE)
    return word_diff(_flatten(old), _flatten(new))


def _flatten(text: str) -> str:
    return _EMPHASIS.sub("", _LINK.sub(r"\1", text))


def _marked(ops: Ops) -> str:
    marked: list[str] = []
    for op, piece in ops:
        piece = _clean_source(piece)
        if op == EQUAL:
            marked.append(piece)
            continue
        open_, close = (_DEL_OPEN, _DEL_CLOSE) if op == DELETE else (_INS_OPEN, _INS_CLOSE)
        at_start = not marked or marked[-1].endswith("\n")
        lines = piece.split("\n")  # marked line by line: a mark never spans two Markdown blocks
        marked.append("\n".join(_wrap(line, open_, close, at_start or n > 0) for n, line in enumerate(lines)))
    return "".join(marked)


def side_markdown(ops: Ops, side: int, base_url: str | None = None) -> str:
    """One side of a side-by-side view: the old text with its deletions or the new with its insertions."""
    kept = [(op, piece) for op, piece in ops if op in (EQUAL, side)]
    return _render(_marked(kept), base_url, INSERT if side == DELETE else DELETE)


def _wrap(piece: str, open_: str, close: str, line_start: bool) -> str:
    """Marks hug the words, so Markdown still sees block markers (``* ``, ``1. ``, ``## ``) at line starts."""
    lead = len(piece) - len(piece.lstrip())
    if line_start:
        marker = _BLOCK_MARKER.match(piece, lead)
        lead = marker.end() if marker else lead
    trail = len(piece) - len(piece.rstrip())
    core = piece[lead : max(lead, len(piece) - trail)]
    return piece[:lead] + (open_ + core + close if core else "") + piece[lead + len(core) :]


def _clean_source(text: str) -> str:
    text = _SPACE_BEFORE_STOP.sub("", _MARKS.sub("", text or ""))
    return _BR.sub(_BREAK, text)


def _destinations(text: str, dropped: int) -> str:
    """A link whose address changed points at one side's address (the new one, or the old on the old side)."""
    drop = re.compile(f"{_DEL_OPEN}[^{_DEL_CLOSE}]*{_DEL_CLOSE}" if dropped == DELETE
                      else f"{_INS_OPEN}[^{_INS_CLOSE}]*{_INS_CLOSE}")
    return _DESTINATION.sub(lambda m: "](" + _MARKS.sub("", drop.sub("", m.group(1))) + ")", text)


def _table_rows(text: str) -> str:
    """A lone table row (segmentation splits tables by row) reads as its non-empty cells."""
    lines = text.split("\n")
    if not all(line.strip().startswith("|") for line in lines if line.strip()):
        return text
    if any(_TABLE_RULE.match(_MARKS.sub("", line.strip())) for line in lines) and len(lines) > 2:
        return text  # a whole table: Markdown renders it
    rows = []
    for line in lines:
        if _TABLE_RULE.match(_MARKS.sub("", line.strip())):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        kept = [c for c in cells if _MARKS.sub("", c).strip()]
        lost = "".join(m for c in cells if not _MARKS.sub("", c).strip() for m in _MARKS.findall(c))
        if kept or lost:
            rows.append(f" {_CELL} ".join(kept) + lost)
    return "\n\n".join(rows)


def _render(text: str, base_url: str | None, dropped: int) -> str:
    rendered = _parser().render(_table_rows(_destinations(text, dropped)))
    rendered = _HEADING_TAG.sub(r"<\1h4", rendered)
    rendered = _ENCODED_MARK.sub("", rendered)
    for mark, tag in _MARK_HTML.items():
        rendered = rendered.replace(mark, tag)
    return _quote_text(nh3.clean(
        rendered, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES, link_rel="noopener noreferrer nofollow",
        attribute_filter=lambda tag, attr, value: _href(value, base_url) if attr == "href" else value,
        strip_comments=True,
    ).strip())


_TAG = re.compile(r"(<[^>]*>)")
_STRAY_BULLET = re.compile(r"\s[*|]\s|\s\|(?=\S)|(?<=\S)\|\s")
_STRAY_MARK = re.compile(r"(?<![\w*_])[*_]{1,2}(?=\w)|(?<=[\w.,;:!?)])[*_]{1,2}(?![\w*_])|^\|\s*|\s*\|$")
_BLOCK_TAG = re.compile(r"</?(p|li|br|h4|td|th|tr|ul|ol|blockquote|pre|table|hr)\b[^>]*>")


def _quote_text(markup: str) -> str:
    """Quotes in text escaped too, so hostile text reads ``href=&quot;...`` and never looks like an attribute."""
    parts = _TAG.split(markup)
    return "".join(p if i % 2 else p.replace('"', "&quot;").replace("'", "&#x27;") for i, p in enumerate(parts))


def _href(value: str, base_url: str | None) -> str | None:
    """Absolute http(s)/mailto links stay; relative ones resolve against an http(s) policy URL; others go."""
    scheme = urlparse(value).scheme.lower()
    if scheme in _SCHEMES:
        return value
    if scheme or not base_url or urlparse(base_url).scheme.lower() not in ("http", "https"):
        return None
    return urljoin(base_url, value)
