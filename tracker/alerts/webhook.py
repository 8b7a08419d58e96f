"""Webhook channel: a signed JSON POST (DESIGN.md "Webhook request").

Headers: ``Content-Type: application/json``, ``X-Policywatch-Signature:
sha256=<hex HMAC-SHA256 of the raw body>`` (when ``secret_env`` is set) and
``Idempotency-Key: <alert id>`` so a receiver can drop a repeat after a
sender crash. A 2xx answer is a delivery; anything else, or no answer within
the channel's timeout, is a failure to retry.
"""
from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request
from typing import Callable, Mapping

from policywatch.tracker.alerts.render import AlertContent
from policywatch.tracker.alerts.sender import SendResult
from policywatch.tracker.config import Channel, read_secret

# (url, body, headers, timeout) -> HTTP status; raises OSError when there is no answer.
Post = Callable[[str, bytes, Mapping[str, str], float], int]
USER_AGENT = "policywatch-alerts/1"


def signature(body: bytes, secret: str) -> str:
    """The header value a receiver recomputes to authenticate the body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, secret: str, header: str | None) -> bool:
    """Receiver-side check (constant time); used by tests and documented for users."""
    return bool(header) and hmac.compare_digest(signature(body, secret), header)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would turn a redirected POST into a body-less GET and report success."""

    def redirect_request(self, *args, **kwargs):  # type: ignore[override]
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def urllib_post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
    """The default I/O seam: one POST with urllib; a redirect is a failure, not followed."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read(65536)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


class WebhookSender:
    """Sends :class:`AlertContent` payloads; ``post`` is the injectable transport."""

    def __init__(self, post: Post = urllib_post) -> None:
        self.post = post

    def request_parts(self, channel: Channel, content: AlertContent) -> tuple[str, bytes, dict[str, str]]:
        """URL, body and headers (secrets are read here, at send time)."""
        url = channel.option("url") or read_secret(channel.option("url_env"), what="webhook URL", channel=channel)
        body = content.body_bytes()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": content.idempotency_key,
            "User-Agent": USER_AGENT,
        }
        secret = read_secret(channel.option("secret_env"), what="webhook secret", channel=channel)
        if secret is not None:
            headers["X-Policywatch-Signature"] = signature(body, secret)
        return str(url), body, headers

    def send(self, channel: Channel, content: AlertContent) -> SendResult:
        url, body, headers = self.request_parts(channel, content)
        try:
            status = self.post(url, body, headers, channel.timeout)
        except (OSError, ValueError) as exc:  # refused, timed out, DNS, bad URL
            return SendResult(False, f"{channel.key}: no answer ({exc})")
        if 200 <= status < 300:
            return SendResult(True, response_status=status)
        # channel.key, not url: a URL from url_env may carry a token and errors are stored and printed
        return SendResult(False, f"{channel.key}: HTTP {status}", response_status=status)
