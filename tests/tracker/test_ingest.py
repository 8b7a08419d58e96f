"""Ingest: idempotence, capture-time ordering, backfill re-linking, flips, failures, alerts."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from policywatch.db.policies import add_policy
from tests.conftest import DEMO_DATA
from policywatch.tracker.config import parse_config
from policywatch.tracker.folder_import import import_directory
from policywatch.tracker.ingest import Ingestor
from policywatch.tracker.model import Capture
from policywatch.tracker.reprocess import reprocess

SOURCEHUT = DEMO_DATA / "sourcehut"

BASE = """# Example privacy policy

Last updated: January 1, 2024

## What we collect

We collect your email address and your username when you register. We also keep the
IP address of your device and basic technical logs for up to 30 days, to keep the service secure.

## Sharing

We do not sell your personal information.

We share information with service providers who host our website.

## Your rights

You can ask us to delete your account at any time. You can also ask for a copy of the
personal data we hold about you, or ask us to correct it, by writing to privacy@example.org.

## Changes to this policy

We will notify you by email before any change to this policy takes effect.
"""
SELLING = BASE.replace(
    "We do not sell your personal information.",
    "We may sell your personal information to data brokers and advertisers.",
)
REWORDED = BASE.replace("host our website", "host and operate our website")


def webhook_channels():
    return parse_config({"alerts": [{"kind": "webhook", "url": "http://127.0.0.1:9/hook"}]}).channels


def cap(policy: str, when: str, text: str, source: str = "live", **kw) -> Capture:
    return Capture(policy=policy, source=source, url="https://example.org/privacy", capture_time=when,
                   body=text.encode(), content_type="text/markdown", **kw)


def counts(db) -> dict[str, int]:
    return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("captures", "blobs", "versions", "clause_texts", "changes", "clause_changes", "alerts")}


@pytest.fixture
def example(fresh_db):
    add_policy(fresh_db, "https://example.org/privacy", name="example")
    return fresh_db


def test_import_twice_adds_nothing(fresh_db):
    first = import_directory(fresh_db, SOURCEHUT, "sourcehut")
    after_first = counts(fresh_db)
    second = import_directory(fresh_db, SOURCEHUT, "sourcehut")
    assert first.files == 8 and first.new_versions >= 6
    assert second.duplicates == 8 and second.new_versions == 0
    assert counts(fresh_db) == after_first


def test_versions_follow_capture_time_and_first_import_is_quiet(fresh_db):
    import_directory(fresh_db, SOURCEHUT, "sourcehut", channels=webhook_channels())
    times = [r[0] for r in fresh_db.execute("SELECT capture_time FROM versions ORDER BY id")]
    assert times == sorted(times)
    assert counts(fresh_db)["alerts"] == 0, "the first import records history without alerting"


def test_backfill_between_known_versions_relinks_neighbours(tmp_path, fresh_db):
    files = sorted(SOURCEHUT.glob("*.md"))
    early, late = tmp_path / "early", tmp_path / "late"
    early.mkdir(), late.mkdir()
    for f in (files[0], files[4]):
        shutil.copy(f, early / f.name)
    shutil.copy(files[3], late / files[3].name)
    import_directory(fresh_db, early, "sh")
    direct = fresh_db.execute("SELECT id FROM changes WHERE superseded = 0").fetchall()
    assert len(direct) == 1
    import_directory(fresh_db, late, "sh")
    live = fresh_db.execute(
        "SELECT f.capture_time, t.capture_time FROM changes c JOIN versions f ON f.id = c.from_version_id "
        "JOIN versions t ON t.id = c.to_version_id WHERE c.superseded = 0 ORDER BY t.capture_time"
    ).fetchall()
    assert [pair[1][:10] for pair in live] == ["2025-06-25", "2025-07-10"]
    assert live[0][0][:10] == "2022-11-01" and live[1][0][:10] == "2025-06-25"
    assert fresh_db.execute("SELECT superseded FROM changes WHERE id = ?", [direct[0][0]]).fetchone()[0] == 1


def test_material_change_on_latest_version_queues_one_alert_per_channel(example):
    with Ingestor(example, channels=webhook_channels()) as ingestor:
        ingestor.put(cap("example", "2024-01-01T00:00:00Z", BASE))
        ingestor.put(cap("example", "2024-02-01T00:00:00Z", REWORDED))
    quiet = counts(example)["alerts"]
    assert quiet == 0, "first history of the policy in this ingest session never alerts"
    later = Ingestor(example, channels=webhook_channels())
    result = later.put(cap("example", "2024-03-01T00:00:00Z", SELLING))
    assert result.new_version and len(result.alert_ids) == 1
    change = json.loads(
        json.dumps(list(example.query("SELECT material, severity, categories FROM changes WHERE id = ?", [result.change_ids[0]])))
    )[0]
    assert change["material"] == 1 and "sale" in json.loads(change["categories"])
    again = later.put(cap("example", "2024-03-01T00:00:00Z", SELLING))
    assert again.duplicate and counts(example)["alerts"] == 1


def test_interrupted_first_history_stays_quiet_until_a_session_completes(example):
    interrupted = Ingestor(example, channels=webhook_channels())
    interrupted.put(cap("example", "2024-01-01T00:00:00Z", BASE))  # killed: finish() never runs
    with Ingestor(example, channels=webhook_channels()) as resumed:
        assert resumed.put(cap("example", "2024-02-01T00:00:00Z", SELLING)).alert_ids == []
    assert next(example.query("SELECT seeded_at FROM policies"))["seeded_at"] is not None
    after = Ingestor(example, channels=webhook_channels()).put(cap("example", "2024-03-01T00:00:00Z", BASE))
    assert after.alert_ids == [], "a flip back never alerts"
    fresh = Ingestor(example, channels=webhook_channels()).put(
        cap("example", "2024-04-01T00:00:00Z", SELLING.replace("data brokers", "data brokers and insurers"))
    )
    assert len(fresh.alert_ids) == 1


def test_version_inserted_before_latest_never_alerts(example):
    with Ingestor(example, channels=webhook_channels()) as ingestor:
        ingestor.put(cap("example", "2024-01-01T00:00:00Z", BASE))
    later = Ingestor(example, channels=webhook_channels())
    later.put(cap("example", "2024-06-01T00:00:00Z", REWORDED))
    result = later.put(cap("example", "2024-03-01T00:00:00Z", SELLING, source="wayback"))
    assert result.new_version and result.alert_ids == []
    assert counts(example)["alerts"] == 0


def test_flip_back_to_known_text_is_recognised_and_not_material(example):
    with Ingestor(example, channels=webhook_channels()) as ingestor:
        ingestor.put(cap("example", "2024-01-01T00:00:00Z", BASE))
    later = Ingestor(example, channels=webhook_channels())
    first = later.put(cap("example", "2024-02-01T00:00:00Z", SELLING))
    back = later.put(cap("example", "2024-02-02T00:00:00Z", BASE))
    again = later.put(cap("example", "2024-02-03T00:00:00Z", SELLING))
    assert len(first.alert_ids) == 1
    assert back.alert_ids == [] and again.alert_ids == [], "a flip alerts at most once"
    flips = example.execute("SELECT count(*) FROM changes WHERE is_flip = 1 AND material = 0").fetchone()[0]
    assert flips == 2
    first_base = example.execute("SELECT min(id) FROM versions WHERE capture_time = '2024-01-01T00:00:00Z'").fetchone()[0]
    assert example.execute("SELECT flip_of FROM versions WHERE capture_time = '2024-02-02T00:00:00Z'").fetchone()[0] == first_base


def test_same_text_captured_again_extends_the_version(example):
    ingestor = Ingestor(example)
    one = ingestor.put(cap("example", "2024-01-01T00:00:00Z", BASE))
    two = ingestor.put(cap("example", "2024-01-02T00:00:00Z", BASE.replace("  ", " ") + "\n\n"))
    assert two.version_id == one.version_id and not two.new_version
    earlier = ingestor.put(cap("example", "2023-12-01T00:00:00Z", BASE, source="wayback"))
    assert earlier.version_id == one.version_id
    assert example.execute("SELECT capture_time FROM versions").fetchone()[0] == "2023-12-01T00:00:00Z"


@pytest.mark.parametrize(
    "capture, outcome",
    [
        (Capture("example", "live", "https://example.org/privacy", "2024-01-05T00:00:00Z", None, 500, outcome="http_error", detail="HTTP 500"), "http_error"),
        (Capture("example", "live", "https://example.org/privacy", "2024-01-05T00:00:00Z", b"", 200, "text/html"), "extraction_failure"),
        (Capture("example", "live", "https://example.org/privacy", "2024-01-05T00:00:00Z", b"%PDF-1.4 binary\x00\x01", 200, "application/pdf"), "unsupported_type"),
        (Capture("example", "live", "https://example.org/privacy", "2024-01-05T00:00:00Z", b"<html><body><p>Redirecting to legal.example.org</p></body></html>", 200, "text/html"), "extraction_failure"),
    ],
)
def test_failed_captures_are_recorded_without_versions(example, capture, outcome):
    Ingestor(example).put(cap("example", "2024-01-01T00:00:00Z", BASE))
    result = Ingestor(example).put(capture)
    assert result.outcome == outcome and result.version_id is None
    assert counts(example)["versions"] == 1
    row = next(example.query("SELECT outcome, detail FROM captures WHERE id = ?", [result.capture_id]))
    assert row["outcome"] == outcome and row["detail"]
    assert next(example.query("SELECT consecutive_failures FROM policies"))["consecutive_failures"] == 1


def test_storage_is_content_addressed(fresh_db):
    import_directory(fresh_db, SOURCEHUT, "sourcehut")
    clause_refs = fresh_db.execute("SELECT count(*) FROM version_clauses").fetchone()[0]
    distinct = fresh_db.execute("SELECT count(*) FROM clause_texts").fetchone()[0]
    assert distinct < clause_refs / 2


def test_capture_round_trips_through_json():
    c = cap("example", "2024-01-01T00:00:00Z", BASE, etag='"abc"')
    assert Capture.from_json(json.loads(json.dumps(c.to_json()))) == c


def test_reprocess_with_unchanged_extraction_changes_nothing(fresh_db):
    import_directory(fresh_db, SOURCEHUT, "sourcehut")
    before = counts(fresh_db)
    lines = list(reprocess(fresh_db, "sourcehut"))
    assert "unchanged" in lines[0] and counts(fresh_db) == before


def test_reprocess_after_extraction_change_is_a_quiet_technical_upgrade(example):
    page = "<html><body><nav>Home Blog</nav><main>{}<div class='promo'><p>Download our app for the best experience of our privacy features.</p></div></main></body></html>"
    paragraphs = "".join(f"<p>{p}</p>" for p in BASE.split("\n\n") if p.strip() and not p.startswith("#"))
    html = page.format("<h1>Example privacy policy</h1>" + paragraphs).encode()
    Ingestor(example, channels=webhook_channels()).put(
        Capture("example", "live", "https://example.org/privacy", "2024-01-01T00:00:00Z", html, 200, "text/html")
    )
    example.execute("UPDATE policies SET remove_css = '.promo'")
    lines = list(reprocess(example, "example"))
    assert "technical upgrade" in lines[0]
    upgrade = next(example.query("SELECT * FROM changes WHERE technical_upgrade = 1"))
    assert upgrade["material"] == 0
    assert counts(example)["alerts"] == 0
    assert example.execute("SELECT count(*) FROM versions WHERE current = 1").fetchone()[0] == 1
