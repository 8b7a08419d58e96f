"""Materiality on real histories (../shared/corpus): one verdict, ranked findings, in compare and tracker mode."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from policywatch.tracker.compare import compare_texts, diff_to_json

pytestmark = pytest.mark.corpus

ZOOM = ("zoom/2023-09-08T21-57-39Z.md", "zoom/2023-12-02T11-18-10Z.md")
REDDIT = ("reddit/2026-01-15T00-49-51Z.md", "reddit/2026-07-02T12-51-46Z.md")
COPILOT_ADS = ("microsoft-copilot/2026-01-30T11-36-57Z.md", "microsoft-copilot/2026-02-19T23-34-23Z.md")
COPILOT_RETENTION = ("microsoft-copilot/2026-03-12T23-35-15Z.md", "microsoft-copilot/2026-04-02T22-35-03Z.md")


def _compare(corpus: Path, pair: tuple[str, str]) -> dict:
    old, new = ((corpus / f).read_text(encoding="utf-8") for f in pair)
    return diff_to_json(compare_texts(old, new))


def _pairs(corpus: Path) -> list[tuple[Path, Path]]:
    out = []
    for service in sorted(p for p in corpus.iterdir() if p.is_dir()):
        files = sorted(service.glob("*.md"))
        out.extend(zip(files, files[1:]))
    return out


@pytest.mark.slow
def test_document_verdict_is_any_clause_material_on_every_consecutive_pair(corpus: Path) -> None:
    pairs = _pairs(corpus)
    assert len(pairs) > 100
    for old, new in pairs:
        out = diff_to_json(compare_texts(old.read_text(encoding="utf-8"), new.read_text(encoding="utf-8")))
        flags = [c["material"] for c in out["changes"]]
        assert out["material"] == any(flags), f"{old} -> {new}"
        # findings: only material clause changes, each index valid, ranked list non-empty iff material
        assert bool(out["findings"]) == out["material"], f"{old} -> {new}"
        for f in out["findings"]:
            assert out["changes"][f["change"]]["material"], f"{old} -> {new}: {f}"
            assert f["count"] >= 1 and f["quote"]
        if out["material"]:
            top = out["findings"][0]["quote"][:40]
            assert top in out["summary"], f"{old} -> {new}: summary does not quote the top finding"


def test_zoom_removed_marketing_protection_is_material_in_compare_mode(corpus: Path) -> None:
    out = _compare(corpus, ZOOM)
    assert out["material"]
    top = out["findings"][0]
    assert top["direction"] == "weakens" and "direct marketing" in top["quote"]
    assert "direct marketing" in out["summary"]


def test_restatement_must_be_the_same_protection(corpus: Path) -> None:
    """The SMS-campaign clause shares the word "share" with the removed promise, not the promise."""
    out = _compare(corpus, ZOOM)
    removed = [c for c in out["changes"] if c["kind"] == "removed" and "direct marketing" in (c["old_text"] or "")]
    assert removed and removed[0]["material"] and "discounted" not in removed[0]["reason"]


def test_reddit_children_section_removal_leads_and_duplicates_merge(corpus: Path) -> None:
    out = _compare(corpus, REDDIT)
    top3 = out["findings"][:3]
    assert any("Children under the age of 13" in f["quote"] for f in top3)
    quotes = [f["quote"] for f in out["findings"]]
    assert sum("Location Information (IP" in q for q in quotes) <= 2  # ~15 copies merged with a count
    assert any(f["count"] > 1 for f in out["findings"])


def test_copilot_summary_quotes_the_advertising_sentence_not_a_heading(corpus: Path) -> None:
    out = _compare(corpus, COPILOT_ADS)
    assert "Trade Desk" in out["findings"][0]["quote"]
    assert "Trade Desk" in out["summary"]
    assert not any(q["quote"].startswith("Data collected by or shared") for q in out["findings"])


def test_copilot_removed_ad_data_limit_is_a_finding(corpus: Path) -> None:
    out = _compare(corpus, COPILOT_RETENTION)
    top = out["findings"]
    assert top[0]["direction"] == "weakens"
    assert any("13 months" in f["quote"] for f in top)


def _tracker_changes(corpus: Path, invoke, tmp_path: Path, pair: tuple[str, str], name: str) -> dict:
    history = tmp_path / name
    history.mkdir()
    for f in pair:
        shutil.copy(corpus / f, history / Path(f).name)
    assert invoke("init").exit_code == 0
    result = invoke("import", str(history), "--name", name)
    assert result.exit_code == 0, result.output
    listed = json.loads(invoke("changes", "--policy", name, "--format", "json").output)["changes"]
    assert len(listed) == 1
    return listed[0]


def test_zoom_in_tracker_mode(corpus: Path, invoke, tmp_path: Path) -> None:
    change = _tracker_changes(corpus, invoke, tmp_path, ZOOM, "zoom")
    assert change["material"]
    assert "direct marketing" in change["findings"][0]["quote"]
    # the tracker stores normalised text (quotes, spaces), so compare what was found, not the bytes
    compared = _compare(corpus, ZOOM)["findings"]
    assert [(f["category"], f["direction"]) for f in change["findings"]] == [
        (f["category"], f["direction"]) for f in compared
    ]


def test_reddit_in_tracker_mode(corpus: Path, invoke, tmp_path: Path) -> None:
    change = _tracker_changes(corpus, invoke, tmp_path, REDDIT, "reddit")
    assert change["material"]
    assert any("Children under the age of 13" in f["quote"] for f in change["findings"][:3])


def test_copilot_in_tracker_mode(corpus: Path, invoke, tmp_path: Path) -> None:
    change = _tracker_changes(corpus, invoke, tmp_path, COPILOT_ADS, "copilot")
    assert change["material"] and "Trade Desk" in change["summary"]


@pytest.mark.slow
@pytest.mark.parametrize("service", ["zoom", "reddit"])
def test_tracker_mode_change_is_material_exactly_when_a_clause_change_is(
    corpus: Path, invoke, db_path: Path, service: str
) -> None:
    """Whole histories imported: every recorded change agrees with its stored clause changes."""
    from policywatch.db.changes import clause_change_rows
    from policywatch.db.connection import open_database

    assert invoke("init").exit_code == 0
    assert invoke("import", str(corpus / service), "--name", service).exit_code == 0
    listed = json.loads(invoke("changes", "--policy", service, "--format", "json").output)["changes"]
    assert len(listed) >= 5
    db = open_database(db_path)
    try:
        for change in listed:
            clauses = clause_change_rows(db, change["change_id"])
            assert change["material"] == any(c["material"] for c in clauses), change["summary"]
            assert bool(change["findings"]) == change["material"], change["summary"]
    finally:
        db.close()


@pytest.mark.slow
def test_labelled_evidence_leads_the_findings_in_compare_mode(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The promise "you need not read every redline": on the labelled material pairs, the passage
    the labeller quoted is among the top 3 findings (goal >= 0.9) and in the summary (>= 0.6).
    Measured the way bench/materiality_eval.py measures it."""
    import importlib.util
    import sys

    bench = Path(__file__).resolve().parents[2] / "bench"
    monkeypatch.syspath_prepend(str(bench))  # as when run as `python bench/materiality_eval.py`
    path = bench / "materiality_eval.py"
    spec = importlib.util.spec_from_file_location("materiality_eval", path)
    assert spec and spec.loader
    evaluation = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, evaluation)  # dataclasses look their module up there
    spec.loader.exec_module(evaluation)
    labels = [lab for lab in json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
              if lab["material"] and evaluation._evidence_pieces(lab.get("evidence") or "")]
    assert labels
    top3 = summary = 0
    for lab in labels:
        p = evaluation.compare_prediction(corpus, lab)
        top3 += evaluation.evidence_quoted(lab, " ".join(f"{f['quote']} {f['reason']}" for f in p.findings[:3]))
        summary += evaluation.evidence_quoted(lab, p.reason)
    assert top3 / len(labels) >= 0.9 and summary / len(labels) >= 0.6, (top3, summary, len(labels))
