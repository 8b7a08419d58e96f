"""A fake Wayback Machine on loopback: the CDX API subset and ``id_`` replay the crawler uses.

Real threaded HTTP server (``ThreadingHTTPServer`` on 127.0.0.1, port 0):

- ``GET /cdx/search/cdx?url=&output=json&filter=statuscode:200&collapse=digest&from=&to=&limit=&showResumeKey=true&resumeKey=``
  (collapse drops ADJACENT duplicates only, as the real one does)
- ``GET /web/<14-digit ts>id_/<original>``: the raw capture with ``Memento-Datetime``;
  an inexact timestamp answers 302 to the nearest capture WITHOUT ``Memento-Datetime``;
  a capture that was itself a redirect replays as its 3xx WITH ``Memento-Datetime``
- ``GET /save/<url>``: Save Page Now, answers with a ``Content-Location``
- faults: scripted 429 (with Retry-After) / 503 bursts per kind; every request is logged
  with its kind (``cdx``, ``content``, ``save``), time and status for assertions.

History comes from ``add()``, a dict (``load_dict``) or a folder of dated files
(``load_folder``, e.g. shared/corpus/<service>/*.md, wrapped into HTML pages).

    python -m policywatch.testing.wayback --port 8765 --data ../shared/corpus/bluesky --url https://bsky.social/about/support/privacy-policy
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import re
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

_STAMP_FILE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2})[-:](\d{2})[-:](\d{2})Z\.(md|html|htm|txt)$")


def sha1_digest(body: bytes) -> str:
    """The archive's digest: base32 SHA-1 of the body."""
    return base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def url_key(url: str) -> str:
    """Match URLs as the CDX does, roughly: no scheme, no www., lower-case host."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    return host + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


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


def http_date(ts: str) -> str:
    moment = datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    return formatdate(moment.timestamp(), usegmt=True)


@dataclass
class Snapshot:
    timestamp: str
    original: str
    body: bytes = b""
    status: int = 200
    mimetype: str = "text/html"
    redirect_to: str | None = None  # an archived redirect: the original URL it pointed to

    @property
    def digest(self) -> str:
        return sha1_digest(self.body if self.status == 200 else f"{self.status} {self.redirect_to}".encode())


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


@dataclass
class WaybackArchive:
    """The archive's content and request log (thread-safe)."""

    snapshots: dict[str, list[Snapshot]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    log: list[LoggedRequest] = field(default_factory=list)
    latency: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, original: str, timestamp: str, body: bytes | str = b"", *, status: int = 200,
            mimetype: str = "text/html", redirect_to: str | None = None) -> Snapshot:
        if isinstance(body, str):
            body = body.encode("utf-8")
        snap = Snapshot(timestamp, original, body, status, mimetype, redirect_to)
        with self.lock:
            rows = self.snapshots.setdefault(url_key(original), [])
            rows.append(snap)
            rows.sort(key=lambda s: s.timestamp)
        return snap

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

    # --- request handling (called from server threads) -----------------------------------

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
            return list(self.snapshots.get(url_key(url), []))

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

    @staticmethod
    def _field(row: Snapshot, name: str) -> str:
        return {"statuscode": str(row.status), "mimetype": row.mimetype, "digest": row.digest,
                "timestamp": row.timestamp, "original": row.original}.get(name, "")

    def nearest(self, original: str, timestamp: str) -> Snapshot | None:
        rows = self.rows_for(original)
        if not rows:
            return None
        target = int(timestamp.ljust(14, "0")[:14])
        return min(rows, key=lambda r: (abs(int(r.timestamp) - target), r.timestamp))


class _Handler(BaseHTTPRequestHandler):
    server: "FakeWaybackServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        archive = self.server.archive
        if archive.latency:
            time.sleep(archive.latency)
        path = self.path
        kind = "cdx" if path.startswith("/cdx/") else "save" if path.startswith("/save/") else "content"
        fault = archive.take_fault(kind)
        if fault is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._send(fault.status, b"Too Many Requests" if fault.status == 429 else b"Unavailable", headers, kind=kind)
            return
        if kind == "cdx":
            self._cdx()
        elif kind == "save":
            original = path[len("/save/"):]
            ts = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
            self._send(200, b"saved", {"Content-Location": f"/web/{ts}/{original}"}, kind=kind)
        else:
            self._content()

    def _cdx(self) -> None:
        archive = self.server.archive
        query = parse_qs(urlsplit(self.path).query)
        rows = archive.cdx_rows(query)
        start = int(base64.urlsafe_b64decode(query["resumeKey"][0]).decode()) if query.get("resumeKey") else 0
        limit = int(query.get("limit", ["0"])[0] or 0)
        page = rows[start:start + limit] if limit else rows[start:]
        out: list[list[str]] = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]]
        out += [[url_key(r.original), r.timestamp, r.original, r.mimetype, str(r.status), r.digest, str(len(r.body))]
                for r in page]
        if query.get("showResumeKey", [""])[0] == "true" and limit and start + limit < len(rows):
            out += [[], [base64.urlsafe_b64encode(str(start + limit).encode()).decode()]]
        body = json.dumps(out).encode() if len(out) > 1 else b"[]"
        self._send(200, body, {"Content-Type": "application/json"}, kind="cdx")

    def _content(self) -> None:
        archive = self.server.archive
        match = re.match(r"^/web/(\d{1,14})(id_)?/(.+)$", self.path)
        if not match:
            self._send(404, b"not an archive URL", kind="content")
            return
        ts, original = match.group(1), match.group(3)
        snap = archive.nearest(original, ts)
        if snap is None:
            self._send(404, b"not in the archive", kind="content")
            return
        if snap.timestamp != ts:  # navigation to the nearest capture: no Memento-Datetime
            self._send(302, b"", {"Location": f"{self.server.url}/web/{snap.timestamp}id_/{snap.original}"}, kind="content")
            return
        headers = {"Memento-Datetime": http_date(snap.timestamp), "Content-Type": snap.mimetype}
        if snap.redirect_to:  # the page itself redirected at that time
            headers["Location"] = f"{self.server.url}/web/{snap.timestamp}id_/{snap.redirect_to}"
            self._send(snap.status, b"", headers, kind="content")
            return
        self._send(snap.status, snap.body, headers, kind="content")

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None, *, kind: str) -> None:
        self.server.archive.record(kind, self.path, status)
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FakeWaybackServer(ThreadingHTTPServer):
    """``with FakeWaybackServer() as wb: wb.archive.add(...); wb.url``."""

    daemon_threads = True

    def __init__(self, archive: WaybackArchive | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.archive = archive or WaybackArchive()
        self.url = f"http://{host}:{self.server_address[1]}"
        self._thread: threading.Thread | None = None

    def start(self) -> "FakeWaybackServer":
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> "FakeWaybackServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Wayback Machine for demos and tests")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--data", action="append", default=[], help="folder of dated files (repeatable)")
    parser.add_argument("--url", action="append", default=[], help="original URL of each --data folder")
    args = parser.parse_args(argv)
    server = FakeWaybackServer(port=args.port)
    for index, folder in enumerate(args.data):
        original = args.url[index] if index < len(args.url) else f"https://{Path(folder).name}.example/privacy"
        count = server.archive.load_folder(folder, original)
        print(f"{count} captures of {original}")
    print(f"fake Wayback Machine at {server.url} (POLICYWATCH_WAYBACK_URL={server.url})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
