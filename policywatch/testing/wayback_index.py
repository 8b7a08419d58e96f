"""The fake archive's content and its CDX index, as unkind as the Internet Archive's.

What the real index does and this one reproduces (the wayback-cdx-server README
documents the API; the oddities come from recorded traffic):

- rows are keyed by SURT urlkey (``gov,epa)/climate``: host reversed, lower-cased,
  no ``www``, no default port, no trailing slash, query sorted); ``original`` keeps
  whatever form was captured (http/https, www, ``:80``, a trailing ``?``);
- exact duplicate rows, same-second twins (one timestamp, two digests: replay can
  serve only one body there), ``warc/revisit`` rows (mimetype ``warc/revisit``,
  status ``-``, digest of the body they point back to), ``-`` statuses;
- ``collapse=digest`` drops ADJACENT equal digests only; ``filter`` is a regex on a field;
- a resume key is urlkey + space + last timestamp plus one second, printed
  whenever ``limit`` rows were returned (so the last page may be empty), and rows
  of that same second beyond the limit are never listed.
"""
from __future__ import annotations

import base64
import hashlib
import html
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote_plus, unquote_plus, urlencode, urlsplit


_STAMP_FILE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2})[-:](\d{2})[-:](\d{2})Z\.(md|html|htm|txt)$")


def sha1_digest(body: bytes) -> str:
    """The archive's digest: base32 SHA-1 of the raw body."""
    return base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def surt_key(url: str) -> str:
    """SURT urlkey as the CDX prints it: ``https://www.EPA.gov:443/Climate/?b=1&a=2`` -> ``gov,epa)/climate?a=2&b=1``."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = re.sub(r"^www\d*\.", "", (parts.hostname or "").lower())
    key = ",".join(reversed(host.split(".")))
    if parts.port and parts.port not in (80, 443):
        key += f":{parts.port}"
    path = (parts.path or "/").lower()
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = urlencode(sorted(parse_qsl(parts.query.lower(), keep_blank_values=True)))
    return key + ")" + path + (f"?{query}" if query else "")


# Kept for older callers: the fake's URL matching key.
url_key = surt_key


@dataclass
class Snapshot:
    """One CDX row and what replaying its timestamp gives back."""

    timestamp: str
    original: str
    body: bytes = b""
    status: int | None = 200  # None prints as "-"
    mimetype: str = "text/html"
    redirect_to: str | None = None  # an archived redirect: the original URL it pointed to
    location: str = "absolute"  # how an archived redirect's Location is written: absolute|relative|scheme-relative
    content_type: str | None = None  # replay Content-Type (default: mimetype, no charset)
    revisit_of: "Snapshot | None" = None  # a warc/revisit row: replay serves this one's body
    replay: str = "ok"  # ok | error_page (the archive's own 200 page, no Memento-Datetime)
    served: bool = True  # False: a same-second twin that replay of its timestamp never serves

    @property
    def digest(self) -> str:
        if self.revisit_of is not None:
            return self.revisit_of.digest
        if self.redirect_to is not None:
            return sha1_digest(f"{self.status} {self.redirect_to}".encode())
        return sha1_digest(self.body)

    @property
    def statuscode(self) -> str:
        return "-" if self.status is None else str(self.status)

    def cdx_row(self) -> list[str]:
        length = "-" if self.revisit_of is not None else str(len(self.body) + 300)
        return [surt_key(self.original), self.timestamp, self.original, self.mimetype, self.statuscode,
                self.digest, length]


@dataclass
class Fault:
    """Answer ``status`` to the next ``count`` requests of ``kind`` once ``after`` of them were served."""

    kind: str  # cdx | content | save | any
    status: int = 429
    count: int = 1
    retry_after: str | None = None
    after: int = 0


@dataclass
class LoggedRequest:
    at: float
    kind: str
    path: str
    status: int


def markdown_page(text: str, title: str = "Privacy Policy") -> bytes:
    """Wrap Markdown-ish text into a plain HTML page (headings and paragraphs)."""
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body><main>"]
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if not block or set(block) <= set("=-"):
            continue
        lines = [ln for ln in block.splitlines() if not set(ln.strip()) <= set("=-") or not ln.strip()]
        head = re.match(r"^(#{1,6})\s+(.*)$", lines[0]) if lines else None
        if head and len(lines) == 1:
            level = len(head.group(1))
            out.append(f"<h{level}>{html.escape(head.group(2))}</h{level}>")
        else:
            out.append("<p>" + html.escape(" ".join(lines)) + "</p>")
    out.append("</main></body></html>")
    return "\n".join(out).encode("utf-8")


def next_second(timestamp: str) -> str:
    moment = datetime.strptime(timestamp[:14].ljust(14, "0"), "%Y%m%d%H%M%S") + timedelta(seconds=1)
    return moment.strftime("%Y%m%d%H%M%S")


@dataclass
class WaybackArchive:
    """The archive's content, blocked hosts and request log (thread-safe)."""

    snapshots: dict[str, list[Snapshot]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    log: list[LoggedRequest] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    latency: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, original: str, timestamp: str, body: bytes | str = b"", *, status: int | None = 200,
            mimetype: str = "text/html", redirect_to: str | None = None, **extra: object) -> Snapshot:
        """Add a row (a second row at the same second is a twin that replay does not serve)."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        snap = Snapshot(timestamp, original, body, status, mimetype, redirect_to, **extra)  # type: ignore[arg-type]
        with self.lock:
            rows = self.snapshots.setdefault(surt_key(original), [])
            if any(r.timestamp == timestamp and r.served for r in rows) and "served" not in extra:
                snap.served = False
            rows.append(snap)
            rows.sort(key=lambda s: s.timestamp)  # stable: twins keep their order
        return snap

    def add_revisit(self, original: str, timestamp: str, of: Snapshot) -> Snapshot:
        """A ``warc/revisit`` row: same payload as ``of``, status ``-``."""
        return self.add(original, timestamp, of.body, status=None, mimetype="warc/revisit", revisit_of=of)

    def block(self, url: str) -> None:
        """The site's owner asked for exclusion: CDX and replay answer 403."""
        self.blocked.add(surt_key(url).split(")", 1)[0])

    def is_blocked(self, url: str) -> bool:
        return surt_key(url).split(")", 1)[0] in self.blocked

    def load_dict(self, history: dict[str, dict[str, bytes | str]]) -> None:
        """``{original url: {timestamp: body}}``."""
        for original, captures in history.items():
            for timestamp, body in captures.items():
                self.add(original, timestamp, body)

    def load_folder(self, directory: str | Path, original: str, *, wrap_html: bool = True) -> int:
        """Dated files ``YYYY-MM-DDTHH-MM-SSZ.md`` become captures of ``original``."""
        count = 0
        for path in sorted(Path(directory).iterdir()):
            match = _STAMP_FILE.match(path.name)
            if not match:
                continue
            ts = "".join(match.groups()[:6])
            text = path.read_text(encoding="utf-8")
            body = markdown_page(text) if wrap_html and match.group(7) in ("md", "txt") else text.encode("utf-8")
            self.add(original, ts, body)
            count += 1
        return count

    def fail(self, kind: str, status: int = 429, count: int = 1, retry_after: str | None = None, after: int = 0) -> None:
        with self.lock:
            self.faults.append(Fault(kind, status, count, retry_after, after))

    def count(self, kind: str, *, status: int | None = None) -> int:
        with self.lock:
            return sum(1 for r in self.log if r.kind == kind and (status is None or r.status == status))

    def reset_log(self) -> None:
        with self.lock:
            self.log.clear()

    def take_fault(self, kind: str) -> Fault | None:
        with self.lock:
            served = sum(1 for r in self.log if r.kind == kind)
            for fault in self.faults:
                if fault.count > 0 and fault.kind in (kind, "any") and served >= fault.after:
                    fault.count -= 1
                    return fault
        return None

    def record(self, kind: str, path: str, status: int) -> None:
        with self.lock:
            self.log.append(LoggedRequest(time.monotonic(), kind, path, status))

    def rows_for(self, url: str) -> list[Snapshot]:
        with self.lock:
            return list(self.snapshots.get(surt_key(url), []))

    def servable_digests(self, url: str) -> set[str]:
        """Digests some replay URL actually serves (what a backfill can possibly store)."""
        return {r.digest for r in self.rows_for(url) if r.served and r.replay == "ok"}

    # --- the CDX query ----------------------------------------------------------------------

    def cdx_rows(self, query: dict[str, list[str]]) -> list[Snapshot]:
        rows = self.rows_for(query.get("url", [""])[0])
        for flt in query.get("filter", []):
            negate = flt.startswith("!")
            name, _, pattern = flt.lstrip("!").partition(":")
            rx = re.compile(pattern)
            rows = [r for r in rows if bool(rx.fullmatch(self._field(r, name))) != negate]
        since, until = query.get("from", [""])[0], query.get("to", [""])[0]
        if since:
            rows = [r for r in rows if r.timestamp >= since.ljust(14, "0")]
        if until:
            rows = [r for r in rows if r.timestamp <= until.ljust(14, "9")]
        if "digest" in query.get("collapse", []):
            collapsed: list[Snapshot] = []
            for row in rows:
                if not collapsed or collapsed[-1].digest != row.digest:  # adjacent only
                    collapsed.append(row)
            rows = collapsed
        return rows

    def cdx_page(self, query: dict[str, list[str]]) -> tuple[list[Snapshot], str | None]:
        """One page and the resume key the real server would print (None: not asked / not full)."""
        rows = self.cdx_rows(query)
        if query.get("resumeKey"):
            key = unquote_plus(query["resumeKey"][0])
            _, _, start = key.rpartition(" ")
            rows = [r for r in rows if r.timestamp >= start]
        limit = int(query.get("limit", ["0"])[0] or 0)
        page = rows[:limit] if limit else rows
        resume = None
        if query.get("showResumeKey", [""])[0] == "true" and limit and len(page) == limit:
            resume = quote_plus(f"{surt_key(page[-1].original)} {next_second(page[-1].timestamp)}")
        return page, resume

    @staticmethod
    def _field(row: Snapshot, name: str) -> str:
        return {"statuscode": row.statuscode, "mimetype": row.mimetype, "digest": row.digest,
                "timestamp": row.timestamp, "original": row.original, "urlkey": surt_key(row.original)}.get(name, "")

    # --- replay -----------------------------------------------------------------------------

    def exact(self, original: str, timestamp: str) -> Snapshot | None:
        """The row replay serves at exactly this second (the first served one)."""
        return next((r for r in self.rows_for(original) if r.timestamp == timestamp and r.served), None)

    def nearest(self, original: str, timestamp: str) -> Snapshot | None:
        rows = [r for r in self.rows_for(original) if r.served]
        if not rows:
            return None
        target = int(timestamp.ljust(14, "0")[:14])
        return min(rows, key=lambda r: (abs(int(r.timestamp) - target), r.timestamp))
