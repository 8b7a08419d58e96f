"""Webhook destinations under attack: SSRF guard (checked at connect time) and
Standard Webhooks signatures verified with the real ``standardwebhooks`` library."""
from __future__ import annotations

import base64
import datetime as dt
import socket

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from policywatch.tracker.addresses import AddressRefused, address_refusal, guarded_connection, host_refusal
from policywatch.tracker.alerts.delivery import send_pending
from policywatch.tracker.alerts.outbox import enqueue_change_alerts
from policywatch.tracker.alerts.webhook import WebhookSender, verify_signature
from policywatch.tracker.config import parse_config

from .conftest import NOW, add_change, add_policy

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]


def queue(db, config) -> str:
    policy = add_policy(db)
    [alert_id] = enqueue_change_alerts(db, change_id=add_change(db, policy), policy=policy, severity="high",
                                       channels=config.channels, now=NOW)
    return alert_id


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "100.64.0.1", "::1", "fd00::1",
                                     "0.0.0.0", "192.168.1.1", "::ffff:127.0.0.1"])
def test_private_addresses_are_refused(address):
    assert address_refusal(address)


def test_public_address_passes_and_dns_failure_is_refused():
    assert address_refusal("93.184.216.34") is None

    def no_dns(host):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    assert "does not resolve" in host_refusal("gone.example.test", no_dns)


def test_webhook_never_reaches_loopback_private_or_metadata_addresses(db, receiver):
    """Used to POST to 127.0.0.1, 10.0.0.1 and 169.254.169.254 alike."""
    config = parse_config({"alerts": [
        {"kind": "webhook", "url": receiver.url, "name": "loopback", "timeout": 2},
        {"kind": "webhook", "url": "http://169.254.169.254/latest/meta-data/", "name": "metadata", "timeout": 2},
        {"kind": "webhook", "url": "http://10.0.0.1/hook", "name": "intranet", "timeout": 2},
        {"kind": "webhook", "url": "http://100.64.0.1/hook", "name": "cgnat", "timeout": 2},
    ]})
    policy = add_policy(db)
    enqueue_change_alerts(db, change_id=add_change(db, policy), policy=policy, severity="high",
                          channels=config.channels, now=NOW)
    summary = send_pending(db, config, now=NOW)
    assert (summary.sent, summary.failed) == (0, 4)
    assert receiver.requests == []
    joined = "\n".join(summary.errors)
    for word in ("loopback", "link-local", "private", "carrier-grade NAT"):
        assert word in joined
    assert "allow_private" in joined


def test_host_names_are_resolved_and_checked_when_connecting(db, receiver, monkeypatch):
    """A public-looking name that resolves to loopback is refused at connect time; with
    allow_private the same name is delivered, to the address that was checked."""
    real = socket.getaddrinfo
    port = receiver.server.server_address[1]

    def fake_getaddrinfo(host, *args, **kwargs):
        if host == "hooks.example.test":
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    url = f"http://hooks.example.test:{port}/hook"
    refused = parse_config({"alerts": [{"kind": "webhook", "url": url, "name": "h", "timeout": 2}]})
    queue(db, refused)
    summary = send_pending(db, refused, now=NOW)
    assert summary.failed == 1 and "hooks.example.test resolves to 127.0.0.1" in summary.errors[0]
    assert receiver.requests == []
    allowed = parse_config({"alerts": [{"kind": "webhook", "url": url, "name": "h", "timeout": 2}],
                            "delivery": {"allow_private": True}})
    assert send_pending(db, allowed, now=NOW + dt.timedelta(hours=1)).sent == 1
    assert len(receiver.requests) == 1 and receiver.requests[0]["headers"]["Host"].startswith("hooks.example.test")


def test_dns_rebinding_cannot_steer_the_connection():
    """The check and the connection use ONE resolution: a second answer is never asked for."""
    answers = [["93.184.216.34"], ["127.0.0.1"]]
    asked: list[str] = []

    def rebinding(host):
        asked.append(host)
        return answers.pop(0)

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        # The checked address 93.184.216.34 is the one dialled (no route in a sandbox, or a
        # timeout, or even a connection there); never the loopback listener a second lookup returns.
        try:
            guarded_connection(("rebind.example.test", listener.getsockname()[1]), 0.5, resolve=rebinding).close()
        except AddressRefused:
            pytest.fail("the public first answer was refused")
        except OSError:
            pass
        assert asked == ["rebind.example.test"]
        listener.settimeout(0.1)
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()


def test_redirect_to_private_address_is_not_followed(db, receiver):
    config = parse_config({"alerts": [{"kind": "webhook", "url": receiver.url, "allow_private": True, "timeout": 2}]})
    queue(db, config)
    receiver.statuses[:] = [307]
    summary = send_pending(db, config, now=NOW)
    assert summary.failed == 1 and [r["path"] for r in receiver.requests] == ["/hook"]


# ------------------------------------------------------------------ Standard Webhooks
def lower(headers: dict) -> dict:
    """Header names as a receiver's framework hands them over (HTTP names are case-insensitive)."""
    return {k.lower(): v for k, v in headers.items()}


def hook(url: str, *secret_envs: str) -> dict:
    return {"kind": "webhook", "url": url, "secret_env": list(secret_envs), "allow_private": True, "timeout": 2}


def test_standard_webhooks_signature_verifies_with_the_library(db, receiver, monkeypatch):
    monkeypatch.setenv("HOOK_SECRET", "plain-shared-secret")
    config = parse_config({"alerts": [hook(receiver.url, "HOOK_SECRET")]})
    alert_id = queue(db, config)
    assert send_pending(db, config, now=NOW).sent == 1
    [request] = receiver.requests
    headers, body = lower(request["headers"]), request["body"]
    assert headers["webhook-id"] == alert_id == headers["idempotency-key"]
    payload = Webhook(b"plain-shared-secret").verify(body, headers)  # raw key bytes
    assert payload["alert_id"] == alert_id
    with pytest.raises(WebhookVerificationError):
        Webhook(b"plain-shared-secret").verify(body + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(b"wrong-secret").verify(body, headers)
    # the deprecated header still verifies, for existing receivers
    assert verify_signature(body, "plain-shared-secret", headers["x-policywatch-signature"])


def test_whsec_secret_and_rotation_sign_with_every_active_secret(db, receiver, monkeypatch):
    new = "whsec_" + base64.b64encode(b"the-new-32-byte-signing-key-....").decode()
    monkeypatch.setenv("HOOK_SECRET_NEW", new)
    monkeypatch.setenv("HOOK_SECRET_OLD", "the-old-secret")
    config = parse_config({"alerts": [hook(receiver.url, "HOOK_SECRET_NEW", "HOOK_SECRET_OLD")]})
    queue(db, config)
    assert send_pending(db, config, now=NOW).sent == 1
    [request] = receiver.requests
    headers, body = lower(request["headers"]), request["body"]
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(body, headers)  # a receiver already on the new secret
    Webhook(b"the-old-secret").verify(body, headers)  # one still on the old secret


def test_a_captured_delivery_cannot_be_replayed_later(db, receiver, monkeypatch):
    """The body-only HMAC verified forever; the timestamp in the signed content ends that."""
    monkeypatch.setenv("HOOK_SECRET", "plain-shared-secret")
    config = parse_config({"alerts": [hook(receiver.url, "HOOK_SECRET")]})
    queue(db, config)
    captured_an_hour_ago = WebhookSender(clock=lambda: dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1))
    assert send_pending(db, config, now=NOW, senders={"webhook": captured_an_hour_ago}).sent == 1
    [request] = receiver.requests
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(b"plain-shared-secret").verify(request["body"], request["headers"])
    forged = dict(lower(request["headers"]), **{"webhook-timestamp": str(int(dt.datetime.now().timestamp()))})
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(b"plain-shared-secret").verify(request["body"], forged)


def test_a_receiver_dripping_its_answer_cannot_outlast_the_lease(db):
    """Each byte arrives within the timeout, so per-read timeouts never fire; the send still
    ends within 2 x the timeout (the lease is >= 3 x), instead of succeeding seconds later
    while a second sender may already have taken the alert over."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def drip() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
            if stop.wait(0.2):
                break
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                break
        conn.close()

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
        config = parse_config({"alerts": [{"kind": "webhook", "url": url, "allow_private": True, "timeout": 0.5}]})
        queue(db, config)
        summary = send_pending(db, config, now=NOW)
        # cut at the 1 s deadline (or, on a starved machine, by the 0.5 s read timeout): never a success
        assert summary.failed == 1 and summary.sent == 0, summary
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=10)


def test_an_smtp_server_dripping_its_replies_cannot_outlast_the_lease(db):
    """A whole SMTP conversation whose every reply arrives byte by byte (each byte within the
    timeout) used to succeed seconds later; it now ends at 2 x the timeout, as a failure."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def drip(conn: socket.socket, line: bytes) -> bool:
        for byte in line:
            if stop.wait(0.1):
                return False
            conn.sendall(bytes([byte]))
        return True

    def server() -> None:
        conn, _ = listener.accept()
        reader = conn.makefile("rb")
        try:
            if not drip(conn, b"220 slow.example ESMTP\r\n"):
                return
            in_data = False
            for raw in reader:
                if in_data:
                    if raw == b".\r\n":
                        in_data = False
                        if not drip(conn, b"250 queued\r\n"):
                            return
                    continue
                verb = raw[:4].upper()
                reply = {b"EHLO": b"250 slow.example\r\n", b"HELO": b"250 slow.example\r\n",
                         b"DATA": b"354 go on\r\n", b"QUIT": b"221 bye\r\n"}.get(verb, b"250 ok\r\n")
                in_data = verb == b"DATA"
                if not drip(conn, reply) or verb == b"QUIT":
                    return
        except OSError:
            return
        finally:
            conn.close()

    thread = threading.Thread(target=server, daemon=True)
    thread.start()
    try:
        config = parse_config({"alerts": [{
            "kind": "email", "to": ["a@example.org"], "from": "pw@example.org", "smtp_host": "127.0.0.1",
            "smtp_port": listener.getsockname()[1], "security": "none", "timeout": 0.5,
        }]})
        queue(db, config)
        summary = send_pending(db, config, now=NOW)
        assert summary.failed == 1 and summary.sent == 0, summary  # it used to succeed seconds later
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=10)
