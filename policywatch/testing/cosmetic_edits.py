"""Cosmetic edits as real pages make them, for robustness runs over real policies.

Each edit changes how a policy looks, never what it says: typographic quotes,
hyphenation and spelling variants, re-spacing, a new "last updated" date,
paragraphs merged or split at a sentence end (re-renders, extractor updates),
link targets with tracking parameters, list renumbering, a company suffix
written without its comma, another bullet character. A change made only of
these must never be material. Used by ``tests/tracker/test_cosmetic_robustness.py``
and ``bench/cosmetic_bench.py``; deterministic for a given seed.
"""
from __future__ import annotations

import random
import re
from typing import Callable

__all__ = ["EDITS", "apply_edit"]

_SENTENCE_END = re.compile(r"(?<=[a-z]\.) (?=[A-Z])")
_DATE = re.compile(r"(January|February|March|April|May|June|July|August|September|October|November|December) \d{1,2}, 20\d\d")
_LINK = re.compile(r"\]\((https?://[^)\s]+)\)")


def _quotes(text: str, rng: random.Random) -> str:
    return text.replace("'", "\u2019").replace('"', "\u201c")


def _hyphenation(text: str, rng: random.Random) -> str:
    text = re.sub(r"\bthird[- ]party\b", lambda m: "third party" if "-" in m.group(0) else "third-party", text)
    return re.sub(r"\be-?mail\b", lambda m: "email" if "-" in m.group(0) else "e-mail", text)


def _spacing(text: str, rng: random.Random) -> str:
    return re.sub(r"(?<=\S) (?=\S)", lambda m: "  " if rng.random() < 0.05 else " ", text)


def _date(text: str, rng: random.Random) -> str:
    return _DATE.sub("March 3, 2031", text, count=1)


def _recut(text: str, rng: random.Random) -> str:
    paragraphs = text.split("\n\n")
    for _ in range(3):
        if len(paragraphs) < 2:
            break
        i = rng.randrange(len(paragraphs) - 1)
        ends = list(_SENTENCE_END.finditer(paragraphs[i]))
        if rng.random() < 0.5 or not ends:
            paragraphs[i:i + 2] = [paragraphs[i].rstrip() + " " + paragraphs[i + 1].lstrip()]
        else:
            at = rng.choice(ends).start()
            paragraphs[i:i + 1] = [paragraphs[i][:at], paragraphs[i][at + 1:]]
    return "\n\n".join(paragraphs)


def _link_targets(text: str, rng: random.Random) -> str:
    return _LINK.sub(lambda m: "](" + m.group(1).rstrip("/") + "/?utm_source=newsletter)", text)


def _numbering(text: str, rng: random.Random) -> str:
    return re.sub(r"^(\s*)(\d+)\.(\s)", lambda m: f"{m.group(1)}{int(m.group(2)) + 1}.{m.group(3)}", text, flags=re.M)


def _company_suffix(text: str, rng: random.Random) -> str:
    return re.sub(r"\b([A-Z][a-z]+), Inc\.", r"\1 Inc.", text)


def _bullets(text: str, rng: random.Random) -> str:
    return re.sub(r"^(\s*)\* ", r"\1- ", text, flags=re.M)


EDITS: dict[str, Callable[[str, random.Random], str]] = {
    "quotes": _quotes, "hyphenation": _hyphenation, "spacing": _spacing, "date": _date, "recut": _recut,
    "link targets": _link_targets, "numbering": _numbering, "company suffix": _company_suffix, "bullets": _bullets,
}


def apply_edit(name: str, text: str, seed: int = 7) -> str:
    """``text`` with one cosmetic edit applied (unchanged when the edit finds nothing to do)."""
    return EDITS[name](text, random.Random(f"{seed}:{name}:{len(text)}"))
