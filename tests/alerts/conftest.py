"""Fixtures for alert tests: a fresh database with a recorded change, and real
servers on loopback (an HTTP receiver, an SMTP server with STARTTLS + AUTH)."""
from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from policywatch.db.connection import open_database

NOW = dt.datetime(2024, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
SALE = "We may sell your personal information to data brokers."


@pytest.fixture
def db(tmp_path: Path):
    return open_database(tmp_path / "alerts.db", create=True)


def add_policy(db, name: str = "acme", url: str = "https://acme.test/privacy", group: str | None = None) -> dict:
    db.execute(
        "INSERT INTO policies (name, url, policy_group, created_at) VALUES (?, ?, ?, '2024-01-01T00:00:00Z')",
        [name, url, group],
    )
    return dict(next(db.query("SELECT * FROM policies WHERE name = ?", [name])))


SOURCEHUT = Path(__file__).resolve().parents[2] / "policywatch" / "demo_data" / "sourcehut"


def policy_text() -> str:
    """A real policy (the demo data's latest sourcehut version)."""
    return sorted(SOURCEHUT.glob("*.md"))[-1].read_text(encoding="utf-8")


def material_text() -> str:
    text = policy_text()
    changed = text.replace("and a password.", "and a password. " + SALE, 1)
    assert changed != text
    return changed


def add_change(db, policy: dict, *, times: tuple[str, str] = ("2024-01-01T00:00:00Z", "2024-03-01T00:00:00Z")) -> int:
    """A recorded material change (adds sale to data brokers), made by the real ingest.

    ``alerts=False``: the tests queue alerts themselves, for the channels they test.
    """
    from policywatch.tracker.ingest import Ingestor
    from policywatch.tracker.model import Capture

    ingestor = Ingestor(db, alerts=False)
    result = None
    for time, text in zip(times, (policy_text(), material_text())):
        result = ingestor.put(Capture(
            policy=policy["name"], source="live", url=policy["url"], capture_time=time,
            body=text.encode("utf-8"), content_type="text/markdown", http_status=200,
        ))
    assert result is not None and result.change_ids, result
    return result.change_ids[-1]


# ---------------------------------------------------------------- HTTP receiver
@dataclass
class Receiver:
    """A real webhook receiver: records requests, answers with scripted statuses."""

    server: ThreadingHTTPServer
    requests: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # consumed first; then 200

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def delivered_ids(self) -> list[str]:
        """Idempotency keys of requests answered 2xx, with repeats dropped (what a receiver keeps)."""
        seen: list[str] = []
        for request in self.requests:
            key = request["headers"].get("Idempotency-Key")
            if 200 <= request["status"] < 300 and key not in seen:
                seen.append(key)
        return seen


def start_receiver() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  (a followed redirect would arrive here)
            receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": b"", "status": 200})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            receiver.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": body, "status": status}
            )
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return receiver


@pytest.fixture
def receiver():
    rec = start_receiver()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()


def bound_socket() -> socket.socket:
    """A loopback TCP socket on a port from the OS, bound and kept open (never closed and
    re-bound: another process could take the port in between). Until it listens, a
    connection to it is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def start_smtp(handler: Any, sock: socket.socket | None = None, **options: Any):
    """An aiosmtpd Controller serving on an already bound socket (its port came from the OS)."""
    from aiosmtpd.controller import Controller

    class BoundController(Controller):
        def _create_server(self):
            return self.loop.create_server(self._factory_invoker, sock=self.bound, ssl=self.ssl_context)

    sock = sock or bound_socket()
    host, port = sock.getsockname()[:2]
    controller = BoundController(handler, hostname=host, port=port, ready_timeout=5, **options)
    controller.bound = sock
    controller.start()
    return controller


# ---------------------------------------------------------------- TLS + SMTP
@pytest.fixture(scope="session")
def tls_files(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost (also its own CA)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "policywatch test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Any] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    tls_seen: list[bool] = field(default_factory=list)


@pytest.fixture
def smtp_server(tls_files):
    """aiosmtpd on loopback requiring STARTTLS, with AUTH (user 'alice', password 's3cret')."""
    from email import message_from_bytes, policy as email_policy

    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert_path, key_path = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    sock = bound_socket()
    state = SmtpServer("127.0.0.1", sock.getsockname()[1])

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            state.tls_seen.append(session.ssl is not None)
            state.messages.append(message_from_bytes(envelope.content, policy=email_policy.default))
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"alice" and auth_data.password == b"s3cret"
        if ok:
            state.logins.append((auth_data.login.decode(), mechanism))
        return AuthResult(success=ok)

    controller = start_smtp(
        Handler(), sock, tls_context=context, require_starttls=True, authenticator=authenticator, auth_require_tls=True,
    )
    yield state
    controller.stop()


def email_channel_config(smtp: SmtpServer, cert_path: Path, **extra: Any) -> dict:
    return {
        "kind": "email", "to": ["privacy-team@example.org"], "from": "policywatch@example.org",
        "smtp_host": smtp.host, "smtp_port": smtp.port, "security": "starttls",
        "username_env": "TEST_SMTP_USER", "password_env": "TEST_SMTP_PASSWORD", "ca_file": str(cert_path),
        "timeout": 5, **extra,
    }
