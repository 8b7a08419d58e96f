"""The lxml walker: a small recall-first HTML -> Markdown renderer (the fallback engine)."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from policywatch.tracker.extract.clean import _main_content

if TYPE_CHECKING:
    from lxml.html import HtmlElement


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

