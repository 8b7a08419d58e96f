"""The Wayback Machine's CDX index and ``id_`` replay URLs, as plain functions.

waybackpy builds the query string (``full_url`` repeats ``filter``/``collapse``
correctly) and parses records (``CDXSnapshot``); it is never used for I/O here
because it blocks and does not retry 429s. Scrapy does the fetching.

``collapse=digest`` only drops ADJACENT rows with the same digest, so a page
that flips A -> B -> A lists A twice: ``plan_rows`` decides, per row, whether to
fetch it (a digest never seen), reuse a stored body (a digest seen before, so
the flip is still recorded without a download) or skip it (already recorded).

Every status is listed (no ``statuscode:200`` filter): archived redirects and
``warc/revisit`` rows (status ``-``) are part of a policy's history. A digest is
the base32 SHA-1 of the raw archived body (``archive_digest``), so an ``id_``
body can be checked against the row that asked for it: same-second twins share
one replay URL and only one of them can be served there.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit

from waybackpy.cdx_snapshot import CDXSnapshot
from waybackpy.cdx_utils import full_url

DEFAULT_BASE = "https://web.archive.org"
CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
_ARCHIVE_PATH = re.compile(r"^/web/(\d{1,14})(?:[a-z]{2}_)?/(.+)$", re.DOTALL)
_DIGEST = re.compile(r"^[A-Z2-7]{32}$")
_SINCE = re.compile(r"^\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2})?)?)?)?)?$")


@dataclass(frozen=True)
class CdxPage:
    """One page of CDX rows plus the key that asks for the next page (None at the end)."""

    snapshots: list[CDXSnapshot]
    resume_key: str | None


@dataclass(frozen=True)
class PlannedRow:
    """What to do with one CDX row: ``fetch``, ``reuse`` (known digest) or ``skip``."""

    action: str
    snapshot: CDXSnapshot


def cdx_url(
    base: str,
    url: str,
    *,
    since: str | None = None,
    until: str | None = None,
    limit: int = 500,
    resume_key: str | None = None,
    digest: str | None = None,
) -> str:
    """The CDX query for one policy URL: every status, every row, paged.

    Not ``collapse=digest``: it hides the twin of a second whose other digest equals the
    row before, and those hidden rows are where a twin's digest can be served from.
    ``plan_rows`` collapses adjacent equal digests itself. With ``digest``: every row
    carrying that digest, to find a second where the archive serves it.
    """
    params: dict[str, str] = {"url": url, "output": "json"}
    if digest:
        params = {"url": url, "output": "json", "filter": f"digest:{digest}"}
    if since:
        params["from"] = since
    if until:
        params["to"] = until
    params["showResumeKey"] = "true"
    params["limit"] = str(limit)
    if resume_key:
        params["resumeKey"] = resume_key
    return full_url(f"{base.rstrip('/')}/cdx/search/cdx", params)


def parse_cdx_json(text: str) -> CdxPage:
    """Rows of a ``output=json`` answer; an empty row separates the resume key, if any."""
    text = text.strip()
    if not text:
        return CdxPage([], None)
    rows = json.loads(text)
    if not rows:
        return CdxPage([], None)
    header, body = rows[0], rows[1:]
    resume_key = None
    if len(body) >= 2 and body[-2] == [] and len(body[-1]) == 1:
        resume_key = body[-1][0]
        body = body[:-2]
    elif body and len(body[-1]) == 1 and len(header) > 1:
        resume_key, body = body[-1][0], body[:-1]
    fields = [str(h) for h in header]
    snapshots = []
    for row in body:
        if len(row) != len(fields):
            continue
        record = dict(zip(fields, row))
        record.setdefault("length", "-")
        if not all(k in record for k in CDX_FIELDS):
            continue
        try:
            snapshots.append(CDXSnapshot(record))
        except ValueError:  # a malformed timestamp: skip the row, keep the page
            continue
    return CdxPage(snapshots, resume_key or None)


def row_key(snap: CDXSnapshot) -> tuple[str, str]:
    """What makes a row distinct: its second and its digest (exact duplicate rows share it)."""
    return snap.timestamp, snap.digest


def plan_rows(snapshots: Iterable[CDXSnapshot], stored: set[str], seen: set[str],
              recorded: set[tuple[str, str]] | None = None, listed: set[tuple[str, str]] | None = None,
              previous: str | None = None) -> list[PlannedRow]:
    """Decide per row; ``seen`` (digests being fetched in this run) and ``listed`` are updated in place.

    ``stored``: digests whose answer is stored (a body, or a redirect/archived error).
    ``recorded``: ``(timestamp, digest)`` rows already captured (a re-listed row is skipped).
    ``previous``: digest of the row listed just before (a row repeating it is collapsed, as
    ``collapse=digest`` would: an unchanged page is not a new capture).
    A digest stored or being fetched is not downloaded again: the row is ``reuse``d
    (its body comes from the database) so a flip back is still recorded at its time.
    """
    plan = []
    listed = set() if listed is None else listed
    for snap in snapshots:
        key = row_key(snap)
        if key in listed or (recorded and key in recorded):
            previous = snap.digest
            continue  # an exact duplicate row, the overlap of two pages, or done by an earlier run
        listed.add(key)
        if snap.digest == previous:
            continue  # unchanged since the row before
        previous = snap.digest
        if snap.digest in stored or snap.digest in seen:
            plan.append(PlannedRow("reuse", snap))
        else:
            seen.add(snap.digest)
            plan.append(PlannedRow("fetch", snap))
    return plan


def archive_digest(body: bytes) -> str:
    """The archive's digest of a raw body: base32 of its SHA-1."""
    return base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def checkable(digest: str) -> bool:
    """Whether a CDX digest is a base32 SHA-1 a body can be checked against."""
    return bool(_DIGEST.match(digest or ""))


def page_key(url: str) -> str:
    """A URL as the archive keys it (scheme, ``www``, default port, trailing ``/`` or ``?`` ignored)."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = re.sub(r"^www\d*\.", "", (parts.hostname or "").lower())
    if parts.port and parts.port not in (80, 443):
        host += f":{parts.port}"
    path = (parts.path or "/").rstrip("/").lower() or "/"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return host + path + (f"?{query}" if query else "")


def capture_url(base: str, timestamp: str, original: str) -> str:
    """Raw (``id_``) replay URL: the archived bytes without the Wayback toolbar or rewriting."""
    return f"{base.rstrip('/')}/web/{timestamp}id_/{original}"


def split_archive_url(url: str) -> tuple[str, str] | None:
    """``(timestamp, original)`` of an archive URL (``/web/<ts>[xx_]/<original>``), else None."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    match = _ARCHIVE_PATH.match(path)
    if not match:
        return None
    original = match.group(2)
    if re.match(r"^https?:/[^/]", original):  # some proxies squash "//"
        original = original.replace(":/", "://", 1)
    return match.group(1), original


def timestamp_to_iso(timestamp: str) -> str:
    """``20240131120000`` -> ``2024-01-31T12:00:00Z`` (short stamps are padded as Wayback does)."""
    padded = (timestamp + "0101000000"[len(timestamp) - 4:]) if len(timestamp) < 14 else timestamp[:14]
    moment = datetime.strptime(padded, "%Y%m%d%H%M%S")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_to_timestamp(iso: str) -> str:
    """``2024-01-31T12:00:00Z`` -> ``20240131120000``."""
    digits = re.sub(r"\D", "", iso)[:14]
    return digits.ljust(14, "0")


def memento_to_iso(value: str | bytes | None) -> str | None:
    """ISO UTC of a ``Memento-Datetime`` header (RFC 1123 date), None when absent or bad."""
    if not value:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def valid_stamp(value: str) -> bool:
    """``--since``/``--until`` accept YYYY, YYYYMM, YYYYMMDD, ... up to 14 digits, a real date."""
    if not _SINCE.match(value or ""):
        return False
    try:
        timestamp_to_iso(value)
    except ValueError:
        return False
    return True
