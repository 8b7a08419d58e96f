"""The ingest pipeline's promise: a capture never vanishes, and side effects never stop tracking."""
from __future__ import annotations

from typing import Any

import pytest

from policywatch.crawler.pipelines import SinkUnusable, put_or_fallback
from policywatch.crawler.writer import Sink
from policywatch.db.connection import open_database
from policywatch.tracker.ingest import IngestResult, Ingestor
from policywatch.tracker.model import Capture

from tests.crawler.conftest import add_policy, query

BODY = b"<html><body><h1>Privacy</h1><p>We collect your email address to send receipts.</p></body></html>"


class ExtractorCrash(Ingestor):
    """The real Ingestor, whose text preparation crashes (an extractor bug)."""

    def _prepare(self, capture: Capture, policy: dict[str, Any], *rest: Any) -> Any:
        raise RuntimeError("extractor bug")


class Broken:
    def put(self, capture: Capture) -> IngestResult:
        raise OSError("disk full")

    def finish(self) -> None:
        pass


def capture(pid: int) -> Capture:
    return Capture(policy=pid, source="wayback", url="https://example.org/privacy",
                   capture_time="2024-01-02T03:04:05Z", body=BODY, http_status=200,
                   content_type="text/html", wayback_digest="ABC")


def test_a_capture_the_sink_refuses_is_stored_as_a_failure_with_its_body(db_path: str) -> None:
    pid = add_policy(db_path, "https://example.org/privacy", "ex")
    db = open_database(db_path)
    errors: list[int] = []
    sink = ExtractorCrash(db)
    assert isinstance(sink, Sink)
    result = put_or_fallback(sink, capture(pid), on_error=lambda: errors.append(1))
    db.conn.close()
    assert errors == [1]
    assert result.outcome == "extraction_failure" and not result.new_version
    rows = query(db_path, "SELECT outcome, detail, blob_sha256, wayback_digest FROM captures")
    assert len(rows) == 1
    assert rows[0]["outcome"] == "extraction_failure"
    assert "RuntimeError: extractor bug" in rows[0]["detail"]
    assert rows[0]["blob_sha256"] and rows[0]["wayback_digest"] == "ABC"  # body kept for reprocess


def test_a_sink_that_refuses_the_fallback_too_is_unusable(db_path: str) -> None:
    pid = add_policy(db_path, "https://example.org/privacy", "ex")
    with pytest.raises(SinkUnusable, match="disk full"):
        put_or_fallback(Broken(), capture(pid))
