"""Ingest: turn captures into captures/blobs/versions/changes rows.

``Ingestor.put`` is the one sink every source (live spider, wayback spider,
folder import, WARC import) hands captures to, and ``prepare_capture`` is the
one judgement of a body (extraction, quality gate, segmentation) that both
ingest and ``reprocess`` use. It is idempotent, keyed by the capture's
content hash, and writes each capture in one transaction, so a crawl killed
at any moment leaves nothing half-written and a re-run creates no duplicates.
CPU-heavy work (extraction, segmentation, classification) happens before the
transaction opens.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from policywatch.db import captures as capture_db
from policywatch.db import policies as policy_db
from policywatch.db.blobs import body_sha256, put_blob
from policywatch.db.connection import write_transaction
from policywatch.errors import InputError
from policywatch.tracker.model import Capture
from policywatch.tracker.versioning import AlertPolicy, PreparedText, place_text


@dataclass
class IngestResult:
    capture_id: int
    outcome: str
    version_id: int | None = None
    new_version: bool = False
    change_ids: list[int] = field(default_factory=list)
    alert_ids: list[str] = field(default_factory=list)
    duplicate: bool = False
    detail: str | None = None


def capture_key(policy_id: int, capture: Capture, body_sha: str | None) -> str:
    """Identity of a capture: same policy, source, URL, time and body => same capture."""
    parts = [str(policy_id), capture.source, capture.url, capture.capture_time, body_sha or "", capture.outcome]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def prepare_text(text: str) -> PreparedText:
    """Normalise, segment and classify a document's text (pure, no database)."""
    from policywatch.tracker.compare import classify_clauses
    from policywatch.tracker.effective_date import find_effective_date
    from policywatch.tracker.extract import EXTRACTOR_VERSION
    from policywatch.tracker.normalize import normalize_text, text_sha256
    from policywatch.tracker.quality import word_count
    from policywatch.tracker.segment import segment_text

    normalized = normalize_text(text)
    clauses = classify_clauses(segment_text(normalized))
    return PreparedText(
        text=normalized,
        text_sha256=text_sha256(normalized),
        clauses=clauses,
        effective_date=find_effective_date(normalized),
        word_count=word_count(normalized),
        extractor_version=EXTRACTOR_VERSION,
    )


def extract_capture_text(capture: Capture, policy: dict[str, Any]) -> tuple[str | None, str, str | None]:
    """Text of an ok capture, or the outcome that explains why there is none."""
    from policywatch.tracker.extract import extract_text
    from policywatch.tracker.extract.pdf import UnreadableDocument

    if not capture.body:
        return None, "extraction_failure", "The capture has an empty body."
    try:
        extracted = extract_text(
            capture.body,
            capture.content_type,
            capture.final_url or capture.url,
            select_css=policy.get("select_css"),
            remove_css=policy.get("remove_css"),
        )
    except UnreadableDocument as exc:
        return None, "extraction_failure", str(exc)
    except InputError as exc:
        return None, "unsupported_type", str(exc)
    return extracted.text, "ok", extracted.note


def prepare_capture(
    capture: Capture,
    policy: dict[str, Any],
    *,
    previous_words: int | None = None,
    judge: Callable[[str], Any] | None = None,
    extracted: Extracted | None = None,
) -> tuple[str, str | None, PreparedText | None]:
    """(outcome, detail, prepared text) of a capture's body: extraction, quality gate, segmentation.

    ``judge`` rates the extracted text (a ``quality.Quality``); ingest passes one that reads
    the policy's history (``shrink.judge_text``: a suspect shrink stays out unless confirmed),
    reprocess the plain gate against ``previous_words``, the word count of the version before.
    ``extracted`` is the work a crawl worker already did (distributed mode): only the judgement,
    which needs the history, is left to do here.
    """
    from policywatch.tracker.quality import assess_text

    if extracted is None:
        text, outcome, detail = extract_capture_text(capture, policy)
        ready = None
    else:
        text, outcome, detail, ready = extracted.text, extracted.outcome, extracted.detail, extracted.prepared
    if text is None:
        return outcome, detail, None
    quality = judge(text) if judge else assess_text(text, previous_words=previous_words)
    if quality.outcome != "ok":
        return quality.outcome, quality.detail, None
    if quality.detail.startswith("The text shrank"):  # a suspect shrink the history confirmed
        detail = " ".join(filter(None, [detail, quality.detail]))
    return "ok", detail, ready or prepare_text(text)


@dataclass
class Extracted:
    """The CPU-heavy part of ingest, done where the capture was fetched (a crawl worker).

    Plain and JSON-serialisable so it can travel with the capture to the one
    database writer, which then only judges quality against the previous version
    and writes. ``prepared`` is None when extraction found no text.
    """

    text: str | None
    outcome: str
    detail: str | None
    prepared: PreparedText | None

    def to_json(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {"text": self.text, "outcome": self.outcome, "detail": self.detail,
                "prepared": asdict(self.prepared) if self.prepared is not None else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Extracted":
        from policywatch.tracker.model import Clause

        raw = data.get("prepared")
        prepared = None
        if raw is not None:
            clauses = [Clause(**{**c, "heading": tuple(c["heading"]), "categories": tuple(c["categories"])})
                       for c in raw["clauses"]]
            prepared = PreparedText(**{**raw, "clauses": clauses})
        return cls(data.get("text"), data["outcome"], data.get("detail"), prepared)


def extract_and_prepare(capture: Capture, policy: dict[str, Any]) -> Extracted:
    """Extract, normalise, segment and classify an ok capture's body (no database)."""
    text, outcome, detail = extract_capture_text(capture, policy)
    return Extracted(text, outcome, detail, prepare_text(text) if text is not None else None)


class Ingestor:
    """The sink: ``put(capture)`` stores one capture and whatever it changes.

    ``alerts=False`` records changes without queuing alerts. Independently, a
    policy whose first history is still being ingested (its first import or
    first backfill) never alerts: a session that ends normally calls
    ``finish()`` (or is used as a context manager), which marks the policies it
    touched as seeded. A first backfill that is killed and resumed therefore
    stays quiet until it completes.
    """

    def __init__(self, db: Database, *, channels: Sequence[Any] = (), alerts: bool = True) -> None:
        self.db = db
        self.channels = list(channels)
        self.alerts = alerts
        self._seeded: dict[int, bool] = {}

    def __enter__(self) -> "Ingestor":
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            self.finish()

    def finish(self) -> None:
        """End of a complete session: the policies it gave a history to may alert from now on."""
        policy_db.mark_seeded(self.db, [pid for pid, seeded in self._seeded.items() if not seeded])

    def _alert_policy(self, policy: dict[str, Any]) -> AlertPolicy:
        if policy["id"] not in self._seeded:
            self._seeded[policy["id"]] = policy.get("seeded_at") is not None
        return AlertPolicy(enabled=self.alerts and self._seeded[policy["id"]], channels=self.channels)

    def put(self, capture: Capture, extracted: Extracted | None = None) -> IngestResult:
        """Store ``capture``; ``extracted`` is its text already extracted and prepared elsewhere."""
        policy = policy_db.get_policy(self.db, capture.policy)
        body_sha = body_sha256(capture.body) if capture.body is not None else None
        key = capture_key(policy["id"], capture, body_sha)
        existing = capture_db.find_capture(self.db, key)
        if existing is not None:
            return IngestResult(existing["id"], existing["outcome"], existing["version_id"], duplicate=True)
        alert_policy = self._alert_policy(policy)

        outcome, detail, prepared = capture.outcome, capture.detail, None
        if outcome == "ok":
            outcome, detail, prepared = self._prepare(capture, policy, extracted)

        with write_transaction(self.db):
            row = capture_db.find_capture(self.db, key)
            if row is not None:  # another writer won the race
                return IngestResult(row["id"], row["outcome"], row["version_id"], duplicate=True)
            if capture.body is not None:
                put_blob(self.db, capture.body, base_sha=capture_db.latest_blob(self.db, policy["id"]))
            capture_id = capture_db.insert_capture(self.db, self._capture_row(capture, policy, key, body_sha, outcome, detail))
            policy_db.record_check(
                self.db, policy["id"], outcome, capture.capture_time, live=capture.source == "live"
            )
            result = IngestResult(capture_id, outcome, detail=detail)
            if prepared is not None:
                placement = place_text(
                    self.db, policy, prepared, capture_id=capture_id,
                    capture_time=capture.capture_time, alerts=alert_policy,
                )
                capture_db.set_capture_version(self.db, capture_id, placement.version_id)
                result.version_id = placement.version_id
                result.new_version = placement.new_version
                result.change_ids = placement.change_ids
                result.alert_ids = placement.alert_ids
        return result

    def _prepare(self, capture: Capture, policy: dict[str, Any],
                 extracted: Extracted | None = None) -> tuple[str, str | None, PreparedText | None]:
        from policywatch.tracker.shrink import judge_text

        return prepare_capture(capture, policy, extracted=extracted,
                               judge=lambda text: judge_text(self.db, policy, capture.capture_time, text))

    @staticmethod
    def _capture_row(capture: Capture, policy: dict, key: str, body_sha: str | None, outcome: str, detail: str | None) -> dict:
        return {
            "capture_key": key,
            "policy_id": policy["id"],
            "source": capture.source,
            "url": capture.url,
            "final_url": capture.final_url,
            "capture_time": capture.capture_time,
            "fetched_at": policy_db.utc_now(),
            "http_status": capture.http_status,
            "content_type": capture.content_type,
            "outcome": outcome,
            "detail": detail,
            "blob_sha256": body_sha,
            "etag": capture.etag,
            "last_modified": capture.last_modified,
            "wayback_digest": capture.wayback_digest,
            "http_status_line": capture.http_status_line,
            "http_headers": json.dumps(capture.http_headers) if capture.http_headers is not None else None,
        }


def stored_capture(db: Database, row: dict[str, Any]) -> Capture:
    """A stored capture row back as the ``Capture`` that was put (body from the blob store)."""
    from policywatch.db.blobs import get_blob

    return Capture(
        policy=row["policy_id"], source=row["source"], url=row["url"], capture_time=row["capture_time"],
        body=get_blob(db, row["blob_sha256"]) if row["blob_sha256"] else None,
        http_status=row["http_status"], content_type=row["content_type"], outcome=row["outcome"],
        detail=row["detail"], final_url=row["final_url"], etag=row["etag"],
        last_modified=row["last_modified"], wayback_digest=row["wayback_digest"],
        http_status_line=row.get("http_status_line"),
        http_headers=[tuple(p) for p in json.loads(row["http_headers"])] if row.get("http_headers") else None,
    )
