"""Where a text goes in the version chain when captures from two sources meet (issue 19)."""
from __future__ import annotations

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
