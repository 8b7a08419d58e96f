"""Several documents on one page: keep the privacy document.

A /legal page may hold the privacy policy, the API terms and a DMCA policy one after
the other, each under its own top-level heading. Tracking the whole page would report
every change to the terms as a privacy-policy change, so when every heading of the top
level names a document (policy, terms, notice, ...) and exactly one of them is about
privacy, only that part is kept and its heading recorded.
"""
from __future__ import annotations

import re

__all__ = ["privacy_part"]

_ATX = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_DOCUMENT = re.compile(
    r"\b(?:policy|policies|terms|notice|agreement|conditions|statement|guidelines|disclaimer|dmca|eula|"
    r"licen[cs]e|imprint|impressum|charter|rules|code of conduct|acceptable use)\b",
    re.I,
)
_PRIVACY = re.compile(r"\bprivacy\b|\bdata protection\b|\bdatenschutz|\bconfidentialit|\bprivacidad\b", re.I)
# A document heading is a title, not a sentence.
_MAX_TITLE_WORDS = 10
_MIN_PART_WORDS = 30


def _headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line index, level, text) of the ATX headings outside fenced code."""
    found = []
    for index, line in enumerate(lines):
        match = _ATX.match(line)
        if match:
            found.append((index, len(match.group(1)), match.group(2).replace("*", "").strip()))
    return found


def privacy_part(text: str) -> tuple[str, str | None]:
    """The privacy document of a page holding several documents, and its heading.

    Returns ``(text, None)`` unchanged when the page is one document (or when which
    part is the privacy policy is not clear).
    """
    lines = text.split("\n")
    headings = _headings(lines)
    for level in sorted({lvl for _, lvl, _ in headings}):
        top = [(i, title) for i, lvl, title in headings if lvl == level]
        if len(top) >= 2:
            break
    else:
        return text, None
    if any(len(title.split()) > _MAX_TITLE_WORDS or not _DOCUMENT.search(title) for _, title in top):
        return text, None
    privacy = [k for k, (_, title) in enumerate(top) if _PRIVACY.search(title)]
    if len(privacy) != 1:
        return text, None
    k = privacy[0]
    start = top[k][0]
    end = top[k + 1][0] if k + 1 < len(top) else len(lines)
    # Text before the first document heading (a page title, an index of the documents)
    # belongs to no document; every part must be a real document, not a stub.
    bounds = [i for i, _ in top] + [len(lines)]
    sizes = [len(" ".join(lines[bounds[n]:bounds[n + 1]]).split()) for n in range(len(top))]
    if min(sizes) < _MIN_PART_WORDS:
        return text, None
    kept = "\n".join(lines[start:end]).strip("\n")
    return kept, top[k][1]
