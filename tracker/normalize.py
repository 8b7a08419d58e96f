"""Identity and cosmetic normalisation of policy text.

Two strengths, for two questions:

* ``normalize_text`` answers "is this the same version?". It removes only what a
  re-render changes without changing the words (Unicode form, invisible characters,
  quote and dash style, whitespace), and keeps the line structure so headings and
  list markers survive. ``text_sha256`` hashes its output: the version identity.
* ``cosmetic_key`` answers "is this edit of one clause cosmetic?". It is much more
  aggressive: case, Markdown syntax, link targets, punctuation and dates go, but
  every other word and number stays ("6 months" vs "18 months" must differ).
"""
from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["normalize_text", "text_sha256", "cosmetic_key", "neutralize_dates"]

# Invisible characters a re-render adds or drops: zero-width space/non-joiner/joiner,
# word joiner, BOM / zero-width no-break space, soft hyphen.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_QUOTES_AND_DASHES = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2212": "-",
}
# (str.translate with a dict is ~10x slower than a regex on long texts.)
_QUOTE_OR_DASH = re.compile("[" + "".join(_QUOTES_AND_DASHES) + "]")
# Everything str.splitlines() treats as a line break, so lines agree with segment.py.
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_OTHER_SPACE = re.compile(r"[^\S\n]")  # every Unicode whitespace except the line feed
_TRAILING_SPACES = re.compile(r" +$", re.MULTILINE)
_INNER_SPACES = re.compile(r"(?<=\S) {2,}")
_LIST_ITEM = re.compile(r"^ *(?:[-*+\u2022\u00b7]|\d{1,3}[.)]|[a-zA-Z][.)]|\((?:[ivxlcdm]+|[a-z]|\d{1,3})\))(?: |$)")


def normalize_text(text: str) -> str:
    """Return the identity form of ``text``: same words, same lines, no render noise."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        text = _INVISIBLE.sub("", text)
        text = _QUOTE_OR_DASH.sub(lambda m: _QUOTES_AND_DASHES[m.group(0)], text)
    text = _LINE_BREAKS.sub("\n", text)
    spacer_lines = {i for i, line in enumerate(text.split("\n")) if line and line.isspace()}
    text = _OTHER_SPACE.sub(" ", text)
    text = _TRAILING_SPACES.sub("", text)
    text = _INNER_SPACES.sub(" ", text)
    return "\n".join(_collapse_blank_lines(text.split("\n"), spacer_lines)).strip("\n")


def _collapse_blank_lines(lines: list[str], spacer_lines: set[int]) -> list[str]:
    """Collapse each run of blank lines to one; drop spacer runs between list items.

    A run made only of whitespace-only lines between two items of one list is a converter's
    spacer inside a loose list ("*   a\n    \n*   b"); re-renders drop it (chatgpt
    2026-07), so it goes. A truly empty line stays: it may end a list before a
    numbered heading.
    """
    kept: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i]:
            kept.append(lines[i])
            i += 1
            continue
        end = i
        while end < len(lines) and not lines[end]:
            end += 1
        spacers_only = all(j in spacer_lines for j in range(i, end))
        between_items = bool(kept) and end < len(lines) and _same_list(kept[-1], lines[end])
        if kept and not (spacers_only and between_items):
            kept.append("")
        i = end
    return kept


def _same_list(first: str, second: str) -> bool:
    """Both lines are items of one list: same marker kind (bullet/number), same indent."""
    a, b = _LIST_ITEM.match(first), _LIST_ITEM.match(second)
    if not a or not b:
        return False
    kind_a, kind_b = first.lstrip()[0].isalnum() or first.lstrip()[0] == "(", second.lstrip()[0].isalnum() or second.lstrip()[0] == "("
    return kind_a == kind_b and len(first) - len(first.lstrip()) == len(second) - len(second.lstrip())


def text_sha256(text: str) -> str:
    """Hex sha256 of the normalised text: the identity of a version."""
    import hashlib  # here: comparing two files hashes nothing, and OpenSSL takes a while to load

    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


# --- cosmetic key -----------------------------------------------------------------

_MONTHS = (
    # English, French, German, Spanish, Italian, Dutch, Portuguese (full and short forms).
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec"
    "|janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
    "|Januar|Jänner|Februar|März|Juni|Juli|Oktober|Dezember"
    "|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
    "|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre"
    "|januari|februari|maart|augustus|oktober"
    "|janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|dezembro"
)
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th|er|\.)?"
_YEAR = r"(?:1[89]\d\d|2\d\d\d)"

@functools.cache
def _date_regex() -> re.Pattern[str]:
    """Compile the date alternatives (on first use: a large pattern, not needed by every command).

    Before a day number or a year, month names must be capitalised (or all caps) so
    the verb "may" ("we may 30 ...") never reads as a date; after a day number any
    case is accepted (French/Spanish write "1er mai 2024").
    """
    names = _MONTHS.split("|")
    cap = "|".join(n[0].upper() + n[1:] for n in names) + "|" + "|".join(n.upper() for n in names)
    parts = [
        rf"\b{_YEAR}[-/.](?:0?[1-9]|1[0-2])[-/.][0-3]?\d\b",
        rf"\b[0-3]?\d[-/.][0-3]?\d[-/.]{_YEAR}\b",
        rf"\b{_DAY}\s*(?:de\s+)?(?i:{_MONTHS})\b\.?,?\s*(?:de\s+)?{_YEAR}\b",
        # A capitalised month name, then (tried in this order) day and year, a day alone, a year
        # alone. The name is spelled out once, not once per form: the pattern compiles twice as fast.
        rf"\b(?:{cap})\b\.?(?:\s+{_DAY}(?:\s*,\s*|\s+){_YEAR}\b"
        rf"|\s+[0-3]?\d(?:st|nd|rd|th)?\b(?!\s*(?:[-%]|\w))"
        rf"|,?\s+(?:de\s+)?{_YEAR}\b)",
    ]
    return re.compile("|".join(f"(?:{p})" for p in parts))


_DIGIT = re.compile(r"\d")
# A bare year counts as a date only after a date label ("Last updated: 2024", "(c) 2024").
_LABELLED_YEAR = re.compile(
    rf"((?i:updated|revised|effective|modified|copyright|\u00a9|\(c\))[\s:]*(?i:on\s+|as\s+of\s+|in\s+)?){_YEAR}\b"
)
_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"\n]*\")?\)")
_REF_LINK = re.compile(r"\[([^\]\n]*)\]\[[^\]\n]*\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_LINE_MARKUP = re.compile(
    r"^[ \t]*(?:>[ \t]*)*(?:#{1,6}[ \t]+|[-*+\u2022\u2013\u00b7][ \t]+|\(?(?:\d{1,3}|[a-z]|[ivxlcdm]+)[.)][ \t]+)?",
    re.MULTILINE,
)
_APOSTROPHE_OR_HYPHEN = re.compile(r"(?<=\w)['\-](?=\w)")
_NON_WORD = re.compile(r"[\W_]+")


def neutralize_dates(text: str) -> str:
    """Replace calendar dates ("May 1, 2024", "2024-05-01", "November 2025") by one token."""
    if not _DIGIT.search(text):
        return text  # every recognised date has a day or a year
    text = _date_regex().sub(" datetoken ", text)
    return _LABELLED_YEAR.sub(r"\1 datetoken ", text)


def cosmetic_key(text: str) -> str:
    """Aggressive key of one clause: equal keys mean the edit between them is cosmetic."""
    text = normalize_text(text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = text.replace("\\", "")
    text = _LINE_MARKUP.sub("", text)
    text = neutralize_dates(text)
    text = text.casefold()
    text = _APOSTROPHE_OR_HYPHEN.sub("", text)
    return _NON_WORD.sub(" ", text).strip()
