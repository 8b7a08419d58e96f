"""A clause's categories from where it sits (its heading path) and what its sentences say.

Single keywords over-label: "we collect" in a sharing section, "your rights" in a
contact paragraph. The section a clause sits in is what an expert reads first,
so the deepest heading that names a topic decides the clause's main category;
the sentences add a category only with specific evidence: a high-risk
practice from the lexicon, or (when the package ships it) the small text model
trained by ``bench/train_categories.py`` with distant supervision from
section headings of real policies.
"""
from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path

from policywatch.tracker.classify import find_signals, fold_text, order_categories

__all__ = ["heading_category", "classify_clause", "text_model_categories", "HEADING_PATTERNS"]

MODEL_PATH = Path(__file__).with_name("category_model.json")
_MODEL_THRESHOLD = 0.5
_MODEL_FALLBACK = 0.25  # no category over the threshold: the best one, when at least this likely

# Heading wording -> category. Order matters: the first pattern that matches a heading wins
# ("How we share information with advertisers" is sharing, not purpose).
HEADING_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (cat, re.compile(pattern)) for cat, pattern in (
        ("children", r"\b(?:child|children'?s?|minors?|kids|teens?|young people|under (?:the age of )?1[3-8])\b"),
        ("sale", r"\b(?:sale|sell|selling)\b"),
        ("tracking", r"\b(?:cookies?|tracking|do not track|similar technolog\w+|pixels?|beacons?|analytics)\b"),
        ("international_transfer", r"\b(?:international|cross[- ]border|transfers? (?:of|outside|abroad|across)|data transfers?|where we (?:store|process))\b"),
        ("retention", r"\b(?:retention|retain\w*|how long|storage period|keep (?:your )?(?:data|information))\b"),
        ("security", r"\b(?:security|secure|safeguard\w*|protect(?:ing|ion of)? your (?:data|information))\b"),
        ("sharing", r"\b(?:shar(?:e|es|ing)|disclos\w+|third[- ]part(?:y|ies)|recipients?|who (?:do )?we (?:share|disclose)|service providers|partners)\b"),
        ("user_rights", r"\b(?:your (?:\w+ )?(?:rights|choices)|rights and choices|privacy rights|opt[- ]?out|choices|access(?:ing)?,? (?:update|correct|delet)\w*|manage your|control(?:ling)? your|data subject|delet\w+ your)\b"),
        ("policy_change", r"\b(?:changes? to (?:this|our|the)|updates? to (?:this|our|the)|amendments?|revisions?)\b"),
        ("contact", r"\b(?:contact(?:ing)? us|contact information|questions|how to (?:reach|contact)|data protection officer|dpo|controller|who we are|about us|complaints?)\b"),
        ("collection", r"\b(?:(?:information|data) (?:we|that we) (?:collect|receive|obtain)|what (?:personal )?(?:information|data) (?:do )?we collect|collection|categories of (?:personal )?(?:data|information)|information you provide|types of (?:personal )?(?:data|information)|sources)\b"),
        ("purpose", r"\b(?:how (?:do )?we use|use of (?:your )?(?:personal )?(?:information|data)|uses? (?:of|we make)|purposes?|why we (?:collect|process|use)|legal bas[ie]s|lawful bas[ie]s)\b"),
    )
)


def heading_category(heading: tuple[str, ...] | list[str]) -> str | None:
    """The category named by the deepest heading that names one (None when none does)."""
    for title in reversed(tuple(heading)):
        low = fold_text(title)
        for category, pattern in HEADING_PATTERNS:
            if pattern.search(low):
                return category
    return None


@lru_cache(maxsize=1)
def _model() -> dict | None:
    try:
        return json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


_TOKEN = re.compile(r"[a-z][a-z'-]+")


def _features(text: str) -> set[str]:
    words = [w.strip("'-") for w in _TOKEN.findall(fold_text(text))]
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:])}


@lru_cache(maxsize=16384)
def text_model_categories(text: str) -> tuple[str, ...]:
    """Categories the shipped text model gives a clause (empty when no model is shipped).

    A linear model over binary word and word-pair features: the weights were fitted
    by ``bench/train_categories.py`` and are applied here without scikit-learn.
    """
    model = _model()
    return apply_model(model, text) if model else ()


def apply_model(model: dict, text: str) -> tuple[str, ...]:
    """Every category scoring over the threshold; else the best one if it is at least plausible."""
    feats = _features(text)
    scores = {
        category: 1 / (1 + math.exp(-max(-30.0, min(30.0, params["intercept"] + sum(params["weights"].get(f, 0.0) for f in feats)))))
        for category, params in model["categories"].items()
    }
    chosen = [c for c, s in scores.items() if s >= model.get("threshold", _MODEL_THRESHOLD)]
    if not chosen and scores:
        best = max(scores, key=scores.__getitem__)
        if scores[best] >= model.get("fallback", _MODEL_FALLBACK):
            chosen = [best]
    return order_categories(chosen)


def classify_clause(text: str, heading: tuple[str, ...] | list[str] = ()) -> tuple[str, ...]:
    """Categories of one clause: its section's category plus specific evidence in its text.

    Without a topical heading the text decides: the model's categories when a model
    is shipped, else the lexicon's; high-risk practices (sale, sensitive data,
    advertisers, AI training) are always kept.
    """
    signals = find_signals(text)
    strong = {s.category for s in signals if s.risk == "high"}
    section = heading_category(heading)
    if section:
        return order_categories({section} | strong)
    model = text_model_categories(text)
    if model or _model():
        return order_categories(set(model) | strong)
    return order_categories({s.category for s in signals})
