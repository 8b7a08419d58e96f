"""A webhook endpoint on loopback that records POSTs and checks their signature, as a user's would.

Serves ``policywatch demo`` (it plays the user's alert endpoint) and anyone who wants
to see what policywatch's alerts look like from the receiving end.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ReceivedPost", "WebhookReceiver"]


@dataclass
class ReceivedPost:
    """One request the receiver got, as the receiving end would see it."""

    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool

    def payload(self) -> dict[str, Any]:
        return json.loads(self.body.decode("utf-8"))


class WebhookReceiver:
    """A loopback HTTP endpoint that records POSTs and checks their HMAC signature, like a user's would."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: list[ReceivedPost] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-webhook", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/policywatch"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.record(self.path, dict(self.headers.items()), body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args: Any) -> None:  # keep the demo's terminal readable
                pass

        return Handler

    def record(self, path: str, headers: dict[str, str], body: bytes) -> None:
        from policywatch.tracker.alerts.webhook import verify_signature

        valid = verify_signature(body, self.secret, headers.get("X-Policywatch-Signature"))
        with self._lock:
            self.received.append(ReceivedPost(path, headers, body, valid))

    def __enter__(self) -> "WebhookReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
