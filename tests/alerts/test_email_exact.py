"""The e-mail sender's exact promises, against real aiosmtpd servers on loopback:
the message (headers, text + HTML parts), the TLS choice, login only with credentials,
refused recipients and the failure texts that end up in ``last_error``."""
from __future__ import annotations

import email.utils
import ssl
from email import message_from_bytes, policy as email_policy

import pytest

from policywatch.tracker.alerts.email import EmailSender, build_message, connect_smtp, message_id
from policywatch.tracker.alerts.render import AlertContent
from policywatch.tracker.config import parse_config

from .conftest import bound_socket, start_smtp

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]

CONTENT = AlertContent(
    alert_ids=("a1b2c3d4e5f6",), subject="acme: material change (high)",
    text="Plain body line.\nSecond line.\n", html="<p>Html <b>body</b></p>\n",
)


def channel(**options):
    base = {"kind": "email", "to": ["one@example.org", "two@example.org"], "from": "pw@example.org",
            "smtp_host": "127.0.0.1", "smtp_port": 25, "security": "none", "timeout": 5}
    [ch] = parse_config({"alerts": [{**base, **options}]}).channels
    return ch


class Collect:
    """An SMTP handler that keeps every message, its envelope and whether TLS was on."""

    def __init__(self) -> None:
        self.messages: list = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.tls: list[bool] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.tls.append(server.transport.get_extra_info("ssl_object") is not None)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=email_policy.default))
        return "250 OK"

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"alice" and auth_data.password == b"s3cret")


def test_build_message_headers_and_parts():
    message = build_message(channel(subject_prefix="[pw]"), CONTENT)
    assert message["Subject"] == "[pw] acme: material change (high)"
    assert message["From"] == "pw@example.org"
    assert message["To"] == "one@example.org, two@example.org"
    assert message["Message-ID"] == "<a1b2c3d4e5f6@policywatch.invalid>" == message_id(CONTENT)
    assert message["X-Policywatch-Alert-Id"] == "a1b2c3d4e5f6"
    assert email.utils.parsedate_to_datetime(message["Date"]).utcoffset().total_seconds() == 0
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert text.get_content_type() == "text/plain" and text.get_content() == CONTENT.text
    assert html.get_content_type() == "text/html" and html.get_content() == CONTENT.html
    assert message.get_body(("plain",)).get_content() == CONTENT.text
    assert message.get_body(("html",)).get_content() == CONTENT.html


def test_build_message_without_prefix_and_digest_message_id():
    digest = AlertContent(alert_ids=("b", "a"), subject="Digest", text="t\n", html="<p>h</p>\n")
    message = build_message(channel(to=["solo@example.org"]), digest)
    assert message["Subject"] == "Digest"
    assert message["To"] == "solo@example.org"
    assert message["Message-ID"] == f"<{digest.idempotency_key}@policywatch.invalid>"
    assert digest.idempotency_key.startswith("digest-")
    assert message["X-Policywatch-Alert-Id"] == digest.idempotency_key


def test_plain_send_delivers_the_exact_message_to_every_recipient():
    handler = Collect()
    server = start_smtp(handler)
    try:
        result = EmailSender().send(channel(smtp_port=server.port, subject_prefix="[pw]"), CONTENT)
        assert result.ok and result.error is None and not result.held
        [(mail_from, rcpts)] = handler.envelopes
        assert mail_from == "pw@example.org" and rcpts == ["one@example.org", "two@example.org"]
        assert handler.tls == [False]
        [message] = handler.messages
        assert message["Subject"] == "[pw] acme: material change (high)"
        assert message["Message-ID"] == "<a1b2c3d4e5f6@policywatch.invalid>"
        assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == CONTENT.text
        assert message.get_body(("html",)).get_content().replace("\r\n", "\n") == CONTENT.html
        assert handler.logins == []  # no credentials configured: no AUTH
    finally:
        server.stop()


def test_login_happens_only_when_credentials_are_configured(monkeypatch):
    monkeypatch.setenv("T_USER", "alice")
    monkeypatch.setenv("T_PASS", "s3cret")
    handler = Collect()
    server = start_smtp(handler, authenticator=handler.authenticator, auth_require_tls=False)
    try:
        assert EmailSender().send(channel(smtp_port=server.port), CONTENT).ok
        assert handler.logins == []
        ch = channel(smtp_port=server.port, username_env="T_USER", password_env="T_PASS")
        assert EmailSender().send(ch, CONTENT).ok
        assert handler.logins == [(b"alice", b"s3cret")]
        assert len(handler.messages) == 2
    finally:
        server.stop()


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
def test_connect_smtp_uses_the_configured_security(security, tls_files):
    cert, key = tls_files
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    options = {"ssl": {"ssl_context": server_tls}, "starttls": {"tls_context": server_tls}}.get(security, {})
    handler = Collect()
    server = start_smtp(handler, **options)
    try:
        context = ssl.create_default_context(cafile=str(cert)) if security != "none" else None
        session: dict = {}
        smtp = connect_smtp("127.0.0.1", server.port, 4.5, security, context, session)
        try:
            assert session["smtp"] is smtp
            assert smtp.timeout == 4.5
            assert isinstance(smtp.sock, ssl.SSLSocket) == (security != "none")
            assert type(smtp).__name__ == ("SMTP_SSL" if security == "ssl" else "SMTP")
            smtp.sendmail("pw@example.org", ["x@example.org"], b"Subject: t\r\n\r\nbody\r\n")
        finally:
            smtp.quit()
        assert handler.tls == [security != "none"]
        # and the sender itself, configured the same way
        ch = channel(smtp_port=server.port, security=security, ca_file=str(cert))
        assert EmailSender().send(ch, CONTENT).ok
        assert handler.tls == [security != "none"] * 2
    finally:
        server.stop()


def test_starttls_checks_the_server_name(tls_files):
    """The certificate names 127.0.0.1 and localhost; a client that did not pass the host as
    the TLS server name could not verify it (and one that skipped the check would accept any)."""
    cert, key = tls_files
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    server = start_smtp(Collect(), tls_context=server_tls)
    try:
        ok = EmailSender().send(channel(smtp_host="localhost", smtp_port=server.port, security="starttls",
                                        ca_file=str(cert)), CONTENT)
        assert ok.ok, ok.error
        untrusted = EmailSender().send(channel(smtp_port=server.port, security="starttls"), CONTENT)
        assert not untrusted.ok and "SSLCertVerificationError" in untrusted.error
    finally:
        server.stop()


def test_connection_refused_is_a_failed_result_naming_the_server():
    sock = bound_socket()  # bound, never listening: connections are refused
    try:
        port = sock.getsockname()[1]
        result = EmailSender().send(channel(smtp_port=port), CONTENT)
        assert not result.ok and not result.held
        assert result.error.startswith(f"smtp 127.0.0.1:{port}: ConnectionRefusedError: ")
    finally:
        sock.close()


class Refuse(Collect):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("gone"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_refused_recipients_exact_texts():
    handler = Refuse()
    server = start_smtp(handler)
    try:
        port = server.port
        some = EmailSender().send(channel(smtp_port=port, to=["one@example.org", "gone@example.org"]), CONTENT)
        assert (some.ok, some.error) == (False, f"smtp 127.0.0.1:{port}: refused recipients ['gone@example.org']")
        every = EmailSender().send(channel(smtp_port=port, to=["gone1@example.org", "gone2@example.org"]), CONTENT)
        assert not every.ok and every.error.startswith(f"smtp 127.0.0.1:{port}: SMTPRecipientsRefused: ")
        assert [rcpts for _, rcpts in handler.envelopes] == [["one@example.org"]]
    finally:
        server.stop()


@pytest.mark.parametrize("missing, what", [("T_USER", "SMTP user"), ("T_PASS", "SMTP password")])
def test_unset_credentials_hold_with_an_exact_reason(missing, what, monkeypatch):
    from policywatch.tracker.alerts.delivery import attempt_send

    monkeypatch.setenv("T_USER", "alice")
    monkeypatch.setenv("T_PASS", "s3cret")
    monkeypatch.delenv(missing)
    ch = channel(username_env="T_USER", password_env="T_PASS")
    result = attempt_send({"email": EmailSender()}, ch, CONTENT)
    assert result.held and result.error == (
        f"held: Environment variable {missing} ({what} for channel {ch.key}) is not set; "
        "export it in the environment that sends alerts.")


def test_implicit_tls_verifies_the_certificate(tls_files):
    """security = "ssl" without the CA: the self-signed server must be refused, not trusted."""
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(*tls_files)
    handler = Collect()
    server = start_smtp(handler, ssl_context=server_tls)
    try:
        result = EmailSender().send(channel(smtp_port=server.port, security="ssl"), CONTENT)
        assert not result.ok and "SSLCertVerificationError" in result.error
        assert handler.messages == []
    finally:
        server.stop()


def test_the_configured_host_is_the_one_connected():
    """A server on 127.0.0.2 only: reaching it proves the host is used (not a default)."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.2", 0))
    handler = Collect()
    server = start_smtp(handler, sock)
    try:
        result = EmailSender().send(channel(smtp_host="127.0.0.2", smtp_port=sock.getsockname()[1]), CONTENT)
        assert result.ok, result.error
        assert len(handler.messages) == 1
    finally:
        server.stop()
