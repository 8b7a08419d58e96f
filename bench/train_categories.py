"""Train the clause category model by distant supervision from section headings, and evaluate it.

Run from the repository root (needs scikit-learn, a development-only tool; the
package applies the exported weights without it):

    .venv/bin/pip install scikit-learn
    .venv/bin/python bench/train_categories.py [--policies ../shared/policies] [--no-write]

Labels: each clause of the 276 real policies in ``../shared/policies`` takes
the category its deepest topical heading names (``tracker.clause_categories.
heading_category``); clauses under no topical heading are not used. Policies
are split 80/20 by a hash of their file name (reproducible, no policy in both
halves). The model sees only the clause text (binary word and word-pair
features, one-vs-rest logistic regression); it is written to
``tracker/category_model.json`` and the held-out precision/recall per
category, next to the keyword lexicon's, to the "## Categories" section of
``bench/README.md``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import Counter
from pathlib import Path
from readme_section import write_section

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POLICIES = Path(os.environ.get("POLICYWATCH_POLICIES", ROOT.parent / "shared" / "policies"))
MODEL = ROOT / "tracker" / "category_model.json"
SECTION = "Categories"
MIN_WORDS = 6  # shorter clauses are list fragments or labels
MIN_DF = 3  # a feature must occur in this many training clauses
KEEP = 1000  # weights kept per category (by magnitude): the shipped file stays small
C = 0.5  # inverse regularisation strength
TEST_SHARE = 5  # one policy in five is held out


def _held_out(name: str) -> bool:
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % TEST_SHARE == 0


def labelled_clauses(policies: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(text, category) pairs for training and held-out policies."""
    from policywatch.tracker.clause_categories import heading_category
    from policywatch.tracker.segment import segment_text

    train, test = [], []
    for path in sorted(policies.glob("*.md")):
        if path.name == "README.md":
            continue
        for clause in segment_text(path.read_text(encoding="utf-8", errors="replace")):
            if clause.kind == "heading" or len(clause.text.split()) < MIN_WORDS:
                continue
            category = heading_category(clause.heading)
            if category:
                (test if _held_out(path.stem) else train).append((clause.text, category))
    return train, test


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(test: list[tuple[str, str]], predict) -> dict[str, tuple[float, float, float, int]]:
    from policywatch.tracker.model import CATEGORIES

    counts = {c: [0, 0, 0] for c in CATEGORIES}
    for text, label in test:
        predicted = set(predict(text))
        for c in CATEGORIES:
            truth, pred = c == label, c in predicted
            counts[c][0] += truth and pred
            counts[c][1] += pred and not truth
            counts[c][2] += truth and not pred
    out = {c: (*_prf(*v), v[0] + v[2]) for c, v in counts.items()}
    total = [sum(v[i] for v in counts.values()) for i in range(3)]
    out["all (micro)"] = (*_prf(*total), total[0] + total[2])
    return out


def train(clauses: list[tuple[str, str]]) -> dict:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    from policywatch.tracker.clause_categories import _features

    df = Counter(f for text, _ in clauses for f in _features(text))
    vocab = {f for f, n in df.items() if n >= MIN_DF}
    rows = [{f: 1 for f in _features(text) if f in vocab} for text, _ in clauses]
    vec = DictVectorizer()
    X = vec.fit_transform(rows).tocsr()
    X.indices, X.indptr = X.indices.astype("int32"), X.indptr.astype("int32")  # liblinear wants 32-bit indices
    names = vec.get_feature_names_out()
    model = {"threshold": 0.5, "fallback": 0.25, "trained_on": len(clauses), "categories": {}}
    for category in sorted({c for _, c in clauses}):
        y = [int(c == category) for _, c in clauses]
        clf = LogisticRegression(C=C, solver="liblinear", max_iter=1000)
        clf.fit(X, y)
        weights = sorted(zip(names, clf.coef_[0]), key=lambda p: -abs(p[1]))[:KEEP]
        model["categories"][category] = {
            "intercept": round(float(clf.intercept_[0]), 4),
            "weights": {f: round(float(w), 3) for f, w in weights if abs(w) >= 1e-3},
        }
    return model


def table(rows: dict[str, dict[str, tuple[float, float, float, int]]]) -> list[str]:
    names = list(rows)
    head = "| category | support | " + " | ".join(f"{n} P | {n} R | {n} F1" for n in names) + " |"
    lines = [head, "|" + "---|" * (2 + 3 * len(names))]
    first = rows[names[0]]
    for category in first:
        cells = []
        for n in names:
            p, r, f, _ = rows[n][category]
            cells.append(f"{p:.2f} | {r:.2f} | {f:.2f}")
        label = f"**{category}**" if category.startswith("all") else category
        lines.append(f"| {label} | {first[category][3]} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=Path, default=DEFAULT_POLICIES)
    parser.add_argument("--no-write", action="store_true", help="print only: keep the model file and README")
    args = parser.parse_args(argv)
    if not args.policies.is_dir():
        print(f"policies not found at {args.policies}: nothing to train")
        return 0
    train_set, test_set = labelled_clauses(args.policies)
    model = train(train_set)
    from policywatch.tracker import clause_categories
    from policywatch.tracker.classify import classify_text, find_signals

    def model_predict(text: str) -> tuple[str, ...]:
        return clause_categories.apply_model(model, text)

    def in_use(text: str) -> tuple[str, ...]:  # classify_clause for a clause under no topical heading
        strong = {s.category for s in find_signals(text) if s.risk == "high"}
        return tuple(set(model_predict(text)) | strong)

    rows = {"lexicon": evaluate(test_set, classify_text), "model": evaluate(test_set, model_predict),
            "in use": evaluate(test_set, in_use)}
    body = [
        f"`bench/train_categories.py`: clauses of {len(list(args.policies.glob('*.md'))) - 1} real policies "
        "(`../shared/policies`) labelled by the category their deepest topical heading names (distant "
        f"supervision); {len(train_set)} training clauses, {len(test_set)} held-out clauses from one policy in "
        "five (split by file-name hash, no policy on both sides). Both classifiers see only the clause text; "
        "P/R/F1 on the held-out clauses. `lexicon` is the keyword engine (`tracker.classify.classify_text`), "
        "`model` the shipped linear model (`tracker/category_model.json`, applied without scikit-learn; "
        "categories over 0.5, else the best one when over 0.25), `in use` the model plus the lexicon's "
        "high-risk practices (what `classify_clause` gives a clause under no topical heading). "
        "In use (`tracker.clause_categories.classify_clause`) the clause's own heading decides its main "
        "category when it names one, and the text adds high-risk practices; the text-only figures below "
        "are for clauses under headings that name no topic.",
        "",
        *table(rows),
        "",
    ]
    print("\n".join(body))
    if not args.no_write:
        MODEL.write_text(json.dumps(model, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
        write_section(SECTION, "\n".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
