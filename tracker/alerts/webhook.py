"""Webhook channel: a signed JSON POST (docs/DESIGN.md "Webhook request").

Headers:

- ``Content-Type: application/json`` and ``Idempotency-Key: <alert id>``;
- Standard Webhooks (https://www.standardwebhooks.com): ``webhook-id`` (the
  alert id, stable across retries), ``webhook-timestamp`` (Unix seconds of this
  attempt) and ``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``,
  one space-separated signature per active secret (``secret_env`` may list
  several variables while a secret is rotated), so a receiver can reject
  replays with the ``standardwebhooks`` library and a tolerance;
- ``X-Policywatch-Signature: sha256=<hex HMAC of the body>`` with the first
  secret (deprecated: it cannot detect replays; kept for existing receivers).

A secret of the Standard Webhooks form ``whsec_<base64>`` signs with the
decoded bytes; any other secret signs with its UTF-8 bytes.

The request goes only to a public address unless the channel allows private
ones (``allow_private``): the address is checked when the socket connects
(:mod:`tracker.addresses`), proxies from the environment are not used, and a
redirect is a failure, never followed. A 2xx answer is a delivery; anything
else, or no answer within the channel's timeout, is a failure to retry. A whole
send ends within 2 x the timeout, so the outbox lease (``claim_timeout`` >= 3 x)
always outlives it.
"""
from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import http.client
import socket
import threading
from datetime import datetime
from urllib.parse import urlsplit
from typing import Any, Callable, Mapping, Sequence

from policywatch.clock import utcnow
from policywatch.errors import ConfigError
from policywatch.tracker.addresses import AddressRefused, guarded_connection, scheme_refusal
from policywatch.tracker.alerts.render import AlertContent
from policywatch.tracker.alerts.sender import SendResult
from policywatch.tracker.config import Channel, read_secret

# (url, body, headers, timeout, allow_private) -> HTTP status; raises OSError when there is no answer.
Post = Callable[[str, bytes, Mapping[str, str], float, bool], int]
USER_AGENT = "policywatch-alerts/1"
WHSEC_PREFIX = "whsec_"


def signature(body: bytes, secret: str) -> str:
    """The X-Policywatch-Signature value (deprecated header): HMAC of the body only."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, secret: str, header: str | None) -> bool:
    """Receiver-side check of the deprecated header (constant time)."""
    return bool(header) and hmac.compare_digest(signature(body, secret), header or "")


def signing_key(secret: str) -> bytes:
    """``whsec_<base64>`` -> the decoded bytes (Standard Webhooks); otherwise the UTF-8 bytes."""
    if secret.startswith(WHSEC_PREFIX):
        return base64.b64decode(secret[len(WHSEC_PREFIX):] + "==")
    return secret.encode("utf-8")


def standard_signature(msg_id: str, timestamp: int, body: bytes, secrets: Sequence[str]) -> str:
    """``v1,<base64>`` per secret, space-separated (the ``webhook-signature`` header)."""
    signed = f"{msg_id}.{timestamp}.".encode("ascii") + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(signing_key(s), signed, hashlib.sha256).digest()).decode("ascii")
        for s in secrets
    )


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, allow_private: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(guarded_connection, allow_private=allow_private)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, allow_private: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(guarded_connection, allow_private=allow_private)


# A whole send (connect, request, answer) ends within this many channel timeouts, even when a
# receiver drips its answer a byte at a time: the config's claim_timeout (>= 3 x) outlives it.
SEND_DEADLINE_FACTOR = 2


def _abort(conn: http.client.HTTPConnection, fired: threading.Event) -> None:
    fired.set()
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def http_post(url: str, body: bytes, headers: Mapping[str, str], timeout: float, allow_private: bool = False) -> int:
    """The default I/O seam: one POST; the address is checked at connect time, no proxy is used,
    a redirect is an answer (a failure), never followed, and the send has an overall deadline."""
    parts = urlsplit(url)
    cls = _GuardedHTTPSConnection if parts.scheme.lower() == "https" else _GuardedHTTPConnection
    conn = cls(parts.hostname or "", parts.port, timeout=timeout, allow_private=allow_private)
    fired = threading.Event()
    deadline = threading.Timer(SEND_DEADLINE_FACTOR * timeout, _abort, [conn, fired])
    deadline.daemon = True
    deadline.start()
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", path, body=body, headers=dict(headers))
        response = conn.getresponse()
        response.read(65536)
        return int(response.status)
    except (OSError, http.client.HTTPException) as exc:
        if fired.is_set():
            raise TimeoutError(f"no complete answer within {SEND_DEADLINE_FACTOR * timeout:g} s") from None
        raise
    finally:
        deadline.cancel()
        conn.close()


urllib_post = http_post  # the former name of the seam


class WebhookSender:
    """Sends :class:`AlertContent` payloads; ``post`` (transport) and ``clock`` are seams."""

    def __init__(self, post: Post = http_post, clock: Callable[[], datetime] = utcnow) -> None:
        self.post = post
        self.clock = clock

    def request_parts(self, channel: Channel, content: AlertContent) -> tuple[str, bytes, dict[str, str]]:
        """URL, body and headers (secrets are read here, at send time)."""
        url = channel.option("url") or read_secret(channel.option("url_env"), what="webhook URL", channel=channel)
        refusal = scheme_refusal(str(url))
        if refusal:
            # channel.key, not url: a URL from url_env may carry a token and errors are stored and printed
            raise ConfigError(f"{channel.key}: webhook URL refused: only http(s) URLs with a host")
        body = content.body_bytes()
        msg_id = content.idempotency_key
        timestamp = int(self.clock().timestamp())
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": msg_id,
            "User-Agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
        }
        names = channel.option("secret_env") or ()
        secrets = [
            read_secret(name, what="webhook secret", channel=channel)
            for name in ((names,) if isinstance(names, str) else names)
        ]
        active = [s for s in secrets if s]
        if active:
            headers["webhook-signature"] = standard_signature(msg_id, timestamp, body, active)
            headers["X-Policywatch-Signature"] = signature(body, active[0])
        return str(url), body, headers

    def send(self, channel: Channel, content: AlertContent) -> SendResult:
        url, body, headers = self.request_parts(channel, content)
        try:
            status = self.post(url, body, headers, channel.timeout, bool(channel.option("allow_private", False)))
        except AddressRefused as exc:
            return SendResult(False, f"{channel.key}: {exc}")
        except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, timed out, DNS, bad answer
            return SendResult(False, f"{channel.key}: no answer ({type(exc).__name__}: {exc})")
        if 200 <= status < 300:
            return SendResult(True, response_status=status)
        return SendResult(False, f"{channel.key}: HTTP {status}", response_status=status)
