"""trafilatura, and the choice between its output and the walker's.

trafilatura is tuned for news articles and sometimes drops whole sections of a long
policy, so its output is checked against the walker's and the walker wins when
trafilatura lost words, headings or paragraph breaks.
"""
from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# trafilatura output shorter than this share of the walker's words means it cut sections.
RECALL_RATIO = 0.8


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


_HEADING_LINE = re.compile(r"^#{1,6} ", re.M)


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


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
    if walked_blocks >= 4 and extracted_blocks < 0.3 * walked_blocks:
        return True
    return _lost_table_rows(extracted, walked)


_TABLE_ROW = re.compile(r"^\|(.*)\|\s*$", re.M)
_TABLE_RULE = re.compile(r"^[\s|:-]*$")


def _lost_table_rows(extracted: str, walked: str) -> bool:
    """True when data-table rows the walker kept are missing from trafilatura's text.

    Judged per row, not by length: a "category | how we use it" table can be a small
    share of a long policy and still be its most important part.
    """
    rows = [m.group(1) for m in _TABLE_ROW.finditer(walked) if not _TABLE_RULE.match(m.group(1))]
    if not rows:
        return False
    haystack = " " + " ".join(re.findall(r"\w+", extracted.lower())) + " "
    missing = 0
    for row in rows:
        words = re.findall(r"\w+", row.lower())
        if words and f" {' '.join(words)} " not in haystack:
            # Cells may be laid out differently: every cell must still be there.
            cells = [" ".join(re.findall(r"\w+", cell.lower())) for cell in row.split("|")]
            if not all(f" {cell} " in haystack for cell in cells if cell):
                missing += 1
    return missing >= max(1, len(rows) // 5)


