"""WARC (ISO 28500) in and out: stored raw captures <-> the archiving world's interchange format.

Export writes every stored body as a ``response`` record carrying the HTTP
status line and headers recorded at capture time (a body seen before becomes an
identical-payload ``revisit``), after a ``warcinfo`` record naming policywatch.
Archive captures keep their Wayback time as ``WARC-Date`` and the original URL
as target, and name the replay they came from in ``WARC-Source-URI`` (pywb's
convention for records copied from another archive).

Import reads ``response``/``revisit``/``resource`` records of one policy's
URL(s) and hands them to ``ingest.Ingestor`` like any crawl (source ``warc``).
Framing, gzip members and digests are warcio's; a record that fails (truncated,
corrupt, digest mismatch) is reported on one line and the good ones are kept;
after a record whose framing is broken, reading resumes at the next record.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO, Callable
from urllib.parse import urljoin, urlsplit

from sqlite_utils import Database

from policywatch.db import captures as capture_db
from policywatch.db import policies as policy_db
from policywatch.db.crawl_state import archive_urls
from policywatch.errors import InputError, UsageError
from policywatch.tracker.folder_import import ImportSummary
from policywatch.tracker.ingest import Ingestor, stored_capture
from policywatch.tracker.model import Capture
from policywatch.tracker.warc_resync import next_record_start

PW = "WARC-Policywatch-"  # prefix of policywatch's own WARC header fields
# Body-framing headers that no longer describe the stored (decoded) body: kept under _ORIG, and
# Content-Length is set to the stored body's length.
_FRAMING = ("content-encoding", "transfer-encoding", "content-length")
_ORIG = "X-Policywatch-Orig-"


def software() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"policywatch/{version('policywatch')}"
    except PackageNotFoundError:  # running from a source tree without an install
        return "policywatch"


def payload_digest(body: bytes) -> str:
    """The WARC payload digest (sha1, base32) of a body, as warcio writes it."""
    import base64
    import hashlib

    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


# --- export ------------------------------------------------------------------------------


def _http_headers(capture: Capture) -> tuple[Any, bool]:
    """warcio StatusAndHeaders for a stored capture; False when they had to be reconstructed."""
    from warcio.statusandheaders import StatusAndHeaders

    body = capture.body or b""
    recorded = capture.http_status_line is not None and capture.http_headers is not None
    if recorded:
        protocol, _, status = (capture.http_status_line or "").partition(" ")
        pairs = [(k, v) for k, v in capture.http_headers or []]
    else:
        from http import HTTPStatus

        code = capture.http_status or 200
        protocol, status = "HTTP/1.1", f"{code} {HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else ''}"
        pairs = [("Content-Type", capture.content_type)] if capture.content_type else []
    length = str(len(body))
    headers = [(f"{_ORIG}{k}" if k.lower() in _FRAMING else k, v) for k, v in pairs
               if not (k.lower() == "content-length" and v.strip() == length)]
    headers.append(("Content-Length", length))
    return StatusAndHeaders(status.strip() or "200 OK", headers, protocol=protocol or "HTTP/1.1"), recorded


def _warc_fields(row: dict[str, Any], capture: Capture, archive_base: str, recorded: bool) -> dict[str, str]:
    fields = {
        "WARC-Date": capture.capture_time,
        f"{PW}Policy": row["policy_name"],
        f"{PW}Source": capture.source,
        f"{PW}Outcome": capture.outcome,
    }
    if capture.final_url and capture.final_url != capture.url:
        fields[f"{PW}Requested-URI"] = capture.url
    if not recorded:
        fields[f"{PW}HTTP-Headers"] = "reconstructed"
    if capture.source == "wayback":
        stamp = re.sub(r"\D", "", capture.capture_time)[:14]
        fields["WARC-Source-URI"] = f"{archive_base.rstrip('/')}/web/{stamp}id_/{capture.url}"
        fields["WARC-Creation-Date"] = row["fetched_at"]
        if capture.wayback_digest:
            fields[f"{PW}Wayback-Digest"] = capture.wayback_digest
    return fields


def export_warc(
    db: Database, out: str | Path, *, policy_ref: str | int | None = None, since: str | None = None,
    archive_base: str = "https://web.archive.org",
) -> int:
    """Write stored raw captures to a gzipped WARC; returns the number of capture records."""
    from warcio.warcwriter import WARCWriter

    policy_id = policy_db.get_policy(db, policy_ref)["id"] if policy_ref is not None else None
    rows = capture_db.stored_bodies(db, policy_id=policy_id, since=since)
    path = Path(out)
    try:
        handle = path.open("wb")
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror}.") from None
    with handle:
        writer = WARCWriter(handle, gzip=True)
        info = {"software": software(), "format": "WARC File Format 1.0",
                "description": "Raw captures of tracked privacy policies, exported by policywatch",
                "policies": ", ".join(sorted({r["policy_name"] for r in rows}))}
        writer.write_record(writer.create_warcinfo_record(path.name, info))
        # (policy, body sha256) -> (target URI, WARC-Date, record id): a revisit refers to its own policy's
        # record, so importing one policy from the file never needs another's.
        first_seen: dict[tuple[int, str], tuple[str, str, str]] = {}
        for row in rows:
            capture = stored_capture(db, row)
            http_headers, recorded = _http_headers(capture)
            fields = _warc_fields(row, capture, archive_base, recorded)
            uri = capture.final_url or capture.url
            seen = first_seen.get((row["policy_id"], row["blob_sha256"]))
            if urlsplit(uri).scheme not in ("http", "https"):  # e.g. a folder import's file: URI: no HTTP
                fields.pop(f"{PW}HTTP-Headers", None)
                record = writer.create_warc_record(uri, "resource", payload=BytesIO(capture.body or b""),
                                                   length=len(capture.body or b""), warc_headers_dict=fields,
                                                   warc_content_type=capture.content_type or "application/octet-stream")
            elif seen is None:
                record = writer.create_warc_record(uri, "response", payload=BytesIO(capture.body or b""),
                                                   length=len(capture.body or b""), http_headers=http_headers,
                                                   warc_headers_dict=fields)
                first_seen[(row["policy_id"], row["blob_sha256"])] = (
                    uri, capture.capture_time, record.rec_headers.get_header("WARC-Record-ID"))
            else:
                record = writer.create_revisit_record(uri, payload_digest(capture.body or b""), seen[0], seen[1],
                                                      http_headers=http_headers,
                                                      warc_headers_dict={**fields, "WARC-Refers-To": seen[2]})
            writer.write_record(record)
    return len(rows)


# --- import ------------------------------------------------------------------------------


def url_key(url: str) -> str:
    """Scheme-, case- and www-insensitive identity of a URL (a light SURT), for matching."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    path = parts.path.rstrip("/") or "/"
    return f"{host}{port}{path}" + (f"?{parts.query}" if parts.query else "")


@dataclass
class WarcImportSummary(ImportSummary):
    """An import's counts plus what the WARC itself held (``files`` counts the records ingested)."""

    records: int = 0  # response/revisit records read
    skipped: int = 0  # records of other URLs
    problems: list[str] = field(default_factory=list)  # corrupt/truncated records: exit code 2
    notices: list[str] = field(default_factory=list)  # e.g. a revisit of a record in another file


def _target(headers: Any, name: str = "WARC-Target-URI") -> str:
    """A URI field; wget writes them in angle brackets (as WARC 1.1's grammar once did)."""
    return (headers.get_header(name) or "").strip().removeprefix("<").removesuffix(">")


def _iso(warc_date: str) -> str:
    return warc_date[:19] + "Z" if len(warc_date) >= 19 else warc_date


def _selector(name: str, urls: Sequence[str], pattern: str | None) -> Callable[[Any], str | None]:
    """Which records are the policy's: the URL regex if given, else its URL(s) or policywatch's own
    ``WARC-Policywatch-Policy`` field. Returns the URL to record the capture under (None: not selected)."""
    regex = None
    if pattern:
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise UsageError(f"--url-filter {pattern!r} is not a valid regular expression ({exc}).") from None
    keys = {url_key(u) for u in urls if u}

    def select(headers: Any) -> str | None:
        uri = _target(headers)
        for candidate in (headers.get_header(f"{PW}Requested-URI"), uri):
            if candidate and (regex.search(candidate) if regex else url_key(candidate) in keys):
                return candidate
        if regex is None and headers.get_header(f"{PW}Policy") == name:
            return headers.get_header(f"{PW}Requested-URI") or uri
        return None

    return select


class _WarcReader:
    """One pass over a WARC: the selected records as captures, revisits resolved at the end.

    A selected record that redirects (3xx with Location) is a hop, not a capture:
    the record of its target becomes the capture of the selected URL (as a crawl
    that follows redirects records it).
    """

    def __init__(self, name: str, select: Callable[[Any], str | None], summary: WarcImportSummary) -> None:
        self.name, self.select, self.summary = name, select, summary
        self.found: list[tuple[Capture, int, tuple[str, str, str] | None]] = []  # capture, offset, refers-to
        self.index: dict[str, Capture] = {}  # record id / payload digest / "uri key|date" -> capture
        self.redirects: dict[str, str] = {}  # url key of a redirect target -> the selected URL

    def read(self, stream: BinaryIO) -> list[Capture]:
        self._pass(stream, self._record, report=True)
        missing = {key for _, _, refers_to in self.found if refers_to is not None
                   and not any(k in self.index for k in refers_to) for key in refers_to[:2] if key}
        if missing and stream.seekable():  # revisits of records of other URLs: fetch those bodies too
            stream.seek(0)
            self._pass(stream, lambda record, _: self._original(record, missing), report=False)
        return self._resolved()

    def _pass(self, stream: BinaryIO, handle: Callable[[Any, int], None], *, report: bool) -> None:
        """Every readable record; after a broken one, reading resumes at the next record start
        (a damaged record in the middle of a crawl must not lose the archive's later records)."""
        from warcio.archiveiterator import ArchiveIterator

        base = 0
        while True:
            iterator = ArchiveIterator(stream, check_digests=True)
            try:
                for record in iterator:
                    handle(record, base + iterator.offset)  # offset: start of this record
                return
            except Exception as exc:  # warcio raises several types for broken framing or gzip
                broken = base + iterator.offset
                resume = next_record_start(stream, broken + 1) if stream.seekable() else None
                if report:
                    then = (f"skipped to the next record at offset {resume}" if resume is not None
                            else "stopped there, the records before it are kept")
                    self.summary.problems.append(f"{self.name}: record at offset {broken} is unreadable "
                                                 f"({_reason(exc)}); {then}.")
                if resume is None:
                    return
                stream.seek(resume)
                base = resume

    def _original(self, record: Any, missing: set[str]) -> None:
        """Second pass: a record of another URL that a selected revisit refers to (by id or digest)."""
        headers = record.rec_headers
        keys = {headers.get_header("WARC-Record-ID"), headers.get_header("WARC-Payload-Digest")} & missing
        if record.rec_type == "response" and record.length is not None and keys:
            uri = _target(headers)
            original = _capture(record, uri, uri, record.content_stream().read())
            for key in keys:
                self.index.setdefault(key, original)

    def _record(self, record: Any, offset: int) -> None:
        if record.rec_type is None or record.length is None:  # every WARC header has both: this one was cut
            raise InputError("truncated: the file ends inside it")
        headers = record.rec_headers
        uri = _target(headers)
        requested = self._wanted(record, uri)
        body, undecodable = None, None
        if requested is not None:  # only these are decoded (chunked, gzip) and kept in memory
            try:
                body = record.content_stream().read()
            except Exception as exc:  # e.g. a body that says gzip and is not
                undecodable = f"has a payload that cannot be decoded ({_reason(exc)})"
        while record.raw_stream.read(65536):  # the rest of the record (digests are checked on the way)
            pass
        if getattr(record.raw_stream, "limit", 0) > 0:
            raise InputError(f"truncated: the file ends inside it, {record.raw_stream.limit} of its "
                             f"{record.length} bytes missing")
        if record.digest_checker.passed is False:  # framing intact, content damaged: skip this one only
            undecodable = f"is corrupt ({'; '.join(map(str, record.digest_checker.problems)) or 'digest mismatch'})"
        if undecodable:
            self.summary.problems.append(f"{self.name}: record at offset {offset} {undecodable}; skipped it.")
            return
        if requested is None or body is None:
            return
        capture = _capture(record, uri, requested, body)
        location = record.http_headers.get_header("Location") if record.http_headers is not None else None
        if capture.http_status and 300 <= capture.http_status < 400 and location:
            self.redirects[url_key(urljoin(uri, location))] = requested
            return
        refers_to = None
        if record.rec_type == "revisit":
            refers_to = (headers.get_header("WARC-Refers-To") or "", headers.get_header("WARC-Payload-Digest") or "",
                         f"{url_key(_target(headers, 'WARC-Refers-To-Target-URI') or uri)}|"
                         f"{_iso(headers.get_header('WARC-Refers-To-Date') or '')}")
        else:
            for key in (headers.get_header("WARC-Record-ID"), headers.get_header("WARC-Payload-Digest"),
                        f"{url_key(uri)}|{capture.capture_time}"):
                if key:
                    self.index.setdefault(key, capture)
        self.found.append((capture, offset, refers_to))

    def _wanted(self, record: Any, uri: str) -> str | None:
        """The URL to record a selected capture under; None for other records (counted as skipped)."""
        if record.rec_type not in ("response", "revisit", "resource"):
            return None
        if record.rec_type == "resource" and urlsplit(uri).scheme not in ("http", "https", "file"):
            return None  # e.g. wget's log and arguments (metadata:// URIs)
        self.summary.records += 1
        requested = self.select(record.rec_headers) or self.redirects.get(url_key(uri))
        if requested is None:
            self.summary.skipped += 1
        return requested

    def _resolved(self) -> list[Capture]:
        captures = []
        for capture, offset, refers_to in self.found:
            if refers_to is not None:
                original = next((self.index[k] for k in refers_to if k in self.index), None)
                if original is None:
                    self.summary.notices.append(f"{self.name}: revisit at offset {offset} refers to a record "
                                                "not in this file (or not selected); skipped.")
                    continue
                _resolve(capture, original)
            captures.append(capture)
        return captures


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _capture(record: Any, uri: str, requested: str, body: bytes) -> Capture:
    """The capture a record stands for (a ``resource`` record has no HTTP: it counts as a 200)."""
    http = record.http_headers
    try:
        status = int(http.get_statuscode()) if http is not None else 200
    except (TypeError, ValueError):
        status = 0
    ok = 200 <= status < 300
    revisit = record.rec_type == "revisit"
    content_type = http.get_header("Content-Type") if http is not None else record.content_type
    return Capture(
        policy=0, source="warc", url=requested, capture_time=_iso(record.rec_headers.get_header("WARC-Date")),
        body=body if ok and not revisit else None, http_status=status or None, content_type=content_type,
        outcome="ok" if ok or revisit else "http_error",
        detail=None if ok or revisit else f"HTTP {status} in the WARC",
        final_url=uri if requested != uri else None,
        http_status_line=f"{http.protocol} {http.statusline}".strip() if http is not None else None,
        http_headers=[(k, v) for k, v in http.headers] if http is not None else None,
    )


def _resolve(revisit: Capture, original: Capture) -> None:
    """A revisit is the original's body at the revisit's time (a 304 keeps the original's status)."""
    revisit.body, revisit.outcome, revisit.detail = original.body, original.outcome, original.detail
    if not revisit.http_status or revisit.http_status == 304 or not 200 <= revisit.http_status < 300:
        revisit.http_status = original.http_status
    revisit.content_type = revisit.content_type or original.content_type


def import_warc(
    db: Database, warc: str | Path, name: str, *, url: str | None = None, url_filter: str | None = None,
    channels: Sequence[Any] = (), progress: Callable[[int, int], None] | None = None,
) -> WarcImportSummary:
    """Ingest a WARC's records of one policy (``policywatch import --warc``), oldest first."""
    if not name or not name.strip():
        raise UsageError("--name must not be empty.")
    policy = policy_db.find_policy(db, name)
    urls = [u for u, _ in archive_urls(db, policy["id"])] if policy else [url or ""]
    path = Path(warc)
    summary = WarcImportSummary()
    try:
        with path.open("rb") as stream:
            captures = _WarcReader(path.name, _selector(name, urls, url_filter), summary).read(stream)
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror}.") from None
    if not captures and summary.problems:
        raise InputError(summary.problems[0].replace("the records before it are kept", "nothing was imported"))
    if not captures:
        what = f"URLs matching {url_filter!r}" if url_filter else " or ".join(u for u in urls if u) or f"policy {name!r}"
        hint = "" if url or url_filter or policy else " (pass --url or --url-filter to say which records are the policy)"
        raise InputError(f"{path.name} holds no response record of {what}{hint}.")
    captures.sort(key=lambda c: c.capture_time)
    policy = policy or policy_db.ensure_policy(db, name, url or captures[0].url)
    with Ingestor(db, channels=channels) as ingestor:
        for index, capture in enumerate(captures, 1):
            capture.policy = policy["id"]
            summary.count(ingestor.put(capture))
            if progress:
                progress(index, len(captures))
    return summary
