"""Real transports against real servers on loopback: webhook (http.server),
e-mail (aiosmtpd with STARTTLS + AUTH, certificate verified), Apprise (json://)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from policywatch.db import alerts as alerts_db
from policywatch.tracker.alerts.delivery import send_pending
from policywatch.tracker.alerts.outbox import enqueue_change_alerts
from policywatch.tracker.alerts.webhook import verify_signature
from policywatch.tracker.config import parse_config

from .conftest import NOW, add_change, add_policy, bound_socket, email_channel_config, start_receiver, start_smtp

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]
SECRET = "test-webhook-secret"


@pytest.fixture(autouse=True)
def secrets(monkeypatch):
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    monkeypatch.setenv("TEST_SMTP_USER", "alice")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")


def queue(db, config) -> list[str]:
    policy = add_policy(db)
    change_id = add_change(db, policy)
    return enqueue_change_alerts(db, change_id=change_id, policy=policy, severity="high", channels=config.channels, now=NOW)


def hook_config(url: str) -> dict:
    return {"kind": "webhook", "url": url, "secret_env": "TEST_HOOK_SECRET", "timeout": 2, "allow_private": True}


def test_webhook_body_headers_and_signature(db, receiver):
    config = parse_config({"alerts": [hook_config(receiver.url)]})
    [alert_id] = queue(db, config)
    assert send_pending(db, config, now=NOW).sent == 1
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert headers["Content-Type"] == "application/json"
    assert headers["Idempotency-Key"] == alert_id
    assert verify_signature(body, SECRET, headers["X-Policywatch-Signature"])
    assert not verify_signature(body + b" ", SECRET, headers["X-Policywatch-Signature"])
    payload = json.loads(body)
    assert payload["alert_id"] == alert_id
    assert payload["policy"] == {"name": "acme", "url": "https://acme.test/privacy"}
    change = payload["change"]
    for key in ("policy", "from_version", "to_version", "from_time", "to_time", "cosmetic_only",
                "material", "severity", "categories", "summary"):
        assert key in change
    assert change["severity"] in ("medium", "high") and change["material"] is True
    [clause] = change["clause_changes"]
    assert clause["kind"] == "modified" and "data brokers" in clause["new_text"]
    for key in ("old_text", "heading", "categories", "severity", "material", "reason"):
        assert key in clause


def test_webhook_500_then_recovery_delivers_exactly_once(db, receiver):
    config = parse_config({"alerts": [hook_config(receiver.url)]})
    [alert_id] = queue(db, config)
    receiver.statuses[:] = [500, 503]
    assert send_pending(db, config, now=NOW).failed == 1
    assert send_pending(db, config, now=NOW + dt.timedelta(minutes=1)).failed == 1
    assert send_pending(db, config, now=NOW + dt.timedelta(minutes=2)).sent == 0  # backing off (120 s)
    assert send_pending(db, config, now=NOW + dt.timedelta(minutes=3)).sent == 1
    assert send_pending(db, config, now=NOW + dt.timedelta(hours=5)).sent == 0
    assert [r["status"] for r in receiver.requests] == [500, 503, 200]
    assert receiver.delivered_ids() == [alert_id]
    assert [a["response_status"] for a in alerts_db.attempts_for(db, alert_id)] == [500, 503, 200]


def test_webhook_receiver_down_then_up(db):
    sock = bound_socket()  # bound, not listening yet: connection refused
    config = parse_config({"alerts": [hook_config(f"http://127.0.0.1:{sock.getsockname()[1]}/hook")]})
    [alert_id] = queue(db, config)
    summary = send_pending(db, config, now=NOW)
    assert summary.failed == 1 and "no answer" in summary.errors[0]
    from http.server import ThreadingHTTPServer

    receiver = start_receiver()
    try:
        # Bring the receiver up on the same socket (the port never left this process).
        receiver.server.shutdown()
        receiver.server.server_close()
        handler = receiver.server.RequestHandlerClass
        receiver.server = ThreadingHTTPServer(sock.getsockname(), handler, bind_and_activate=False)
        receiver.server.socket.close()
        receiver.server.socket = sock
        receiver.server.server_activate()
        import threading

        threading.Thread(target=receiver.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        assert send_pending(db, config, now=NOW + dt.timedelta(minutes=1)).sent == 1
        assert send_pending(db, config, now=NOW + dt.timedelta(minutes=10)).sent == 0
        assert receiver.delivered_ids() == [alert_id] and len(receiver.requests) == 1
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def test_webhook_timeout_is_a_retry(db):
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the TCP connection, never answers
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        config = parse_config({"alerts": [{**hook_config(url), "timeout": 0.5}]})
        [alert_id] = queue(db, config)
        summary = send_pending(db, config, now=NOW)
        assert summary.failed == 1
        assert alerts_db.get_alert(db, alert_id)["status"] == "pending"
    finally:
        silent.close()


def test_email_over_starttls_with_auth(db, smtp_server, tls_files):
    config = parse_config({"alerts": [email_channel_config(smtp_server, tls_files[0])]})
    [alert_id] = queue(db, config)
    summary = send_pending(db, config, now=NOW)
    assert summary.sent == 1, summary.errors
    [message] = smtp_server.messages
    assert smtp_server.tls_seen == [True] and smtp_server.logins
    assert message["Message-ID"] == f"<{alert_id}@policywatch.invalid>"
    assert message["To"] == "privacy-team@example.org"
    assert "acme" in message["Subject"] and "material change" in message["Subject"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",)).get_content()
    for expected in ("acme", "https://acme.test/privacy", "2024-01-01T00:00:00Z", "2024-03-01T00:00:00Z",
                     "Severity:", "sale", "Summary:"):
        assert expected in text
    assert "{+We may sell your personal information to data brokers." in text
    assert "<ins>" in html_part and "data brokers" in html_part
    assert send_pending(db, config, now=NOW + dt.timedelta(days=1)).sent == 0
    assert len(smtp_server.messages) == 1


def test_email_wrong_password_is_retried(db, smtp_server, tls_files, monkeypatch):
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong")
    config = parse_config({"alerts": [email_channel_config(smtp_server, tls_files[0], timeout=1)]})
    [alert_id] = queue(db, config)
    summary = send_pending(db, config, now=NOW)
    # smtplib tries PLAIN then LOGIN; aiosmtpd answers 535 (or stalls on LOGIN): either way a retry.
    assert summary.failed == 1 and "smtp 127.0.0.1" in summary.errors[0]
    assert smtp_server.logins == []
    assert smtp_server.messages == []
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
    assert send_pending(db, config, now=NOW + dt.timedelta(minutes=5)).sent == 1


def test_email_untrusted_certificate_is_refused(db, smtp_server, tls_files):
    settings = email_channel_config(smtp_server, tls_files[0])
    del settings["ca_file"]
    config = parse_config({"alerts": [settings]})
    queue(db, config)
    summary = send_pending(db, config, now=NOW)
    assert summary.failed == 1 and "CERTIFICATE_VERIFY_FAILED" in summary.errors[0]
    assert smtp_server.messages == []


def test_apprise_json_url_reaches_a_real_receiver(db, receiver, monkeypatch):
    host, port = receiver.server.server_address[:2]
    monkeypatch.setenv("TEST_APPRISE_URL", f"json://{host}:{port}/notify")
    config = parse_config({"alerts": [{"kind": "apprise", "url_env": "TEST_APPRISE_URL"}]})
    queue(db, config)
    assert send_pending(db, config, now=NOW).sent == 1
    [request] = receiver.requests
    body = json.loads(request["body"])
    assert "acme" in body["title"] and "data brokers" in body["message"]


def test_apprise_failure_is_retried(db, receiver, monkeypatch):
    host, port = receiver.server.server_address[:2]
    monkeypatch.setenv("TEST_APPRISE_URL", f"json://{host}:{port}/notify")
    receiver.statuses[:] = [500]
    config = parse_config({"alerts": [{"kind": "apprise", "url_env": "TEST_APPRISE_URL"}]})
    queue(db, config)
    assert send_pending(db, config, now=NOW).failed == 1
    assert send_pending(db, config, now=NOW + dt.timedelta(minutes=1)).sent == 1
    assert [r["status"] for r in receiver.requests] == [500, 200]


def test_webhook_redirect_is_not_a_delivery(db, receiver):
    config = parse_config({"alerts": [hook_config(receiver.url)]})
    [alert_id] = queue(db, config)
    receiver.statuses[:] = [302]
    summary = send_pending(db, config, now=NOW)
    assert summary.failed == 1 and "HTTP 302" in summary.errors[0]
    assert alerts_db.get_alert(db, alert_id)["status"] == "pending"
    assert len(receiver.requests) == 1


def test_email_over_implicit_tls_and_plain(db, tls_files):
    """security = "ssl" (port 465 style) and security = "none" (a local relay)."""
    import ssl
    from email import message_from_bytes, policy as email_policy

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            tls = server.transport.get_extra_info("ssl_object") is not None
            received.append((tls, message_from_bytes(envelope.content, policy=email_policy.default)))
            return "250 OK"

    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(*tls_files)
    implicit = start_smtp(Handler(), ssl_context=server_tls)
    plain = start_smtp(Handler())
    ssl_port, plain_port = implicit.port, plain.port
    try:
        base = {"kind": "email", "to": ["a@example.org"], "from": "pw@example.org", "smtp_host": "127.0.0.1", "timeout": 5}
        config = parse_config({"alerts": [
            {**base, "name": "ssl", "security": "ssl", "smtp_port": ssl_port, "ca_file": str(tls_files[0])},
            {**base, "name": "plain", "security": "none", "smtp_port": plain_port},
        ]})
        queue(db, config)
        summary = send_pending(db, config, now=NOW)
        assert summary.sent == 2, summary.errors
        assert sorted(tls for tls, _ in received) == [False, True]
    finally:
        implicit.stop()
        plain.stop()


def test_email_refused_recipients_are_a_failed_attempt(db):
    """A real SMTP server that accepts one recipient and refuses another: not delivered."""
    received = []

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
            if address.startswith("gone"):
                return "550 5.1.1 no such mailbox"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append(list(envelope.rcpt_tos))
            return "250 OK"

    server = start_smtp(Handler())
    try:
        config = parse_config({"alerts": [{
            "kind": "email", "to": ["team@example.org", "gone@example.org"], "from": "pw@example.org",
            "smtp_host": "127.0.0.1", "smtp_port": server.port, "security": "none", "timeout": 5,
        }]})
        [alert_id] = queue(db, config)
        summary = send_pending(db, config, now=NOW)
        assert (summary.sent, summary.failed) == (0, 1)
        assert "refused recipients" in summary.errors[0] and "gone@example.org" in summary.errors[0]
        assert received == [["team@example.org"]]  # the server did take it for the other address
        row = alerts_db.get_alert(db, alert_id)
        assert row["status"] == "pending" and row["attempts"] == 1
        assert "gone@example.org" in alerts_db.attempts_for(db, alert_id)[0]["error"]
    finally:
        server.stop()
