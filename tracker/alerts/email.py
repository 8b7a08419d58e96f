"""E-mail channel: multipart/alternative (plain text + HTML) over smtplib.

``security`` is ``none``, ``starttls`` or ``ssl``; credentials come from the
variables named by ``username_env``/``password_env`` at send time and are
never stored. ``ca_file`` trusts an extra CA (a private relay, or a test's
self-signed certificate); certificates are always verified. The Message-ID is
derived from the alert id, so a resend after a crash carries the same id and
mail systems can drop the duplicate. A whole send (connect, TLS, login, message)
ends within 2 x the channel timeout even against a server that drips its replies,
so the outbox lease (``claim_timeout`` >= 3 x) always outlives it.
"""
from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import threading
from email.message import EmailMessage
from email.utils import formatdate
from typing import Callable

from policywatch.tracker.alerts.render import AlertContent
from policywatch.tracker.alerts.sender import SendResult
from policywatch.tracker.config import Channel, read_secret

MESSAGE_ID_DOMAIN = "policywatch.invalid"
# (host, port, timeout, security, ssl_context, session) -> a connected smtplib.SMTP; the factory
# puts the SMTP object into ``session["smtp"]`` before connecting, so a deadline can cut it.
SmtpFactory = Callable[[str, int, float, str, "ssl.SSLContext | None", dict], smtplib.SMTP]


def message_id(content: AlertContent) -> str:
    """Stable across retries of the same alert (or the same digest)."""
    return f"<{content.idempotency_key}@{MESSAGE_ID_DOMAIN}>"


def build_message(channel: Channel, content: AlertContent) -> EmailMessage:
    """The message: readable text part first, HTML alternative second."""
    prefix = channel.option("subject_prefix")
    message = EmailMessage()
    message["Subject"] = f"{prefix} {content.subject}" if prefix else content.subject
    message["From"] = channel.option("from")
    message["To"] = ", ".join(channel.option("to"))
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(content)
    message["X-Policywatch-Alert-Id"] = content.idempotency_key
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    return message


def tls_context(channel: Channel) -> ssl.SSLContext:
    """A verifying context, trusting ``ca_file`` in addition when configured."""
    context = ssl.create_default_context()
    if channel.option("ca_file"):
        context.load_verify_locations(cafile=channel.option("ca_file"))
    return context


def connect_smtp(host: str, port: int, timeout: float, security: str, context: ssl.SSLContext | None,
                 session: dict | None = None) -> smtplib.SMTP:
    """The default I/O seam: a connection that has completed TLS as configured."""
    smtp = smtplib.SMTP_SSL(timeout=timeout, context=context) if security == "ssl" else smtplib.SMTP(timeout=timeout)
    if session is not None:
        session["smtp"] = smtp  # registered before connecting: the deadline can cut the greeting too
    smtp._host = host  # type: ignore[attr-defined]  # what SMTP(host) sets: the TLS server name
    try:
        smtp.connect(host, port)
    except BaseException:
        smtp.close()
        raise
    if security == "starttls":
        smtp.ehlo()
        smtp.starttls(context=context)
        smtp.ehlo()
    return smtp


class EmailSender:
    """Sends one message per alert; ``connect`` is the injectable transport."""

    def __init__(self, connect: SmtpFactory = connect_smtp) -> None:
        self.connect = connect

    def send(self, channel: Channel, content: AlertContent) -> SendResult:
        username = read_secret(channel.option("username_env"), what="SMTP user", channel=channel)
        password = read_secret(channel.option("password_env"), what="SMTP password", channel=channel)
        message = build_message(channel, content)
        security = channel.option("security", "none")
        context = tls_context(channel) if security != "none" else None
        host, port = channel.option("smtp_host"), channel.option("smtp_port")
        deadline = SEND_DEADLINE_FACTOR * channel.timeout
        session: dict[str, smtplib.SMTP] = {}
        fired = threading.Event()
        timer = threading.Timer(deadline, _abort, [session, fired])
        timer.daemon = True
        timer.start()
        try:
            smtp = session["smtp"] = self.connect(host, port, channel.timeout, security, context, session)
            if fired.is_set():
                _abort(session, fired)
            try:
                if username is not None:
                    smtp.login(username, password or "")
                refused = smtp.send_message(message)
            finally:
                _quit(smtp)
        except (smtplib.SMTPException, OSError, ssl.SSLError, socket.timeout) as exc:
            if fired.is_set():
                return SendResult(False, f"smtp {host}:{port}: no complete exchange within {deadline:g} s")
            return SendResult(False, f"smtp {host}:{port}: {type(exc).__name__}: {exc}")
        finally:
            timer.cancel()
        if fired.is_set():
            return SendResult(False, f"smtp {host}:{port}: no complete exchange within {deadline:g} s")
        if refused:
            return SendResult(False, f"smtp {host}:{port}: refused recipients {sorted(refused)}")
        return SendResult(True)


SEND_DEADLINE_FACTOR = 2


def _abort(session: dict[str, smtplib.SMTP], fired: threading.Event) -> None:
    """The deadline passed: cut the connection (a blocked read returns at once)."""
    fired.set()
    sock = getattr(session.get("smtp"), "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
