"""extract_text: one fetched body (bytes) -> Markdown-like policy text."""
from __future__ import annotations

import re
from dataclasses import dataclass

from policywatch.tracker.extract.choose import _lost_content, _trafilatura
from policywatch.tracker.extract.clean import _apply_css, _parse_html, _remove_chrome, _title
from policywatch.tracker.extract.parts import privacy_part
from policywatch.tracker.extract.pdf import extract_pdf, is_pdf
from policywatch.tracker.extract.decode import _check_control_ratio, _check_not_binary, _looks_like_html, decode_body
from policywatch.tracker.extract.walker import _walker

# Bump whenever the text produced for the same body changes (reprocess relies on it).
# 2: the lxml walker puts consecutive list items on single lines.
# 3: role="heading" elements become Markdown headings.
# 4: hidden elements dropped; an element holding most text is never chrome; lost table
#    rows make the walker win; a page of several documents keeps the privacy one; PDF.
EXTRACTOR_VERSION = "4"

# Bodies larger than this skip trafilatura (it is slow on multi-MB pages).
TRAFILATURA_MAX_CHARS = 3_000_000


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
    root = _parse_html(text)
    title = _title(root)
    root = _apply_css(root, select_css, remove_css)
    _remove_chrome(root, keep_landmarks=bool(select_css))
    walked = _tidy(_walker(root))
    if len(text) > TRAFILATURA_MAX_CHARS or not walked:
        result = Extracted(walked, title, "lxml", encoding)
    else:
        extracted = _tidy(_trafilatura(root, url))
        if _lost_content(extracted, walked):
            result = Extracted(walked, title, "lxml", encoding)
        else:
            result = Extracted(extracted, title, "trafilatura", encoding)
    if not select_css:  # a policy's own selector already says which part to keep
        result.text, result.part = privacy_part(result.text)
    return result


