"""Turn a fetched body (bytes) into Markdown-like policy text.

HTML goes through trafilatura (Markdown output: ``#`` headings, blank-line
paragraphs, ``-`` list items, tables) after page chrome is removed. trafilatura is
tuned for news articles and sometimes drops whole sections of a long policy, so its
output is checked against a simple lxml walker of the main content and the walker
wins when trafilatura returns much less text; very large pages skip trafilatura.
Plain text and Markdown bodies are decoded and returned as they are. Binary bodies
raise ``InputError``.

The HTML and PDF machinery is imported lazily: ``policywatch compare a.md b.md``
loads only ``decode``, ``pipeline`` and ``files``.

Modules: ``decode`` (bytes -> str, sniffing), ``pipeline`` (``extract_text``: PDF, plain text
or HTML), ``page`` (an HTML page: the steps below), ``clean`` (parse, drop chrome), ``walker``
(the lxml Markdown renderer), ``choose`` (trafilatura and the choice between engines),
``parts`` (keep the privacy document of several), ``pdf``, ``files`` (``read_document``).
"""
from __future__ import annotations

from policywatch.tracker.extract.decode import decode_body
from policywatch.tracker.extract.files import read_document
from policywatch.tracker.extract.pipeline import EXTRACTOR_VERSION, Extracted, extract_text

__all__ = ["EXTRACTOR_VERSION", "Extracted", "extract_text", "read_document", "decode_body"]
