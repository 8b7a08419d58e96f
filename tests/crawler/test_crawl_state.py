"""Remaining archive work derived from the database (db/crawl_state.py)."""
from __future__ import annotations

from policywatch.db.connection import memory_database
from policywatch.db.crawl_state import done_wayback_digests, stored_wayback_body, wayback_resume_time
from policywatch.db.policies import add_policy
from policywatch.testing.live_site import policy_html
from policywatch.tracker.ingest import Ingestor
from policywatch.tracker.model import Capture

URL = "https://ex.org/privacy"


def capture(time: str, digest: str, **kw) -> Capture:
    return Capture(policy=1, source="wayback", url=URL, capture_time=time, wayback_digest=digest, **kw)


def test_resume_goes_back_to_transient_failures_only() -> None:
    db = memory_database()
    add_policy(db, URL, name="ex")
    sink = Ingestor(db)
    assert wayback_resume_time(db, 1) is None and done_wayback_digests(db, 1) == set()
    sink.put(capture("2020-01-01T00:00:00Z", "A", body=policy_html("Privacy Policy").encode(), content_type="text/html"))
    sink.put(capture("2020-02-01T00:00:00Z", "B", outcome="network_error", detail="timeout"))
    sink.put(capture("2020-03-01T00:00:00Z", "C", outcome="not_a_policy", http_status=200))
    sink.put(capture("2020-04-01T00:00:00Z", "D", outcome="http_error", http_status=404))
    assert done_wayback_digests(db, 1) == {"A", "C", "D"}  # B failed transiently: not done
    assert wayback_resume_time(db, 1) == "2020-02-01T00:00:00Z"
    sink.put(capture("2020-02-01T00:00:00Z", "B", body=policy_html("Privacy").encode(), content_type="text/html"))
    assert wayback_resume_time(db, 1) == "2020-04-01T00:00:00Z"  # B fetched since: resume at the newest


def test_stored_body_for_a_flip_back() -> None:
    db = memory_database()
    add_policy(db, URL, name="ex")
    body = policy_html("Privacy Policy").encode()
    Ingestor(db).put(capture("2020-01-01T00:00:00Z", "A", body=body, content_type="text/html", http_status=200))
    Ingestor(db).put(capture("2020-02-01T00:00:00Z", "H", outcome="not_a_policy", detail="home"))
    stored = stored_wayback_body(db, 1, "A")
    assert stored["body"] == body and stored["content_type"] == "text/html"
    assert stored_wayback_body(db, 1, "H")["body"] is None
    assert stored_wayback_body(db, 1, "H")["outcome"] == "not_a_policy"
    assert stored_wayback_body(db, 1, "Z") is None


def test_validators_belong_to_one_url() -> None:
    from policywatch.db.crawl_state import live_validators_for

    db = memory_database()
    add_policy(db, URL, name="ex")
    Ingestor(db).put(Capture(policy=1, source="live", url=URL, capture_time="2024-01-01T00:00:00Z",
                             body=policy_html("Privacy Policy").encode(), content_type="text/html",
                             etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT"))
    assert live_validators_for(db, 1, URL) == ('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT")
    assert live_validators_for(db, 1, "https://ex.org/legal/privacy") == (None, None)
