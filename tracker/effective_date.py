"""Find the policy's own "last updated" / "effective" date in its text.

The stated date is evidence of when a change took effect, independent of when we
captured it. Only labelled dates count ("Last updated: May 1, 2024"), searched in
the first lines of the document, where policies state them, and then, for the
strongest labels only, anywhere in the text. Result: ISO ``YYYY-MM-DD``, or
``YYYY-MM`` when only month and year are given ("Last Updated: November 2025").
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from policywatch.tracker.normalize import normalize_text

__all__ = ["find_effective_date", "parse_date"]

HEAD_LINES = 60

_MONTHS = {
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
    # French
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
    # German
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "juni": 6, "juli": 7,
    "oktober": 10, "dezember": 12,
    # Spanish
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
    # Italian
    "gennaio": 1, "febbraio": 2, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7,
    "settembre": 9, "ottobre": 10, "dicembre": 12,
    # Portuguese
    "janeiro": 1, "fevereiro": 2, "março": 3, "maio": 5, "junho": 6, "julho": 7, "setembro": 9,
    "outubro": 10, "novembro": 11, "dezembro": 12,
    # Dutch
    "januari": 1, "februari": 2, "maart": 3, "mei": 5, "augustus": 8,
}
_MONTH = "(?:" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|º|\.)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"

_DATE_FORMATS = [
    re.compile(rf"^{_YEAR}[-/.](?P<month>[01]?\d)[-/.](?P<day>[0-3]?\d)\b"),
    re.compile(rf"^(?P<a>[0-3]?\d)(?P<sep>[/.-])(?P<b>[0-3]?\d)(?P=sep){_YEAR}\b"),
    re.compile(rf"^(?P<mname>{_MONTH})\s+{_DAY}\s*,?\s*{_YEAR}\b", re.I),
    re.compile(rf"^{_DAY}\s+(?:de\s+)?(?P<mname>{_MONTH}),?\s+(?:de\s+)?{_YEAR}\b", re.I),
    re.compile(rf"^(?P<mname>{_MONTH}),?\s+(?:de\s+)?{_YEAR}\b", re.I),
]

_LABELS = (
    r"last\s+updated(?:\s+on)?|last\s+update|last\s+revised(?:\s+on)?|last\s+revision|last\s+modified"
    r"|date\s+of\s+last\s+revision|revised(?:\s+on)?|updated(?:\s+on)?|effective\s+date|effective\s+as\s+of"
    r"|effective\s+from|effective\s+on|effective|valid\s+from|version\s+date|published"
    r"|stand|zuletzt\s+aktualisiert|gültig\s+ab|datum"
    r"|dernière\s+mise\s+à\s+jour|mise\s+à\s+jour|date\s+d'entrée\s+en\s+vigueur|en\s+vigueur\s+(?:le|depuis|à\s+compter\s+du)"
    r"|última\s+actualización|fecha\s+de\s+entrada\s+en\s+vigor|fecha\s+de\s+actualización|actualizado"
    r"|ultimo\s+aggiornamento|aggiornat[ao](?:\s+al)?|in\s+vigore\s+dal|última\s+atualização|atualizad[ao]\s+em"
    r"|laatst\s+bijgewerkt|bijgewerkt\s+op"
)
_STRONG_LABELS = (
    r"effective(?=\s*:)|last\s+updated|last\s+revised|last\s+modified|effective\s+date|effective\s+as\s+of"
    r"|dernière\s+mise\s+à\s+jour|última\s+actualización|ultimo\s+aggiornamento|última\s+atualização|stand"
)
_LABELLED = re.compile(rf"(?<![\w])(?:{_LABELS})(?![\w])\s*(?:[:\-]|as\s+of|on|le|am|el|du)?\s*(?:[:\-]\s*)?", re.I)
_STRONG = re.compile(rf"(?<![\w])(?:{_STRONG_LABELS})(?![\w])\s*(?:[:\-]|as\s+of|on)?\s*", re.I)
_MARKUP = re.compile(r"[*_#>`\\]|\[|\]\([^)]*\)")
_DAY_FIRST_LABEL = re.compile(r"stand|gültig|zuletzt|datum|mise|vigueur|actualiz|vigor|aggiorna|vigore|atualiza|bijgewerkt", re.I)


def _clean(line: str) -> str:
    return re.sub(r"\s+", " ", _MARKUP.sub(" ", line)).strip()


def parse_date(text: str, day_first: bool = False) -> str | None:
    """Parse a date at the start of ``text`` into ``YYYY-MM-DD`` or ``YYYY-MM``."""
    text = text.strip()
    for pattern in _DATE_FORMATS:
        match = pattern.match(text)
        if match:
            return _to_iso(match.groupdict(), day_first)
    return None


def _to_iso(parts: dict[str, Any], day_first: bool) -> str | None:
    """Regex groups (the pattern guarantees the ones each branch reads) -> ISO date."""
    year = int(parts["year"])
    if parts.get("mname"):
        month = _MONTHS[parts["mname"].lower().rstrip(".")]
    elif parts.get("a"):
        first, second = int(parts["a"]), int(parts["b"])
        day_first = day_first or parts.get("sep") == "." or first > 12
        month, parts["day"] = (second, str(first)) if day_first else (first, str(second))
    else:
        month = int(parts["month"])
    if not parts.get("day"):
        return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else None
    try:
        return dt.date(year, month, int(parts["day"])).isoformat()
    except ValueError:
        return None


def _date_after_label(line: str, pattern: re.Pattern[str]) -> str | None:
    """The first date that directly follows a label on this line."""
    for match in pattern.finditer(line):
        rest = line[match.end():match.end() + 60]
        found = parse_date(rest, day_first=bool(_DAY_FIRST_LABEL.search(match.group(0))))
        if found:
            return found
    return None


def find_effective_date(text: str) -> str | None:
    """The policy's own stated date (ISO), or None when the text states none."""
    head: list[str] = []
    rest_start = 0
    raw_lines = text.splitlines()
    for index, raw in enumerate(raw_lines):
        if len(head) >= HEAD_LINES:
            break
        rest_start = index + 1
        line = _clean(normalize_text(raw))
        if line:
            head.append(line)
    for line in head:
        found = _date_after_label(line, _LABELLED)
        if found:
            return found
    for raw in raw_lines[rest_start:]:
        if _STRONG.search(raw):  # cheap filter before normalising the line
            found = _date_after_label(_clean(normalize_text(raw)), _STRONG)
            if found:
                return found
    return None
