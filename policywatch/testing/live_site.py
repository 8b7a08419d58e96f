"""A fake website on loopback: a home page linking to its privacy policy, and ways to break it.

``LiveSite`` holds pages by path; ``FakeSiteServer`` (ThreadingHTTPServer on
127.0.0.1, port 0) serves them with ETag/Last-Modified and conditional 304s,
404s for missing paths, redirects (to the home page, to a new URL), soft-404
pages, PDFs, huge pages and a configurable latency (a sleep in the request's
own thread, so other requests are not held up). Requests are counted per path.
"""
from __future__ import annotations

import hashlib
import html
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def policy_html(title: str, paragraphs: list[str] | None = None, *, lang: str = "en", words: int = 0) -> str:
    """A plausible policy page: a heading and paragraphs of privacy vocabulary."""
    paragraphs = list(paragraphs or [])
    base = ("We collect personal data such as your name, email address and device identifiers when you use "
            "the service. We share personal information with processors and third parties only as described "
            "in this privacy policy. You may request access, correction or deletion of your data at any time. ")
    while sum(len(p.split()) for p in paragraphs) < max(words, 120):
        paragraphs.append(base)
    body = "".join(f"<h2>Section {i + 1}</h2><p>{html.escape(p)}</p>" for i, p in enumerate(paragraphs))
    return (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"</head><body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>")


def home_html(links: list[tuple[str, str]], *, title: str = "Example") -> str:
    """A home page with navigation and a footer of ``(href, text)`` links."""
    items = "".join(f"<li><a href='{html.escape(h)}'>{html.escape(t)}</a></li>" for h, t in links)
    return (f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
            f"<nav><a href='/'>Home</a> <a href='/products'>Products</a></nav>"
            f"<main><h1>Welcome to {html.escape(title)}</h1><p>We make things.</p></main>"
            f"<footer><ul>{items}</ul></footer></body></html>")


SOFT_404 = ("<!doctype html><html><head><title>Page not found</title></head><body>"
            "<h1>Page not found</h1><p>Sorry, we can't find the page you requested.</p></body></html>")


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    last_modified: float = field(default_factory=lambda: time.time() - 86400)
    validators: bool = True

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class LiveSite:
    """Pages by path (``/privacy``) and the knobs tests turn."""

    pages: dict[str, Page] = field(default_factory=dict)
    latency: float = 0.0
    latency_range: tuple[float, float] | None = None  # random latency per response (bench)
    hits: Counter = field(default_factory=Counter)
    user_agents: set = field(default_factory=set)
    faults: dict = field(default_factory=dict)  # path -> [status, count, retry_after]
    log: list = field(default_factory=list)  # (monotonic time, path, status)
    conditional_hits: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0  # requests being answered now, and the most at once (per-host politeness)
    peak_in_flight: int = 0
    peak_requests: list = field(default_factory=list)  # (path, User-Agent) of the requests at the peak
    _answering: dict = field(default_factory=dict)

    def set(self, path: str, body: str | bytes, *, status: int = 200, content_type: str = "text/html; charset=utf-8",
            validators: bool = True) -> Page:
        page = Page(body.encode("utf-8") if isinstance(body, str) else body, status, content_type,
                    validators=validators)
        with self.lock:
            self.pages[path] = page
        return page

    def policy(self, path: str = "/privacy", title: str = "Privacy Policy", paragraphs: list[str] | None = None,
               **kw: object) -> Page:
        return self.set(path, policy_html(title, paragraphs, **kw))  # type: ignore[arg-type]

    def home(self, links: list[tuple[str, str]], title: str = "Example") -> Page:
        return self.set("/", home_html(links, title=title))

    def redirect(self, path: str, to: str, status: int = 301) -> Page:
        page = Page(b"", status, "text/html", location=to)
        with self.lock:
            self.pages[path] = page
        return page

    def remove(self, path: str) -> None:
        with self.lock:
            self.pages.pop(path, None)

    def soft_404(self, path: str) -> Page:
        return self.set(path, SOFT_404)

    def pdf(self, path: str) -> Page:
        return self.set(path, b"%PDF-1.4\n" + b"0" * 2000, content_type="application/pdf")

    def huge(self, path: str, size: int) -> Page:
        return self.set(path, b"<html><body><p>" + b"privacy " * (size // 8) + b"</p></body></html>")

    def fail(self, path: str, status: int = 503, count: int = 1, retry_after: str | None = None) -> None:
        """Answer ``status`` to the next ``count`` requests of ``path``."""
        with self.lock:
            self.faults[path] = [status, count, retry_after]

    def take_fault(self, path: str) -> tuple[int, str | None] | None:
        with self.lock:
            fault = self.faults.get(path)
            if not fault or fault[1] <= 0:
                return None
            fault[1] -= 1
            return fault[0], fault[2]

    def get(self, path: str) -> Page | None:
        with self.lock:
            self.hits[path] += 1
            return self.pages.get(path)


class _Handler(BaseHTTPRequestHandler):
    server: "FakeSiteServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        site = self.server.site
        with site.lock:
            site.in_flight += 1
            site._answering[id(self)] = (time.monotonic(), self.path, self.headers.get("User-Agent"))
            if site.in_flight > site.peak_in_flight:
                site.peak_in_flight = site.in_flight
                site.peak_requests = list(site._answering.values())
        self._counted = True
        try:
            self._answer(site)
        finally:
            self._done_counting()

    def _done_counting(self) -> None:
        """The request stops counting as in flight once its answer starts (before the client has it)."""
        if getattr(self, "_counted", False):
            self._counted = False
            with self.server.site.lock:
                self.server.site.in_flight -= 1
                self.server.site._answering.pop(id(self), None)

    def _answer(self, site: "LiveSite") -> None:
        delay = random.uniform(*site.latency_range) if site.latency_range else site.latency
        if delay:
            time.sleep(delay)  # in this request's own thread: other requests are not held up
        path = self.path.split("?", 1)[0]
        with site.lock:
            site.user_agents.add(self.headers.get("User-Agent"))
        fault = site.take_fault(path)
        if fault is not None:
            self._send(fault[0], b"busy", {"Retry-After": fault[1]} if fault[1] else {})
            return
        page = site.get(path)
        if page is None:
            self._send(404, b"<html><body><h1>Not Found</h1></body></html>", {"Content-Type": "text/html"})
            return
        if page.location:
            self._send(page.status, b"", {"Location": page.location})
            return
        headers = {"Content-Type": page.content_type}
        if page.validators and page.status == 200:
            headers["ETag"] = page.etag
            headers["Last-Modified"] = formatdate(page.last_modified, usegmt=True)
            if self._not_modified(page):
                with site.lock:
                    site.conditional_hits[path] += 1
                self._send(304, b"", {"ETag": page.etag})
                return
        self._send(page.status, page.body, headers)

    def _not_modified(self, page: Page) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return page.etag in [t.strip() for t in inm.split(",")]
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                return parsedate_to_datetime(ims).timestamp() >= int(page.last_modified)
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        with self.server.site.lock:
            self.server.site.log.append((time.monotonic(), self.path, status))
        self._done_counting()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)


class FakeSiteServer(ThreadingHTTPServer):
    """``with FakeSiteServer() as site: site.site.policy(); site.url + "/privacy"``."""

    daemon_threads = True

    def __init__(self, site: LiveSite | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.site = site or LiveSite()
        self.url = f"http://{host}:{self.server_address[1]}"

    def start(self) -> "FakeSiteServer":
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> "FakeSiteServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
