"""Pages that attack the fetcher: no Content-Length, a decompression bomb, a redirect loop.

They used to be recorded as ``network_error`` (a transient failure, retried and
counted as the network's fault); they are ``too_large`` and ``http_error``.
"""
from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from policywatch.crawler.outcomes import classify_failure
from policywatch.crawler.runner import run_crawl
from tests.crawler.conftest import add_policy, fast_env, query

BOMB = gzip.compress(b"<html><body><p>" + b"privacy " * (4_000_000 // 8) + b"</p></body></html>")


class Hostile(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes: no Content-Length needed

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(400):
                self.wfile.write(b"privacy policy " * 100)
        elif self.path == "/bomb":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(BOMB)))
            self.end_headers()
            self.wfile.write(BOMB)
        elif self.path in ("/loop-a", "/loop-b"):
            self.send_response(302)
            self.send_header("Location", "/loop-b" if self.path == "/loop-a" else "/loop-a")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.timeout(120)
def test_hostile_pages_get_their_own_outcomes(hostile, db_path) -> None:
    for name in ("stream", "bomb", "loop-a"):
        add_policy(db_path, f"{hostile}/{name}", name)
    env = fast_env(POLICYWATCH_DOWNLOAD_MAXSIZE="100000", POLICYWATCH_RETRY_TIMES="0")
    run_crawl(db_path, live=True, env=env, timeout=90)
    rows = query(db_path, "SELECT p.name, c.outcome, c.detail FROM captures c JOIN policies p ON p.id = c.policy_id")
    got = {r["name"]: r["outcome"] for r in rows}
    assert got == {"stream": "too_large", "bomb": "too_large", "loop-a": "http_error"}, rows
    details = {r["name"]: r["detail"] for r in rows}
    assert "decompression" in details["bomb"] and "redirect loop" in details["loop-a"]


def test_classify_failure_of_scrapy_exceptions() -> None:
    from scrapy.exceptions import DownloadCancelledError, IgnoreRequest

    assert classify_failure(DownloadCancelledError("")).outcome == "too_large"
    assert classify_failure(IgnoreRequest("max redirections reached")).outcome == "http_error"
    bomb = IgnoreRequest("Ignored response <200 x> because its body exceeded DOWNLOAD_MAXSIZE (1 B) during decompression.")
    assert classify_failure(bomb).outcome == "too_large"
    assert classify_failure(IgnoreRequest("something else")).outcome == "network_error"


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_connection_itself_is_checked_even_past_the_middleware(hostile, db_path) -> None:
    """With the scheduling-time check switched off, the resolver still refuses a host that
    resolves to loopback (what a DNS rebinding would look like) and records it as blocked."""
    import json
    import subprocess

    from policywatch.crawler.runner import ROOT, child_env, crawl_command

    port = hostile.rsplit(":", 1)[1]
    add_policy(db_path, f"http://localhost:{port}/stream", "rebound")
    middlewares = {"policywatch.crawler.middlewares.SafetyMiddleware": None,
                   "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
                   "policywatch.crawler.middlewares.PolitenessMiddleware": 950}
    env = child_env(fast_env(POLICYWATCH_ALLOW_PRIVATE="0", POLICYWATCH_RETRY_TIMES="0"))
    cmd = crawl_command(db_path, live=True, settings={"DOWNLOADER_MIDDLEWARES": json.dumps(middlewares)})
    subprocess.run(cmd, cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=90)
    rows = query(db_path, "SELECT outcome, detail FROM captures")
    assert [r["outcome"] for r in rows] == ["blocked"], rows
    assert "connect time" in rows[0]["detail"] and "loopback" in rows[0]["detail"]
