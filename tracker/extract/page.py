"""An HTML page -> its policy text: parse, drop chrome, walker vs trafilatura, keep the privacy part.

Imported by ``pipeline.extract_text`` only for HTML bodies, so that reading a
Markdown or plain-text file (``policywatch compare a.md b.md``) never loads the
HTML machinery: lxml, trafilatura and the chrome patterns.
"""
from __future__ import annotations

from policywatch.tracker.extract.choose import _lost_content, _trafilatura
from policywatch.tracker.extract.clean import _apply_css, _parse_html, _remove_chrome, _title
from policywatch.tracker.extract.parts import privacy_part
from policywatch.tracker.extract.pipeline import Extracted, _tidy
from policywatch.tracker.extract.walker import _walker

# Bodies larger than this skip trafilatura (it is slow on multi-MB pages).
TRAFILATURA_MAX_CHARS = 3_000_000


def extract_page(
    text: str,
    encoding: str | None,
    url: str | None = None,
    select_css: str | None = None,
    remove_css: str | None = None,
) -> Extracted:
    """Extract the policy text of one decoded HTML page (see ``pipeline.extract_text``)."""
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
