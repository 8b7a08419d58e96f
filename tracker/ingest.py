"""Ingest: turn captures into captures/blobs/versions/changes rows.

``Ingestor.put`` is the one sink every source (live spider, wayback spider,
folder import) hands captures to. It is idempotent, keyed by the capture's
content hash, and writes each capture in one transaction, so a crawl killed
at any moment leaves nothing half-written and a re-run creates no duplicates.
CPU-heavy work (extraction, segmentation, classification) happens before the
transaction opens.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sqlite_utils import Database

from policywatch.db import captures as capture_db
from policywatch.db import policies as policy_db
from policywatch.db import versions as version_db
from policywatch.db.blobs import body_sha256, put_blob
from policywatch.db.connection import write_transaction
from policywatch.errors import InputError, UsageError
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
    except InputError as exc:
        return None, "unsupported_type", str(exc)
    return extracted.text, "ok", None


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
            if capture_db.find_capture(self.db, key) is not None:  # another writer won the race
                row = capture_db.find_capture(self.db, key)
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
        from policywatch.tracker.quality import assess_text

        if extracted is None:
            text, outcome, detail = extract_capture_text(capture, policy)
        else:  # a crawl worker extracted and segmented it already (distributed mode)
            text, outcome, detail = extracted.text, extracted.outcome, extracted.detail
        if text is None:
            return outcome, detail, None
        prev, _ = version_db.neighbours(self.db, policy["id"], capture.capture_time)
        quality = assess_text(text, previous_words=prev["word_count"] if prev else None)
        if quality.outcome != "ok":
            return quality.outcome, quality.detail, None
        prepared = extracted.prepared if extracted is not None and extracted.prepared is not None else None
        return "ok", None, prepared or prepare_text(text)

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
        }


# --- folder import -------------------------------------------------------------------------

_STAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2})[-:](\d{2})[-:](\d{2})Z\.(md|markdown|txt|html|htm)$")
_CONTENT_TYPES = {"md": "text/markdown", "markdown": "text/markdown", "txt": "text/plain", "html": "text/html", "htm": "text/html"}


@dataclass
class ImportFile:
    path: Path
    capture_time: str
    content_type: str
    body: bytes


def scan_import_dir(directory: str | Path) -> list[ImportFile]:
    """Read and validate every dated file first, so bad input writes nothing."""
    folder = Path(directory)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a directory of dated version files.")
    files: list[ImportFile] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        match = _STAMP.match(path.name)
        if not match:
            raise InputError(
                f"{path.name}: file names must be UTC capture times like 2024-01-31T12-00-00Z.md (or .html)."
            )
        y, mo, d, h, mi, s, ext = match.groups()
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise InputError(f"Cannot read {path}: {exc.strerror}.") from None
        _check_textual(path, body)
        files.append(ImportFile(path, f"{y}-{mo}-{d}T{h}:{mi}:{s}Z", _CONTENT_TYPES[ext.lower()], body))
    if not files:
        raise InputError(f"{folder} holds no dated version files (expected names like 2024-01-31T12-00-00Z.md).")
    files.sort(key=lambda f: f.capture_time)
    return files


def _check_textual(path: Path, body: bytes) -> None:
    if b"\x00" in body[:65536] or body.startswith(b"%PDF"):
        raise InputError(f"{path.name} is binary, not text or HTML.")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        try:
            body.decode("cp1252")
        except UnicodeDecodeError:
            raise InputError(f"{path.name} is not valid text (neither UTF-8 nor Windows-1252).") from None


@dataclass
class ImportSummary:
    files: int = 0
    new_versions: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    changes: int = 0
    alerts: int = 0


def import_directory(
    db: Database,
    directory: str | Path,
    name: str,
    *,
    url: str | None = None,
    channels: Sequence[Any] = (),
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Ingest a folder of dated files as one policy's history (``policywatch import``)."""
    if not name or not name.strip():
        raise UsageError("--name must not be empty.")
    files = scan_import_dir(directory)
    folder_url = url or Path(directory).resolve().as_uri()
    policy = policy_db.find_policy(db, name) or policy_db.ensure_policy(db, name, folder_url)
    summary = ImportSummary()
    with Ingestor(db, channels=channels) as ingestor:
        for index, item in enumerate(files, 1):
            result = ingestor.put(
                Capture(
                    policy=policy["id"], source="import", url=item.path.resolve().as_uri(),
                    capture_time=item.capture_time, body=item.body, content_type=item.content_type,
                )
            )
            _count(summary, result)
            if progress:
                progress(index, len(files))
    return summary


def _count(summary: ImportSummary, result: IngestResult) -> None:
    summary.files += 1
    if result.duplicate:
        summary.duplicates += 1
    elif result.outcome != "ok":
        summary.rejected[result.outcome] = summary.rejected.get(result.outcome, 0) + 1
    summary.new_versions += int(result.new_version)
    summary.changes += len(result.change_ids)
    summary.alerts += len(result.alert_ids)

