"""Quotable text: the sentence around a trigger, short forms, and what counts as a heading or page chrome."""
from __future__ import annotations

import re

from policywatch.tracker import lexicon
from policywatch.tracker.classify import Signal, fold_text, sentence_spans

_QUOTE_WORDS = 14  # words quoted on each side of a trigger: enough to check, short enough to read
_TITLE_WORDS = 10  # a clause this short without a full stop is a heading, not a statement
_TOKEN = re.compile(r"\S+")
_LABEL_WORDS = 4  # "Payment data." is a label; "Transfers outside the EEA rely on SCCs." is a statement
_STATEMENT_WORDS = frozenset(
    "we you they it us i he she is are was were be been being may will can might must should shall would could "
    "do does did has have had not never".split()
)
_QUOTE_MARKUP = re.compile(r"<br\s*/?>|\*\*|__|^\s*[*#>|-]+\s|\s\|\s", re.MULTILINE)


def _page_chrome(text: str) -> bool:
    """Cookie banners, navigation and footers: short text with a chrome phrase."""
    return len(text.split()) <= lexicon.CHROME_MAX_WORDS and bool(lexicon.CHROME.search(fold_text(text)))


def _title_like(text: str) -> bool:
    """Headings, table-of-contents links and table headers: short, no sentence ending."""
    plain = lexicon.MARKUP.sub(" ", text)
    plain = re.sub(r"\(#[^)]*\)|-{3,}|={3,}", " ", plain).strip()
    words = plain.split()
    if len(words) > _TITLE_WORDS:
        return False
    if not re.search(r"[.!?:;]\W*$", plain) or plain.endswith(" ."):
        return True  # no sentence ending, or the " ." extraction leaves after a bold heading
    # a short line that ends with a full stop but has no subject or auxiliary is a label ("Payment data.")
    return len(words) <= _LABEL_WORDS and not any(w.strip(".,;:!?()'\"").casefold() in _STATEMENT_WORDS for w in words)

def _sentence_span(text: str, at: int) -> tuple[int, int]:
    """(start, end) of the sentence holding offset ``at``; the whole text when none does."""
    for start, end in sentence_spans(fold_text(text)):
        if start <= at <= end:
            return start, end
    return 0, len(text)


def _sentence_around(text: str, span: tuple[int, int]) -> str:
    start, end = _sentence_span(text, span[0])
    return text[start:end]


_FIRST_QUOTE = re.compile(r'"([^"]+)"')  # a reason quotes the text it rests on first
_TRIGGER = re.compile(r'; "([^"]+)"\)')  # how ``_reason`` and ``edit_reason`` end: '...; "phrase").'


def first_quote(reason: str) -> str:
    """The first passage a reason quotes (the text it rests on), or ""."""
    m = _FIRST_QUOTE.search(reason)
    return m.group(1) if m else ""


def trigger_phrase(reason: str) -> str:
    """The phrase a reason names as its trigger, or "" when it names none."""
    m = _TRIGGER.search(reason)
    return m.group(1) if m else ""


def _reason(verb: str, text: str, signal: Signal, what: str) -> str:
    """'Added: "we may sell your data to data brokers" (sale: new practice).'"""
    quote = _quote(text, signal.span)
    label = signal.category.replace("_", " ")
    what = what if what.startswith(label) else f"{label}: {what}"
    return f'{verb}: "{quote}" ({what}; "{signal.phrase}").'


def _quote(text: str, span: tuple[int, int]) -> str:
    """Words around a trigger, inside its sentence, trimmed to a checkable length."""
    sentence = _sentence_around(text, span)
    offset = text.find(sentence) if sentence else 0
    words = list(_TOKEN.finditer(sentence))
    if not words:
        return _short(text)
    hit = next((i for i, w in enumerate(words) if offset + w.end() > span[0]), 0)
    lo, hi = max(0, hit - _QUOTE_WORDS), min(len(words), hit + _QUOTE_WORDS)
    out = sentence[words[lo].start():words[hi - 1].end()]
    return ("..." if lo else "") + _clean(out) + ("..." if hi < len(words) else "")


def _short(text: str, limit: int = 160) -> str:
    text = _clean(text)
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "..."


def _clean(text: str) -> str:
    """Quotable text: markup that means nothing to a reader removed, one line."""
    text = _QUOTE_MARKUP.sub(" ", text).replace("\\", "")
    return " ".join(text.replace('"', "'").split())
