"""The ingest pipeline's promise: a capture never vanishes (issue 19).

The archive spider resumes after the newest stored capture, so a capture the sink
refused must still be stored (as an extraction failure, with its body for `reprocess`);
if even that fails, the crawl stops instead of skipping ahead. The database and the
Ingestor are real; only the first `put` is made to fail.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler

from policywatch.crawler.pipelines import IngestPipeline, SinkUnusable
from policywatch.db.connection import open_database
from policywatch.db.policies import add_policy
from policywatch.tracker.ingest import Ingestor
from policywatch.tracker.model import Capture

TEXT = "# Privacy\n\n" + "We collect your email address to run the service and never sell it. " * 12


class FailsOnce:
    """The real Ingestor, except that its first `put` raises (a bug in some extraction step)."""

    def __init__(self, ingestor: Ingestor) -> None:
        self.ingestor, self.calls = ingestor, []

    def put(self, capture: Capture):
        self.calls.append(capture)
        if len(self.calls) == 1:
            raise ValueError("segmenter exploded")
        return self.ingestor.put(capture)


def pipeline_with(sink, db) -> IngestPipeline:
    pipeline = IngestPipeline(save=False, progress=False)
    pipeline.crawler = get_crawler(Spider)
    pipeline.writer = SimpleNamespace(sink=sink, db=db)
    return pipeline


def capture(policy: str = "example") -> Capture:
    return Capture(policy=policy, source="wayback", url="https://example.org/privacy",
                   capture_time="2024-01-01T00:00:00Z", body=TEXT.encode(), http_status=200,
                   content_type="text/markdown", wayback_digest="DIGEST1")


@pytest.fixture
def db(tmp_path):
    db = open_database(tmp_path / "pw.db", create=True)
    add_policy(db, "https://example.org/privacy", name="example")
    yield db
    db.close()


def test_a_capture_the_sink_refused_is_stored_as_an_extraction_failure_with_its_body(db):
    sink = FailsOnce(Ingestor(db))
    pipeline = pipeline_with(sink, db)
    result = pipeline._put(capture())
    assert result.outcome == "extraction_failure" and result.version_id is None
    row = next(db.query("SELECT outcome, detail, blob_sha256, wayback_digest FROM captures"))
    assert row["outcome"] == "extraction_failure"
    assert row["detail"] == "ingest error: ValueError: segmenter exploded"
    assert row["blob_sha256"] is not None, "the body is kept for reprocess"
    assert row["wayback_digest"] == "DIGEST1", "the resume point is recorded"
    assert pipeline.crawler.stats.get_value("policywatch/ingest_errors") == 1
    assert [c.outcome for c in sink.calls] == ["ok", "extraction_failure"]


def test_a_sink_that_refuses_the_failure_record_too_stops_the_crawl(db):
    pipeline = pipeline_with(Ingestor(db), db)
    with pytest.raises(SinkUnusable):
        pipeline._put(capture(policy="nobody-tracks-this"))  # the real Ingestor refuses both
    assert db.execute("SELECT count(*) FROM captures").fetchone()[0] == 0
