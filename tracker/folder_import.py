"""Folder import (``policywatch import DIR --name N``): dated files -> captures of one policy.

Every file is read and validated before anything is written, then each one is
handed to the same sink as a crawl (``ingest.Ingestor``), so dedup, versioning,
quality outcomes and the quiet first import are the crawl's own.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sqlite_utils import Database

from policywatch.db import policies as policy_db
from policywatch.errors import InputError, UsageError
from policywatch.tracker.ingest import Ingestor, IngestResult
from policywatch.tracker.model import Capture

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
    """What an import did, counted from the sink's results (folder and WARC import alike)."""

    files: int = 0
    new_versions: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    # Files that add nothing new but are no error: the text of a version already known (flips, repeats).
    same_text: int = 0
    # Of ``duplicates``: files an earlier import stored as rejected, by outcome.
    rejected_before: dict[str, int] = field(default_factory=dict)
    changes: int = 0
    alerts: int = 0

    def count(self, result: IngestResult) -> None:
        self.files += 1
        if result.duplicate:
            self.duplicates += 1
            if result.outcome != "ok":
                self.rejected_before[result.outcome] = self.rejected_before.get(result.outcome, 0) + 1
        elif result.outcome != "ok":
            self.rejected[result.outcome] = self.rejected.get(result.outcome, 0) + 1
        elif not result.new_version:
            self.same_text += 1
        self.new_versions += int(result.new_version)
        self.changes += len(result.change_ids)
        self.alerts += len(result.alert_ids)


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
            summary.count(result)
            if progress:
                progress(index, len(files))
    return summary
