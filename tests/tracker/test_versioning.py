"""Where a text goes in the version chain when captures from two sources meet (issue 19)."""
from __future__ import annotations

import json

import pytest

from policywatch.db.policies import add_policy
from policywatch.db.versions import neighbours
from policywatch.tracker.ingest import Ingestor
from policywatch.tracker.model import Capture

from .test_ingest import BASE, SELLING, counts


def cap(when: str, text: str, source: str) -> Capture:
    return Capture(policy="example", source=source, url="https://example.org/privacy", capture_time=when,
                   body=text.encode(), content_type="text/markdown")


@pytest.fixture
def example(fresh_db):
    add_policy(fresh_db, "https://example.org/privacy", name="example")
    return fresh_db


def test_same_second_capture_from_another_source_joins_the_version(example):
    ingestor = Ingestor(example)
    ingestor.put(cap("2024-01-01T00:00:00Z", BASE, "live"))
    live = ingestor.put(cap("2024-03-01T12:00:00Z", SELLING, "live"))
    archived = ingestor.put(cap("2024-03-01T12:00:00Z", SELLING, "wayback"))
    assert archived.version_id == live.version_id and not archived.new_version and archived.change_ids == []
    assert counts(example)["versions"] == 2 and counts(example)["changes"] == 1


def test_neighbours_include_a_version_at_exactly_that_time(example):
    ingestor = Ingestor(example)
    first = ingestor.put(cap("2024-01-01T00:00:00Z", BASE, "live"))
    second = ingestor.put(cap("2024-03-01T12:00:00Z", SELLING, "live"))
    pid = example.execute("SELECT id FROM policies").fetchone()[0]
    prev, nxt = neighbours(example, pid, "2024-03-01T12:00:00Z")
    assert prev["id"] == second.version_id and nxt is None
    prev, nxt = neighbours(example, pid, "2024-02-01T00:00:00Z")
    assert prev["id"] == first.version_id and nxt["id"] == second.version_id
    prev, nxt = neighbours(example, pid, "2023-01-01T00:00:00Z")
    assert prev is None and nxt["id"] == first.version_id


def rows(db, sql: str, *params) -> list[dict]:
    return [dict(r) for r in db.query(sql, list(params))]


def test_a_change_stores_its_clause_changes_and_its_alert_points_at_it(example):
    from .test_ingest import webhook_channels

    with Ingestor(example, channels=webhook_channels()) as ingestor:
        ingestor.put(cap("2024-01-01T00:00:00Z", BASE, "live"))
    result = Ingestor(example, channels=webhook_channels()).put(cap("2024-03-01T00:00:00Z", SELLING, "live"))
    [change_id] = result.change_ids
    [change] = rows(example, "SELECT * FROM changes WHERE id = ?", change_id)
    assert (change["material"], change["severity"], change["is_flip"], change["technical_upgrade"]) == (1, "high", 0, 0)
    assert change["cosmetic_only"] == 0 and change["clause_change_count"] >= 1
    assert "sale" in json.loads(change["categories"]) and change["summary"].startswith("2 material changes")
    clause_rows = rows(example, "SELECT * FROM clause_changes WHERE change_id = ? ORDER BY position", change_id)
    assert len(clause_rows) == change["clause_change_count"]
    assert [r["position"] for r in clause_rows] == list(range(len(clause_rows)))
    sale = next(r for r in clause_rows if "sale" in json.loads(r["categories"]))
    assert sale["severity"] == "high" and sale["material"] == 1 and sale["cosmetic"] == 0
    assert sale["direction"] in ("weakens", "expands") and "sell" in sale["reason"]
    texts = {r["id"]: r["text"] for r in rows(example, "SELECT id, text FROM clause_texts")}
    olds = [texts[r["old_clause_id"]] for r in clause_rows if r["old_ordinal"] is not None]
    news = [texts[r["new_clause_id"]] for r in clause_rows if r["new_ordinal"] is not None]
    assert "We do not sell your personal information." in olds
    assert any("data brokers" in t for t in news)
    heading = rows(example, "SELECT * FROM headings WHERE id = ?", sale["heading_id"])
    assert heading and "Sharing" in json.dumps(heading[0])
    [alert] = rows(example, "SELECT change_id, kind FROM alerts")
    assert alert == {"change_id": change_id, "kind": "change"}


def test_a_flip_names_the_version_it_returns_to_and_has_severity_none(example):
    ingestor = Ingestor(example)
    first = ingestor.put(cap("2024-01-01T00:00:00Z", BASE, "live"))
    ingestor.put(cap("2024-02-01T00:00:00Z", SELLING, "live"))
    back = ingestor.put(cap("2024-02-02T00:00:00Z", BASE, "live"))
    [change] = rows(example, "SELECT * FROM changes WHERE id = ?", back.change_ids[0])
    assert change["is_flip"] == 1 and change["material"] == 0 and change["severity"] == "none"
    assert change["summary"].startswith(
        f"Flip: the text returns to version {first.version_id} first seen 2024-01-01T00:00:00Z")
