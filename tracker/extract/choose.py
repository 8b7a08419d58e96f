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
    return walked_blocks >= 4 and extracted_blocks < 0.3 * walked_blocks


