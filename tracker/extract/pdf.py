"""PDF policies -> Markdown-like text, with headings where the fonts show them.

pdfminer.six lays out each page into text boxes and lines and tells each character's
font and size. The body size is the size most characters use; a short line set larger
becomes a Markdown heading (the larger, the higher: ``#``, ``##``, ``###``), a short
line set entirely in a bold face at body size becomes the next level down. Text boxes
become paragraphs, bullet lines list items; page numbers are dropped. A PDF without a
text layer (a scan) gives empty text, which the quality gate records as an extraction
failure; a PDF pdfminer cannot parse raises ``UnreadableDocument``.
"""
from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass

from policywatch.errors import InputError
from policywatch.tracker.extract.decode import is_pdf

__all__ = ["UnreadableDocument", "extract_pdf", "is_pdf"]

# A heading line is at least this much larger than the body text ...
_HEADING_SCALE = 1.15
# ... and short: a title, not a paragraph set in a large font.
_HEADING_MAX_CHARS = 150
_MAX_LEVELS = 3
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_BULLET = re.compile(r"^(?:[\u2022\u25cf\u25aa\u2013\u00b7*-]|\d{1,3}[.)]|\(?[a-z]\))\s+")


class UnreadableDocument(InputError):
    """A document of a supported type that is corrupt (e.g. a PDF pdfminer cannot parse)."""


@dataclass
class _Line:
    text: str
    size: float
    bold: bool
    box: int  # text box number: lines of one box form a paragraph


def _lines(body: bytes) -> tuple[list[_Line], str | None]:
    """Every text line of the document, in reading order, with its dominant font."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTTextBox, LTTextLine
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser

    title = None
    try:
        document = PDFDocument(PDFParser(io.BytesIO(body)))
        for info in document.info:
            raw = info.get("Title")
            if isinstance(raw, bytes):
                raw = raw.decode("utf-16" if raw.startswith(b"\xfe\xff") else "latin-1", "replace")
            if isinstance(raw, str) and raw.strip():
                title = raw.strip()
        lines: list[_Line] = []
        box_number = 0
        for page in extract_pages(io.BytesIO(body), laparams=LAParams()):
            for box in page:
                if not isinstance(box, LTTextBox):
                    continue
                box_number += 1
                for line in box:
                    if not isinstance(line, LTTextLine):
                        continue
                    text = re.sub(r"\s+", " ", line.get_text()).strip()
                    chars = [c for c in line if isinstance(c, LTChar) and c.get_text().strip()]
                    if not text or not chars:
                        continue
                    size = Counter(round(c.size, 1) for c in chars).most_common(1)[0][0]
                    bold = all(re.search(r"bold|black|heavy|semibold", c.fontname, re.I) for c in chars)
                    lines.append(_Line(text, size, bold, box_number))
    except InputError:
        raise
    except Exception as exc:  # pdfminer raises many types (PDFSyntaxError, PSEOF, ...)
        raise UnreadableDocument(f"the PDF could not be read ({type(exc).__name__}: {exc})"[:300]) from None
    return lines, title


def extract_pdf(body: bytes) -> tuple[str, str | None]:
    """Markdown-like text and title of a PDF body (see module docstring)."""
    lines, title = _lines(body)
    lines = [line for line in lines if not _PAGE_NUMBER.match(line.text)]
    if not lines:
        return "", title
    weights: Counter[float] = Counter()
    for line in lines:
        weights[line.size] += len(line.text)
    body_size = weights.most_common(1)[0][0]
    larger = sorted({l.size for l in lines if l.size >= body_size * _HEADING_SCALE}, reverse=True)
    levels = {size: min(n + 1, _MAX_LEVELS) for n, size in enumerate(larger)}
    bold_level = min(len({levels[s] for s in larger}) + 1, _MAX_LEVELS + 1)

    blocks: list[str] = []
    paragraph: list[str] = []
    last_box = None

    def flush() -> None:
        if paragraph:
            blocks.append(" ".join(paragraph))
            paragraph.clear()

    for line in lines:
        short = len(line.text) <= _HEADING_MAX_CHARS
        level = levels.get(line.size) if short else None
        if level is None and short and line.bold and line.size >= body_size * 0.95 and not line.text.endswith("."):
            level = bold_level
        if level:
            flush()
            if blocks and blocks[-1].startswith("#" * level + " ") and last_box == line.box:
                blocks[-1] += " " + line.text  # a title wrapped over two lines
            else:
                blocks.append("#" * level + " " + line.text)
        elif _BULLET.match(line.text):
            flush()
            paragraph.append(line.text)
        else:
            if last_box is not None and line.box != last_box:
                flush()
            paragraph.append(line.text)
        last_box = line.box
    flush()
    text = "\n\n".join(_bullets_as_items(blocks))
    if title is None:
        first = next((b for b in blocks if b.startswith("#")), None)
        title = first.lstrip("#").strip() if first else None
    return text, title


def _bullets_as_items(blocks: list[str]) -> list[str]:
    """``• item`` -> ``- item`` so the segmenter reads a list item."""
    return [re.sub(r"^[\u2022\u25cf\u25aa\u00b7]\s+", "- ", block) for block in blocks]
