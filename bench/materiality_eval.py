"""Evaluate materiality decisions against the hand-labelled corpus pairs.

Run from the repository root: ``.venv/bin/python bench/materiality_eval.py [--corpus DIR]``
(default ``../shared/corpus``, or env ``POLICYWATCH_CORPUS``; exits 0 with a
message when the corpus is absent).

Two modes per labelled pair (``labels.json``):

* **tracker** (primary, the product's real use): each service's whole history is
  imported into a temporary database with the ``policywatch`` CLI, and the
  recorded change whose from/to capture times match the pair is read from
  ``policywatch changes --format json``. No such change (same version after
  normalisation, or the new capture rejected as an extraction failure) means
  the pair was not flagged.
* **compare**: ``tracker.compare.compare_texts`` on the two files.

Printed as Markdown and written to the "## Materiality" section of
``bench/README.md`` (``--no-write`` to skip). Rules must stay general privacy
language: the same measurements are taken on policies not in this corpus.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from readme_section import write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_CORPUS = Path(os.environ.get("POLICYWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
POLICYWATCH = Path(sys.executable).with_name("policywatch")
SECTION = "Materiality"
WIDENING_DIRECTIONS = ("widens", "mixed")


@dataclass
class Prediction:
    """What one mode said about one pair."""

    substantive: bool
    material: bool
    severity: str
    categories: tuple[str, ...]
    reason: str
    findings: tuple[dict, ...] = ()


@dataclass
class PairResult:
    label: dict
    predictions: dict[str, Prediction] = field(default_factory=dict)


# --- running the two modes ------------------------------------------------------------


def _time_of(file_name: str) -> datetime:
    """Capture time from a corpus file name (``2025-06-25T18-15-32Z.md``)."""
    stem = Path(file_name).name.split(".")[0]
    return datetime.strptime(stem, "%Y-%m-%dT%H-%M-%SZ").replace(tzinfo=timezone.utc)


def _parse_time(value: str) -> datetime:
    value = value.replace("Z", "+00:00")
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _cli(db: Path, *args: str) -> str:
    command = [str(POLICYWATCH), "--db", str(db), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[:500]}")
    return done.stdout


def tracker_changes(corpus: Path, services: list[str], work: Path) -> dict[str, list[dict]]:
    """Import each service's history with the CLI and return its recorded changes."""
    out: dict[str, list[dict]] = {}
    for slug in services:
        folder = work / slug
        shutil.copytree(corpus / slug, folder)
        db = work / f"{slug}.db"
        _cli(db, "import", str(folder), "--name", slug)
        out[slug] = json.loads(_cli(db, "changes", "--policy", slug, "--format", "json"))["changes"]
    return out


def tracker_prediction(label: dict, changes: list[dict]) -> Prediction:
    """The recorded change into the pair's new capture, if it starts from the old capture's version.

    ``from_time`` is the first capture of the older version, which may precede the
    pair's old file when that file repeats an earlier version (same text after
    normalisation, or a flip back). The match requires that no other version was
    recorded between that first capture and the old file.
    """
    old_t, new_t = _time_of(label["old_file"]), _time_of(label["new_file"])
    arrivals = sorted(_parse_time(ch["to_time"]) for ch in changes)
    for ch in changes:
        from_t = _parse_time(ch["from_time"])
        between = [t for t in arrivals if from_t < t <= old_t]
        if _parse_time(ch["to_time"]) == new_t and from_t <= old_t and not between:
            severity = ch.get("severity") or "none"
            return Prediction(
                substantive=not ch.get("cosmetic_only", False) and severity != "none",
                material=bool(ch.get("material")),
                severity=severity,
                categories=tuple(ch.get("categories") or ()),
                reason=ch.get("summary") or "",
                findings=tuple(ch.get("findings") or ()),
            )
    to_new = [ch for ch in changes if _parse_time(ch["to_time"]) == new_t]
    why = "no recorded change between these captures"
    if to_new:
        why += f" (the new version follows {to_new[0]['from_time']})"
    return Prediction(False, False, "none", (), why)


def compare_prediction(corpus: Path, label: dict) -> Prediction:
    from policywatch.tracker.compare import compare_texts

    old = (corpus / label["old_file"]).read_text(encoding="utf-8")
    new = (corpus / label["new_file"]).read_text(encoding="utf-8")
    verdict = compare_texts(old, new).verdict
    return Prediction(
        substantive=not verdict.cosmetic_only and verdict.severity != "none",
        material=verdict.material,
        severity=verdict.severity,
        categories=tuple(verdict.categories),
        reason=verdict.summary,
        findings=tuple(f.to_json() for f in verdict.findings),
    )


# --- metrics ---------------------------------------------------------------------------


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def decision_table(results: list[PairResult], mode: str) -> list[str]:
    lines = ["| decision | precision | recall | F1 | TP | FP | FN | TN |", "|---|---|---|---|---|---|---|---|"]
    for name in ("substantive", "material"):
        tp = fp = fn = tn = 0
        for r in results:
            truth, pred = bool(r.label[name]), getattr(r.predictions[mode], name)
            tp += truth and pred
            fp += pred and not truth
            fn += truth and not pred
            tn += not truth and not pred
        p, rc, f = _prf(tp, fp, fn)
        lines.append(f"| {name} | {p:.2f} | {rc:.2f} | {f:.2f} | {tp} | {fp} | {fn} | {tn} |")
    return lines


def widening_recall(results: list[PairResult], mode: str) -> str:
    pool = [r for r in results if r.label["material"] and r.label.get("direction") in WIDENING_DIRECTIONS]
    hit = sum(r.predictions[mode].material for r in pool)
    return f"Recall on material pairs labelled widens/mixed: {hit}/{len(pool)} = {hit / len(pool) if pool else 1:.2f} (goal >= 0.95)."


def false_alarms(results: list[PairResult], mode: str) -> list[str]:
    bad = [r for r in results if not r.label["substantive"] and r.predictions[mode].material]
    if not bad:
        return ["Not-substantive pairs flagged material: none."]
    return ["Not-substantive pairs flagged material:"] + [
        f"- {r.label['new_file']} ({r.label.get('noise_kind')}): {r.predictions[mode].reason}" for r in bad
    ]


_QUOTED = re.compile(r'"([^"]{8,})"')
_WINDOW = 5  # words: a labelled passage counts as quoted when any 5 consecutive words of it are


def _norm(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(re.sub(r"[^\w']+", " ", text.casefold()).split())


def _evidence_pieces(evidence: str) -> list[list[str]]:
    """Word lists of the passages the label quotes (split at ellipses)."""
    pieces = []
    for quoted in _QUOTED.findall(evidence):
        for part in re.split(r"\.\.\.|\u2026", quoted):
            words = _norm(part).split()
            if len(words) >= 2:
                pieces.append(words)
    return pieces


def evidence_quoted(label: dict, text: str) -> bool:
    """Does ``text`` quote any passage of the label's evidence (5 consecutive words, or a short passage whole)?"""
    hay = f" {_norm(text)} "
    for words in _evidence_pieces(label.get("evidence") or ""):
        size = min(_WINDOW, len(words))
        if any(f" {' '.join(words[i:i + size])} " in hay for i in range(len(words) - size + 1)):
            return True
    return False


def evidence_lines(results: list[PairResult], mode: str) -> list[str]:
    """How often the labelled evidence is quoted in the top 3 findings and in the summary."""
    pool = [r for r in results if r.label["material"] and _evidence_pieces(r.label.get("evidence") or "")]
    top3 = sum(
        evidence_quoted(r.label, " ".join(f"{f['quote']} {f['reason']}" for f in r.predictions[mode].findings[:3]))
        for r in pool
    )
    summary = sum(evidence_quoted(r.label, r.predictions[mode].reason) for r in pool)
    cosmetic = [r for r in results if not r.label["substantive"]]
    flagged = sum(r.predictions[mode].material for r in cosmetic)
    n = len(pool) or 1
    return [
        f"Labelled evidence quoted in the top 3 findings: {top3}/{len(pool)} = {top3 / n:.2f} (goal >= 0.9); "
        f"in the summary: {summary}/{len(pool)} = {summary / n:.2f} (goal >= 0.6). "
        f"Material flags on pairs labelled cosmetic or noise: {flagged}/{len(cosmetic)} = {flagged / (len(cosmetic) or 1):.2f} (goal 0).",
    ]


def category_table(results: list[PairResult], mode: str) -> list[str]:
    from policywatch.tracker.model import CATEGORIES

    lines = ["| category | precision | recall | F1 | TP | FP | FN |", "|---|---|---|---|---|---|---|"]
    totals = [0, 0, 0]
    for cat in CATEGORIES:
        tp = fp = fn = 0
        for r in results:
            if not r.label["material"]:
                continue
            pred = r.predictions[mode]
            predicted = cat in pred.categories if pred.material else False
            truth = cat in r.label["categories"]
            tp += truth and predicted
            fp += predicted and not truth
            fn += truth and not predicted
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
        if tp or fp or fn:
            p, rc, f = _prf(tp, fp, fn)
            lines.append(f"| {cat} | {p:.2f} | {rc:.2f} | {f:.2f} | {tp} | {fp} | {fn} |")
    p, rc, f = _prf(*totals)
    lines.append(f"| **all (micro)** | {p:.2f} | {rc:.2f} | {f:.2f} | {totals[0]} | {totals[1]} | {totals[2]} |")
    return lines


def pair_lines(results: list[PairResult], mode: str) -> list[str]:
    lines = ["| pair | label | predicted | ok | top reason |", "|---|---|---|---|---|"]
    for r in results:
        lab, pred = r.label, r.predictions[mode]
        truth = "material" if lab["material"] else ("substantive" if lab["substantive"] else f"noise:{lab.get('noise_kind')}")
        if lab["material"]:
            truth += f" {lab.get('direction')} [{', '.join(lab['categories'])}]"
        said = "material" if pred.material else ("substantive" if pred.substantive else "not flagged")
        said += f" {pred.severity}"
        if pred.categories:
            said += f" [{', '.join(pred.categories)}]"
        ok = "yes" if (pred.material == bool(lab["material"]) and pred.substantive == bool(lab["substantive"])) else \
            ("material ok" if pred.material == bool(lab["material"]) else "**MISS**" if lab["material"] else "**FALSE ALARM**")
        reason = pred.reason.replace("|", "/")
        reason = reason if len(reason) <= 220 else reason[:217] + "..."
        pair = f"{lab['service_slug']} {Path(lab['old_file']).stem[:10]} -> {Path(lab['new_file']).stem[:10]}"
        lines.append(f"| {pair} | {truth} | {said} | {ok} | {reason} |")
    return lines


def mode_report(results: list[PairResult], mode: str, title: str) -> list[str]:
    return (
        [f"### {title}", ""]
        + decision_table(results, mode)
        + ["", widening_recall(results, mode), ""]
        + evidence_lines(results, mode) + [""]
        + false_alarms(results, mode)
        + ["", "Categories on pairs labelled material (predicted categories count only when the pair is flagged material):", ""]
        + category_table(results, mode)
        + ["", "Per pair:", ""]
        + pair_lines(results, mode)
        + [""]
    )


# --- README section ------------------------------------------------------------------

NOTES = [
    "How decisions are made (`tracker/classify.py`, `tracker/lexicon.py`, `tracker/materiality/`): every",
    "clause is matched against a reviewed phrase lexicon (category, label, practice/protection/info, risk);",
    "each match is a signal with a polarity (negation within the sentence part, opt-out framing, exceptions",
    "that repeat a negated practice). Added clauses that describe a practice expand (high for sale,",
    "sensitive data, advertisers/data brokers, AI training); removed protections weaken; in modified clauses",
    "only the sentences whose words changed are compared (negations dropped/added, named recipients added to",
    "a sharing list, data types or purposes, retention periods in days, age thresholds, new controller names,",
    "limiting words deleted from a practice sentence, exceptions). `judge_changes` then applies document",
    "guards: extraction failures (via `tracker.quality`), truncated captures, bulk copies of the policy, and",
    "a removed protection (or added practice) restated by another changed clause with the same signal and",
    "most of its words, without a new exception. A guard clears the clause's flag and says why, so the",
    "document is material exactly when a clause is. Findings are the material clause changes ranked (news",
    "for the whole document first, then removed protections, recipients, sensitive data, AI, children,",
    "controller, contact) with near-duplicates merged. An edit whose sentence only moved (it stands word for",
    "word in the other version: a list split into items) is not news; a promise that lost a word but still",
    "stands negated ranks after a promise gone; in a rewrite a new controller leads. Negation belongs to",
    "words, not categories: every practice reading of a negated phrase is negated, and \"do not share X for",
    "Y\" denies the purpose Y. Collection the clause says stays on the user's device is not collection by",
    "the company. An edit whose sentence only moved is discounted (\"moved\"), and paragraphs merged or",
    "split with the same words (a re-render, an extractor update) are one re-cut of severity none; a",
    "property test re-cuts real policies at random and requires no material verdict.",
    "No rule names a service or a file.",
    "",
    "Evidence quoted: a labelled pair's evidence counts as quoted when any 5 consecutive words of a passage",
    "the label quotes (or a shorter passage whole) appear in the top 3 findings' quotes and reasons, or in",
    "the summary line. Pool: pairs labelled material.",
    "",
    "Reading the numbers: compare mode sees two files only, so a flip back to an earlier text (the",
    "history's own regression or A/B variant) looks like a real change there; tracker mode recognises flips",
    "at ingest. Verdict categories are the categories of the findings (one per finding, the one its reason",
    "names); the labels name the headline categories of a change.",
    "",
]



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/README.md alone")
    parser.add_argument("--mode", choices=("both", "tracker", "compare"), default="both")
    args = parser.parse_args(argv)
    labels_path = args.corpus / "labels.json"
    if not labels_path.exists():
        print(f"corpus not found at {args.corpus} (labels.json missing): nothing to evaluate")
        return 0
    labels = json.loads(labels_path.read_text(encoding="utf-8"))
    results = [PairResult(label) for label in labels]
    modes = ("tracker", "compare") if args.mode == "both" else (args.mode,)
    timings = {}
    if "tracker" in modes:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="pw-eval-") as tmp:
            services = sorted({lab["service_slug"] for lab in labels})
            changes = tracker_changes(args.corpus, services, Path(tmp))
        for r in results:
            r.predictions["tracker"] = tracker_prediction(r.label, changes[r.label["service_slug"]])
        timings["tracker"] = time.perf_counter() - start
    if "compare" in modes:
        start = time.perf_counter()
        for r in results:
            r.predictions["compare"] = compare_prediction(args.corpus, r.label)
        timings["compare"] = time.perf_counter() - start
    body = NOTES + [
        f"`bench/materiality_eval.py` on {len(labels)} labelled pairs "
        f"({sum(bool(l['substantive']) for l in labels)} substantive, {sum(bool(l['material']) for l in labels)} material). "
        "Predicted substantive = not cosmetic-only and a severity other than none; material = severity medium/high.",
        "",
    ]
    titles = {"tracker": "Tracker mode (import whole history, read `changes --format json`; primary)",
              "compare": "Compare mode (`compare_texts` on the two files)"}
    for mode in modes:
        body += mode_report(results, mode, titles[mode])
        body.append(f"_{mode} mode took {timings[mode]:.1f} s._")
        body.append("")
    print("\n".join(body))
    if not args.no_write:
        write_section(SECTION, "\n".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
