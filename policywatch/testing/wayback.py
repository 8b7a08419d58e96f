"""A fake Wayback Machine on loopback, as unkind as the real one (see ``wayback_index``).

Real threaded HTTP server (``ThreadingHTTPServer`` on 127.0.0.1, port 0):

- ``GET /cdx/search/cdx?url=&output=json&filter=&collapse=digest&from=&to=&limit=&showResumeKey=true&resumeKey=``:
  answered as ``text/plain``, chunked, gzip-encoded when the client accepts it; a
  blocked site answers 403 "Blocked Site Error"; without ``output=json``, space-separated lines
- ``GET /web/<ts>id_/<original>``: the raw capture with ``Memento-Datetime``, ``Link`` and
  ``X-Archive-Src`` (whatever its archived status: an archived 429 or 503 is content);
  an inexact timestamp answers 302 to the nearest capture WITHOUT ``Memento-Datetime``;
  an archived redirect replays as its 3xx WITH ``Memento-Datetime`` and a Location at the
  same timestamp (absolute, relative ``/web/...`` or scheme-relative ``//host/web/...``);
  a revisit row replays the body it points back to; a row marked ``replay="error_page"``
  answers the archive's own 200 error page without ``Memento-Datetime``
- ``GET /save/<url>``: Save Page Now, answers with a ``Content-Location``
- faults: scripted 429 (with Retry-After) / 503 bursts per kind, WITHOUT Memento headers
  (that is the archive throttling); every request is logged with its kind (``cdx``,
  ``content``, ``save``), time and status for assertions.

History comes from ``add()``, a dict (``load_dict``) or a folder of dated files
(``load_folder``, e.g. shared/corpus/<service>/*.md, wrapped into HTML pages).

    python -m policywatch.testing.wayback --port 8765 --data ../shared/corpus/bluesky --url https://bsky.social/about/support/privacy-policy
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import threading
import time
from datetime import datetime, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from policywatch.testing.wayback_index import (  # noqa: F401  (re-exported for callers)
    Fault,
    LoggedRequest,
    Snapshot,
    WaybackArchive,
    markdown_page,
    sha1_digest,
    surt_key,
    url_key,
)

BLOCKED_CDX = b"org.archive.wayback.exception.AdministrativeAccessControlException: Blocked Site Error\n"
ERROR_PAGE = (b"<!DOCTYPE html><html><head><title>Wayback Machine</title></head><body><div id='error'>"
              b"<h2>Hrm.</h2><p>The Wayback Machine has not archived that URL or this snapshot cannot be "
              b"displayed due to an internal error.</p></div></body></html>")


def http_date(ts: str) -> str:
    moment = datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    return formatdate(moment.timestamp(), usegmt=True)


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
        if archive.is_blocked(query.get("url", [""])[0]):
            self._send(403, BLOCKED_CDX, {"Content-Type": "text/plain"}, kind="cdx")
            return
        page, resume = archive.cdx_page(query)
        rows = [r.cdx_row() for r in page]
        if query.get("output", [""])[0] == "json":
            out: list[list[str]] = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]]
            out += rows
            if resume is not None:
                out += [[], [resume]]
            body = (json.dumps(out) if rows or resume else "[]").encode() + b"\n"
        else:
            lines = [" ".join(r) for r in rows] + (["", resume] if resume is not None else [])
            body = "".join(line + "\n" for line in lines).encode()
        headers = {"Content-Type": "text/plain"}
        if "gzip" in (self.headers.get("Accept-Encoding") or ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self._send(200, body, headers, kind="cdx", chunked=True)

    def _content(self) -> None:
        archive = self.server.archive
        match = re.match(r"^/web/(\d{1,14})(id_)?/(.+)$", self.path)
        if not match:
            self._send(404, b"not an archive URL", kind="content")
            return
        ts, original = match.group(1), match.group(3)
        if archive.is_blocked(original):
            self._send(403, b"Blocked Site Error", {"Content-Type": "text/html"}, kind="content")
            return
        snap = archive.exact(original, ts) if len(ts) == 14 else None
        if snap is None:
            near = archive.nearest(original, ts)
            if near is None:
                self._send(404, b"<html>Hrm. The Wayback Machine has not archived that URL.</html>",
                           {"Content-Type": "text/html"}, kind="content")
                return
            # navigation to the nearest capture: no Memento-Datetime
            self._send(302, b"", {"Location": f"{self.server.url}/web/{near.timestamp}id_/{near.original}"}, kind="content")
            return
        if snap.replay == "error_page":
            self._send(200, ERROR_PAGE, {"Content-Type": "text/html; charset=utf-8"}, kind="content")
            return
        source = snap.revisit_of or snap
        headers = {
            "Memento-Datetime": http_date(snap.timestamp),
            "Link": f'<{snap.original}>; rel="original", <{self.server.url}/web/timemap/link/{snap.original}>; '
                    f'rel="timemap"; type="application/link-format"',
            "X-Archive-Src": f"spn2-{snap.timestamp[:8]}-{abs(hash(snap.digest)) % 10000:04d}.warc.gz",
            "Content-Type": source.content_type or source.mimetype,
        }
        if source.redirect_to:  # the page itself redirected at that time (Location at the same timestamp)
            target = f"/web/{snap.timestamp}id_/{source.redirect_to}"
            host = self.server.url.split("://", 1)[1]
            headers["Location"] = {"relative": target, "scheme-relative": f"//{host}{target}"}.get(
                source.location, f"{self.server.url}{target}")
            self._send(source.status or 302, b"", headers, kind="content")
            return
        self._send(source.status or 200, source.body, headers, kind="content")

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None, *, kind: str,
              chunked: bool = False) -> None:
        self.server.archive.record(kind, self.path, status)
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 512):
                chunk = body[start:start + 512]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
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

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer (a killed crawl) is not an error worth a traceback."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

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
