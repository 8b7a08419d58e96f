"""extract_text: one fetched body (bytes) -> Markdown-like policy text.

PDF bodies go to ``pdf``, HTML pages to ``page``; both are imported only when such a
body comes, so plain text and Markdown are decoded without loading either.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from policywatch.tracker.extract.decode import (
    _check_control_ratio,
    _check_not_binary,
    _looks_like_html,
    decode_body,
    is_pdf,
)

# Bump whenever the text produced for the same body changes (reprocess relies on it).
# 2: the lxml walker puts consecutive list items on single lines.
# 3: role="heading" elements become Markdown headings.
# 4: hidden elements dropped; an element holding most text is never chrome; lost table
#    rows make the walker win; a page of several documents keeps the privacy one; PDF.
EXTRACTOR_VERSION = "4"


@dataclass
class Extracted:
    """Extracted text plus how it was obtained."""

    text: str
    title: str | None
    engine: str  # "trafilatura", "lxml", "plain", "pdf"
    encoding: str | None
    # On a page holding several documents: the heading of the (privacy) one that was kept.
    part: str | None = None

    @property
    def note(self) -> str | None:
        """What a person should know about how the text was cut from the page."""
        if self.part is None:
            return None
        return f"The page holds several documents; kept the one headed {self.part!r}."


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
    if is_pdf(body, content_type):
        from policywatch.tracker.extract.pdf import extract_pdf  # pdfminer only for PDFs

        text, title = extract_pdf(body)
        return Extracted(_tidy(text), title, "pdf", None)
    _check_not_binary(body, content_type)
    media = (content_type or "").split(";")[0].strip().lower()
    is_html = media in ("text/html", "application/xhtml+xml") or (
        media not in ("text/plain", "text/markdown", "text/x-markdown") and _looks_like_html(body)
    )
    text, encoding = decode_body(body, content_type, html=is_html)
    _check_control_ratio(text)
    if not is_html:
        return Extracted(text, None, "plain", encoding)
    # The HTML machinery (lxml, trafilatura, chrome patterns) loads only for HTML bodies.
    from policywatch.tracker.extract.page import extract_page

    return extract_page(text, encoding, url, select_css, remove_css)
