"""Split policy text (Markdown-like) into clauses: headings, paragraphs, list items.

The clause is the unit the aligner and the differ work on, so segmentation must be
lossless and deterministic.

Invariant (property-tested): let ``lines(text)`` be ``[l.strip() for l in
text.splitlines() if l.strip()]``. Then ``clause_lines(segment_text(text)) ==
lines(text)``, where ``clause_lines`` splits each clause text on ``"\\n"`` and, for a
clause with ``continues=True``, joins its first line to the previous clause's last
line with one space. In words: every non-empty line ends up, stripped, in exactly
one clause, in order, nothing lost or duplicated; the only exception is an
over-long line (a paragraph of more than ``MAX_PARAGRAPH_CHARS``), which is cut at
sentence boundaries into consecutive clauses. Clause text keeps its Markdown markup
(``## Sharing``, ``- item``, ``| a | b |``), so the document can be rebuilt. A
setext underline (``===``/``---``) stays in its heading clause (``"Title\\n====="``),
and a table's ``| --- |`` separator row stays with the header row.

Recognised structure:

* headings: ATX ``#``..``######``; setext, also inside a one-line list item
  (``1.  CHANGES TO THIS POLICY`` + indented ``-----``, as Open Terms Archive writes
  numbered sections); a bold-only line (``**Sharing**``); a short standalone line
  ending in ``:`` or ``?``; an ALL-CAPS line; a short Title Case line ("Kids",
  "Information We Collect") followed by body text; numbered headings ("1.
  Collection", "1\\. Collection", "3.2 Sharing", "Section 4 -"). Bold, colon/question,
  caps, Title Case and numbered headings need content after them; in plain text the
  body may follow on the very next line (caps, Title Case, ``?``/``:`` lines).
* list items: ``*``, ``-``, ``+``, ``•``, ``–``, ``·`` bullets and "1.", "a)",
  "(i)" numbers; nested (indented) items are their own clauses; following lines of
  an item without a blank line (lazy continuation) belong to it.
* tables: one paragraph clause per row (rows are the natural unit of a change in a
  data-category table); the separator row is folded into the header row.
* everything else: paragraphs, blocks of consecutive non-blank lines. A line
  holding only invisible characters (zero-width joiners) is its own paragraph;
  classification ignores invisible characters, so ``normalize_text`` output and the
  raw text give the same clause kinds (the corpus test checks it).

Heading path: the stack of enclosing heading texts without markup (a heading
clause's own path holds its parents, not itself). Markdown levels rank 10-60;
inferred headings rank below them (numbered depth d: 60+10d, ALL CAPS: 75,
lettered "A.": 95, bold: 100, colon/question and Title Case: 110; a bold title that starts with a
number ranks as numbered), so a Markdown heading closes inferred sections. A
heading that is only a date stamp ("Last updated: May 1, 2024") is a heading clause
but opens no section.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from policywatch.tracker.model import Clause

__all__ = ["segment_text", "clause_lines", "heading_text", "MAX_PARAGRAPH_CHARS"]

MAX_PARAGRAPH_CHARS = 2000
# Pieces of a split paragraph: content-defined boundaries (a hash of the sentence)
# between MIN and MAX characters, so an edit early in the paragraph moves at most a
# boundary or two instead of shifting every later piece.
_MIN_PIECE = 400
_MAX_PIECE = 1500
_PIECE_MODULUS = 4

_ATX = re.compile(r"^(#{1,6})(?:[ \t]+|$)")
_SETEXT = re.compile(r"^(?:=+|-+)$")
_HR = re.compile(r"^(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_BULLET = re.compile(r"^[-*+\u2022\u2013\u00b7\u25aa\u25e6\u2023\u25cf](?:\s+|$)")
_ORDERED = re.compile(r"^(?:\d{1,3}[.)]|[a-zA-Z][.)]|\((?:[ivxlcdmIVXLCDM]+|[a-zA-Z]|\d{1,3})\))(?:\s+|$)")
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\\?\.\d{1,2})*)(\\?\.)?\s+(\S.*)$")
_SECTION_HEADING = re.compile(r"^(?:section|article|part|chapter|annex|schedule)\s+[\dIVXivx]+[\w.]*\b", re.I)
_BOLD_ONLY = re.compile(r"^(\*\*|__)(?=\S)(.+?)(?<=\S)\1$")
_TABLE = re.compile(r"^\|")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{1,}:?\s*(?:\|\s*:?-{1,}:?\s*)*\|?$")
_DATE_LABEL = re.compile(
    r"^(?:last\s+(?:updated|revised|modified)|updated|effective|effective\s+date|date|revised|"
    r"stand|dernière\s+mise\s+à\s+jour|última\s+actualización|version)\b",
    re.I,
)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_LIST_BOLD = re.compile(r"^\d{1,3}[.)]\s+(?=\*\*|__)")
# "We use data to:" introduces a list; it is a sentence, not a section title.
_LIST_INTRO = re.compile(
    r"^(?:we|you|this|these|those|our|it|they|specifically|such|please|here|below)\b"
    r"|\b(?:to|include|includes|including|following|follows|are|is|as|with|by|for|of|the|and|or)\s*:$",
    re.I,
)
_LETTER_HEADING = re.compile(r"^[A-Z][.)]\s+[A-Z]")
# Ranks of headings: Markdown levels are 10..60; inferred styles rank below them.
_STYLE_RANK = {"numbered": 70, "caps": 75, "lettered": 95, "bold": 100, "title": 110, "label": 110}
# Words a Title Case heading may keep in lower case ("Use of Your Data").
_MINOR_WORDS = frozenset(
    "a an and as at but by for from in into of on or per the to via vs with de du des la le les et und der die das".split()
)
# Buttons and table cells that stand alone on a line but are no section titles.
_UI_WORDS = frozenset(
    {"open", "close", "yes", "no", "more", "less", "back", "next", "previous", "menu", "top", "none", "learn more",
     "read more", "show more", "see more", "expand all", "collapse all", "print", "download", "share", "n/a", "x",
     "contents", "table of contents", "on this page", "in this article", "jump to", "quick links"}
)
_LIST_MARKER = re.compile(r"^(?:[-*+\u2022\u2013\u00b7\u25aa\u25e6\u2023\u25cf]|\d{1,3}\\?[.)]|[a-zA-Z][.)]|\((?:[ivxlcdmIVXLCDM]+|[a-zA-Z]|\d{1,3})\))\s+")
# A sentence end: punctuation, optional closing quotes/brackets, exactly one space,
# then no lower-case letter (so "e.g. the" is not a boundary).
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]* (?=[^\sa-z])")


@dataclass
class _Line:
    """One input line with what the block parser needs to know about it."""

    text: str  # stripped, invisible characters removed: what classification looks at
    raw: str  # stripped: what the clause keeps
    blank: bool  # nothing visible on the line
    indent: int = 0  # leading spaces (tabs count 4)


@dataclass
class _Block:
    """A clause before ordinals and heading paths are attached."""

    kind: str
    lines: list[str]
    rank: int = 0  # headings only: lower ranks enclose higher ones
    title: str = ""


def heading_text(line: str) -> str:
    """Heading text without Markdown markup: ``## **1\\. Who** ##`` -> ``1. Who``."""
    text = _ATX.sub("", _INVISIBLE.sub("", line).strip())
    text = _LIST_BOLD.sub("", text)
    text = re.sub(r"[ \t]+#+[ \t]*$", "", text)
    text = _LINK.sub(r"\1", text)
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"\\(.)", r"\1", text)
    text = re.sub(r"^[*_]+|[*_]+$", "", text.strip())
    return re.sub(r"\s+", " ", text).strip().rstrip(":").strip()


def _is_list_item(text: str) -> bool:
    return bool(_BULLET.match(text) or _ORDERED.match(text)) and not _HR.match(text)


def _words(text: str) -> int:
    return len(text.split())


def _inline_heading_rank(lines: list[_Line], i: int, prev_blank: bool, next_index: int | None) -> int:
    """Rank of an inferred heading on line ``i``, or 0 when the line is no heading.

    Inferred headings must stand alone (blank line or start before them, blank
    line or a list after them), must be short, and need content after them.
    """
    if next_index is None or not prev_blank:
        return 0
    text = lines[i].text
    if len(text) > 150:
        return 0
    if not (lines[i + 1].blank or _is_list_item(lines[i + 1].text)):
        # Plain text (and PDF or e-mail text) puts the body right under its heading.
        return _titled_line_rank(text, lines[i + 1].text, lines[i + 1].blank)
    core = _LIST_BOLD.sub("", text)  # "3. **2\\. Updates**": a Markdown list number around a bold title
    bold = bool(_BOLD_ONLY.match(core))
    plain = heading_text(core)
    if not plain or _words(plain) > 15 or plain.endswith((".", ",", ";")) and not bold:
        return 0
    if bold:
        if _BOLD_ONLY.match(lines[next_index].text):
            return 0  # a run of bold lines is emphasis, not structure
        return _numbered_rank(plain) or _STYLE_RANK["bold"]
    rank = _numbered_rank(plain)
    if rank:
        return 0 if _is_list_run(lines, i, next_index) else rank
    if _is_list_item(text):
        return 0
    letters = [c for c in plain if c.isalpha()]
    if len(letters) >= 4 and all(c.isupper() for c in letters) and _words(plain) <= 12:
        return _STYLE_RANK["caps"]
    if text[0].isupper() and (
        (text.endswith("?") and _words(text) <= 14)
        or (text.endswith(":") and _words(text) <= 6 and "." not in text[:-1] and not _LIST_INTRO.search(text))
    ):
        return _STYLE_RANK["label"]
    if "](" not in text and _is_title_case(plain) and _is_body_text(lines[next_index].text, plain):
        return _STYLE_RANK["title"]
    return 0


def _is_title_case(plain: str) -> bool:
    """"Kids", "Information We Collect", "Use of Your Data": short, every major word capitalised."""
    words = plain.split()
    if not words or len(words) > 10 or plain[-1] in ".,;!" or not plain[0].isupper():
        return False
    if not any(c.isalpha() for c in plain) or re.search(r"https?:|@|\d{3,}|\]\(|^\[|:.", plain):
        return False
    if plain.lower() in _UI_WORDS:
        return False
    major = [w for w in words[1:] if w.lower() not in _MINOR_WORDS]
    return all(w[0].isupper() or not w[0].isalpha() for w in major)


def _is_body_text(line: str, heading: str) -> bool:
    """A line that reads as the body under a heading: a list item, or a sentence longer than it."""
    if _is_list_item(line):
        return True
    return _words(line) >= 6 and len(line) > len(heading) and not _ATX.match(line) and not _TABLE.match(line)


def _titled_line_rank(text: str, following: str, blank: bool) -> int:
    """Rank of a heading line with its body on the very next line (caps, Title Case, ``?``/``:``)."""
    if blank or _is_list_item(text) or _BOLD_ONLY.match(text) or not text[0].isupper():
        return 0
    plain = heading_text(text)
    if not plain or _words(plain) > 12 or not _is_body_text(following, plain) or not following[0].isupper():
        return 0
    if _numbered_rank(plain):
        return 0
    letters = [c for c in plain if c.isalpha()]
    if len(letters) >= 4 and all(c.isupper() for c in letters):
        return _STYLE_RANK["caps"]
    if text.endswith("?") or text.endswith(":") and _words(text) <= 6 and not _LIST_INTRO.search(text):
        return _STYLE_RANK["label"]
    if "](" not in text and _is_title_case(plain):
        return _STYLE_RANK["title"]
    return 0


def _numbered_rank(plain: str) -> int:
    """Rank of a numbered title ("1. Collection", "3.2 Sharing", "Section 4", "A. Uses")."""
    if _SECTION_HEADING.match(plain):
        return _STYLE_RANK["numbered"]
    match = _NUMBERED_HEADING.match(plain)
    if match:
        number, dot, title = match.groups()
        depth = number.count(".") + 1
        if (depth > 1 or dot) and (title[0].isupper() or title[0].isdigit() or title[0] in "[*_"):
            return _STYLE_RANK["numbered"] + 10 * (min(depth, 3) - 1)
        return 0
    if _LETTER_HEADING.match(plain):
        return _STYLE_RANK["lettered"]
    return 0


def _is_list_run(lines: list[_Line], i: int, next_index: int) -> bool:
    """True when a numbered line sits among numbered siblings (a list, e.g. a ToC)."""
    if _ORDERED.match(lines[next_index].text):
        return True  # "1. Collection" then "2. Sharing": a numbered list (e.g. a ToC)
    prev = next((lines[j].text for j in range(i - 1, -1, -1) if not lines[j].blank), "")
    return bool(_ORDERED.match(prev)) and len(prev) <= 150 and not prev.endswith(".")


def _parse_blocks(text: str) -> list[_Block]:
    """Group lines into blocks; every non-blank line goes to exactly one block."""
    lines = []
    for raw in text.splitlines():
        stripped = raw.strip()
        visible = _INVISIBLE.sub("", stripped).strip() if not stripped.isascii() else stripped
        lines.append(_Line(visible, stripped, not visible, len(raw.expandtabs(4)) - len(raw.expandtabs(4).lstrip())))
    next_nonblank: list[int | None] = [None] * len(lines)
    following: int | None = None
    for i in range(len(lines) - 1, -1, -1):
        next_nonblank[i] = following
        if not lines[i].blank:
            following = i

    blocks: list[_Block] = []
    current: _Block | None = None  # an open paragraph or list item
    prev_blank = True
    for i, line in enumerate(lines):
        if line.blank:
            if line.raw:  # only invisible characters: kept, but it separates blocks
                blocks.append(_Block("paragraph", [line.raw]))
            current, prev_blank = None, True
            continue
        text, raw = line.text, line.raw
        was_blank, prev_blank = prev_blank, False
        if _SETEXT.match(text) and current is not None and current.kind == "paragraph" and not _is_table(current):
            current.kind, current.rank = "heading", 10 if text[0] == "=" else 20
            current.title = heading_text(" ".join(current.lines))
            current.lines.append(raw)
            current = None
            continue
        if _SETEXT.match(text) and current is not None and _is_setext_item(current, line):
            # "1.  CHANGES TO THIS POLICY" + indented "-----": a heading inside a list
            # item (Open Terms Archive writes numbered sections this way).
            current.kind, current.rank = "heading", 10 if text[0] == "=" else 20
            current.title = heading_text(_BULLET.sub("", current.lines[0]))
            current.lines.append(raw)
            current = None
            continue
        atx = _ATX.match(text)
        if atx:
            blocks.append(_Block("heading", [raw], 10 * len(atx.group(1)), heading_text(text)))
            current = None
            continue
        if _TABLE.match(text):
            if current is not None and _is_table(current) and _TABLE_SEPARATOR.match(text) and len(current.lines) == 1:
                current.lines.append(raw)
                continue
            current = _Block("paragraph", [raw])
            blocks.append(current)
            continue
        if _HR.match(text):
            blocks.append(_Block("paragraph", [raw]))
            current = None
            continue
        rank = _inline_heading_rank(lines, i, was_blank or current is None, next_nonblank[i])
        if rank:
            blocks.append(_Block("heading", [raw], rank, heading_text(text)))
            current = None
            continue
        if _is_list_item(text):
            current = _Block("list_item", [raw])
            blocks.append(current)
            continue
        if current is not None and not _is_table(current):
            current.lines.append(raw)  # paragraph line or lazy list continuation
            continue
        current = _Block("paragraph", [raw])
        blocks.append(current)
    return blocks


def _is_setext_item(block: _Block, underline: _Line) -> bool:
    """A one-line list item underlined by an indented (or equally long) setext line."""
    if block.kind != "list_item" or len(block.lines) != 1:
        return False
    content = _LIST_MARKER.sub("", block.lines[0])
    return bool(content) and (underline.indent >= 2 or abs(len(underline.text) - len(content)) <= 3)


def _is_table(block: _Block) -> bool:
    return block.kind == "paragraph" and block.lines[0].startswith("|")


def _sentence_pieces(line: str) -> list[str]:
    """Cut one long line at sentence ends (". " with exactly one space) into pieces."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(line):
        cut = match.end() - 1  # the single space
        size = cut - start
        sentence_hash = zlib.crc32(line[max(start, cut - 40):cut].encode("utf-8"))
        if size >= _MAX_PIECE or (size >= _MIN_PIECE and sentence_hash % _PIECE_MODULUS == 0):
            pieces.append(line[start:cut])
            start = cut + 1
    pieces.append(line[start:])
    return pieces


def _split_paragraph(lines: list[str]) -> list[tuple[list[str], bool]]:
    """Split an over-long paragraph into (lines, continues) pieces; short ones stay whole."""
    if sum(len(line) + 1 for line in lines) <= MAX_PARAGRAPH_CHARS:
        return [(lines, False)]
    pieces: list[tuple[list[str], bool]] = []
    group: list[str] = []
    size = 0
    for line in lines:
        if group and size + len(line) > _MAX_PIECE:
            pieces.append((group, False))
            group, size = [], 0
        if len(line) <= _MAX_PIECE:
            group.append(line)
            size += len(line) + 1
            continue
        if group:
            pieces.append((group, False))
            group, size = [], 0
        for n, piece in enumerate(_sentence_pieces(line)):
            pieces.append(([piece], n > 0))
    if group:
        pieces.append((group, False))
    return pieces


def segment_text(text: str) -> list[Clause]:
    """Split ``text`` into ordered clauses with heading paths (see module docstring)."""
    clauses: list[Clause] = []
    stack: list[tuple[int, str]] = []
    for block in _parse_blocks(text):
        if block.kind == "heading":
            opens_section = bool(block.title) and not _DATE_LABEL.match(block.title)
            if opens_section:
                while stack and stack[-1][0] >= block.rank:
                    stack.pop()
            path = tuple(title for _, title in stack)
            clauses.append(Clause(len(clauses), "heading", "\n".join(block.lines), path))
            if opens_section:
                stack.append((block.rank, block.title))
            continue
        path = tuple(title for _, title in stack)
        if block.kind == "list_item":
            clauses.append(Clause(len(clauses), "list_item", "\n".join(block.lines), path))
            continue
        for lines, continues in _split_paragraph(block.lines):
            clauses.append(Clause(len(clauses), "paragraph", "\n".join(lines), path, continues=continues))
    return clauses


def clause_lines(clauses: list[Clause]) -> list[str]:
    """Rebuild the non-empty stripped lines of the text the clauses came from."""
    lines: list[str] = []
    for clause in clauses:
        parts = clause.text.split("\n")
        if clause.continues and lines:
            lines[-1] = lines[-1] + " " + parts[0]
            parts = parts[1:]
        lines.extend(parts)
    return lines
