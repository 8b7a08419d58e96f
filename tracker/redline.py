"""Word-level redline of one modified clause, with diff-match-patch.

Character-level diff-match-patch is slow on long text and produces redlines
that cut words in half. We do what its line mode does, but for words: every
distinct token (a word, a run of whitespace, or one punctuation mark) becomes
one private-use character, the two strings of characters are diffed and
cleaned up semantically, and the characters are mapped back to tokens. Only
the clauses that alignment paired as ``modified`` are ever diffed, so the
input stays small.

``redline_text`` marks edits like ``git diff --word-diff`` (``[-old-]{+new+}``);
``redline_html`` uses ``<del>``/``<ins>`` and escapes every piece of policy text.
"""
from __future__ import annotations

import re
from functools import lru_cache

from diff_match_patch import diff_match_patch

from policywatch.tracker.model import ClauseChange

__all__ = ["DELETE", "EQUAL", "INSERT", "change_ops", "tokenize", "word_diff", "redline_text", "redline_html"]

DELETE, EQUAL, INSERT = -1, 0, 1
Ops = list[tuple[int, str]]

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
# Private-use area and beyond: no surrogates, no ASCII, so dmp's heuristics
# never mistake a token for a space or a line break.
_FIRST_CODE = 0xE000
_MAX_TOKENS = 0x10FFFF - _FIRST_CODE


def tokenize(text: str) -> list[str]:
    """Split text into words, whitespace runs and single punctuation marks (lossless)."""
    return _TOKEN.findall(text)


def word_diff(old: str, new: str, timeout: float = 1.0) -> Ops:
    """Diff two texts word by word; returns dmp-style ``(op, text)`` tuples.

    Joining the EQUAL and DELETE pieces gives ``old``; EQUAL and INSERT give ``new``.
    """
    if old == new:
        return [(EQUAL, old)] if old else []
    vocabulary: dict[str, str] = {}
    tokens: list[str] = []
    old_chars = _encode(tokenize(old), vocabulary, tokens)
    new_chars = _encode(tokenize(new), vocabulary, tokens)
    engine = diff_match_patch()
    engine.Diff_Timeout = timeout
    diffs = engine.diff_main(old_chars, new_chars, checklines=False)
    engine.diff_cleanupSemantic(diffs)
    return [(op, "".join(tokens[ord(ch) - _FIRST_CODE] for ch in chars)) for op, chars in diffs if chars]


@lru_cache(maxsize=4096)
def change_ops(change: ClauseChange) -> Ops:
    """The redline operations of one clause change (a word diff only for a modified clause).

    Cached: a change page, its findings and the feed all ask for the same clause's redline.
    Callers must not modify the returned list.
    """
    if change.kind == "modified":
        return word_diff(change.old_text or "", change.new_text or "")
    if change.kind == "added":
        return [(INSERT, change.new_text or "")]
    if change.kind == "removed":
        return [(DELETE, change.old_text or "")]
    return [(EQUAL, change.new_text or change.old_text or "")]


def _encode(words: list[str], vocabulary: dict[str, str], tokens: list[str]) -> str:
    """Map each token to one character, growing the shared vocabulary."""
    out = []
    for word in words:
        code = vocabulary.get(word)
        if code is None:
            if len(tokens) >= _MAX_TOKENS:
                raise ValueError("too many distinct words for a word-level diff")
            code = chr(_FIRST_CODE + len(tokens))
            vocabulary[word] = code
            tokens.append(word)
        out.append(code)
    return "".join(out)


_TEXT_MARKS = {DELETE: ("[-", "-]"), INSERT: ("{+", "+}"), EQUAL: ("", "")}
_HTML_MARKS = {DELETE: ("<del>", "</del>"), INSERT: ("<ins>", "</ins>"), EQUAL: ("", "")}


def redline_text(ops: Ops) -> str:
    """Plain-text redline: ``[-removed-]`` and ``{+added+}`` around edits."""
    return "".join(_TEXT_MARKS[op][0] + text + _TEXT_MARKS[op][1] for op, text in ops)


def redline_html(ops: Ops) -> str:
    """HTML redline of plain text: ``<del>``/``<ins>``; all policy text is escaped.

    (Pages render policy Markdown with ``tracker.render.markdown.redline_markdown``.)
    """
    import html  # here: only the HTML renderers need it

    return "".join(_HTML_MARKS[op][0] + html.escape(text) + _HTML_MARKS[op][1] for op, text in ops)
