"""A live capture and an imported file with the same capture time: the version chain must not
depend on which one was ingested first (it used to, and the two renderings then alternated as
high-severity changes)."""
from __future__ import annotations

import itertools

from policywatch.db import versions as version_db
from policywatch.db.connection import open_database
from policywatch.tracker.ingest import Ingestor
from policywatch.tracker.model import Capture
from tests.conftest import DEMO_DATA

TEXTS = sorted((DEMO_DATA / "sourcehut").glob("*.md"))
TIE = "2024-05-01T00:00:00Z"


def chain(tmp_path, name: str, order: list[str]) -> list[tuple[str, str]]:
    db = open_database(tmp_path / f"{name}.db", create=True)
    db.execute("INSERT INTO policies (name, url, created_at) VALUES ('p', 'https://p.example/privacy', 't')")
    first, second = TEXTS[-2].read_text(encoding="utf-8"), TEXTS[-1].read_text(encoding="utf-8")
    live_rendering = second.replace("# ", "## ", 1) + "\n\nLast reviewed: May 2024. We may sell your data to data brokers."
    captures = {
        "base": Capture(policy="p", source="import", url="file:base.md", capture_time="2024-01-01T00:00:00Z",
                        body=first.encode(), content_type="text/markdown"),
        "live": Capture(policy="p", source="live", url="https://p.example/privacy", capture_time=TIE,
                        body=live_rendering.encode(), content_type="text/markdown", http_status=200),
        "import": Capture(policy="p", source="import", url="file:tie.md", capture_time=TIE,
                          body=second.encode(), content_type="text/markdown"),
        "later": Capture(policy="p", source="live", url="https://p.example/privacy",
                         capture_time="2024-06-01T00:00:00Z", body=live_rendering.encode(),
                         content_type="text/markdown", http_status=200),
    }
    ingestor = Ingestor(db, alerts=False)
    for key in order:
        ingestor.put(captures[key])
    versions = [
        (v["capture_time"], v["text_sha256"]) for v in version_db.policy_versions(db, 1)
    ]
    changes = [tuple(r) for r in db.execute(
        "SELECT f.text_sha256, t.text_sha256, c.severity FROM changes c JOIN versions f ON f.id = c.from_version_id "
        "JOIN versions t ON t.id = c.to_version_id WHERE c.superseded = 0 ORDER BY t.capture_time, t.text_sha256"
    ).fetchall()]
    db.close()
    return versions + [("change",) + c for c in changes]


def test_tied_captures_give_one_chain_whatever_the_ingest_order(tmp_path):
    results = {
        order: chain(tmp_path, "-".join(order), ["base", *order, "later"])
        for order in itertools.permutations(["live", "import"])
    }
    distinct = {tuple(r) for r in results.values()}
    assert len(distinct) == 1, results
    [result] = distinct
    # the later live capture repeats a text of the tie: recorded as a flip, never a new high change
    assert result[-1][-1] == "none"
