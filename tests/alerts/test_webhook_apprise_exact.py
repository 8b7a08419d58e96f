"""The webhook and Apprise senders' exact promises against real loopback receivers:
every header byte (Standard Webhooks signature over ``id.timestamp.body``), the status
rule (2xx delivers, 3xx/4xx/5xx fail with the status recorded), timeouts, and Apprise's
two failure kinds (a URL apprise rejects holds the channel; notify False is a retry)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket

import pytest

from policywatch.errors import ConfigError
from policywatch.tracker.alerts.apprise_channel import AppriseSender
from policywatch.tracker.alerts.delivery import attempt_send
from policywatch.tracker.alerts.render import AlertContent
from policywatch.tracker.alerts.webhook import (
    USER_AGENT, WebhookSender, signature, signing_key, standard_signature, verify_signature,
)
from policywatch.tracker.config import parse_config

from .conftest import NOW

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]

CONTENT = AlertContent(
    alert_ids=("0123456789abcdef",), subject="acme: material change", text="Text body\n", html="<p>x</p>",
    payload={"alert_id": "0123456789abcdef", "note": "caf\u00e9"},
)
STAMP = int(NOW.timestamp())


def hook(url: str, **options):
    [ch] = parse_config({"alerts": [{"kind": "webhook", "name": "h", "url": url, "timeout": 2,
                                     "allow_private": True, **options}]}).channels
    return ch


def lower(headers: dict) -> dict:
    return {k.lower(): v for k, v in headers.items()}


def test_every_header_and_the_body_are_exact(receiver, monkeypatch):
    monkeypatch.setenv("S1", "first-secret")
    monkeypatch.setenv("S2", "whsec_" + base64.b64encode(b"second key bytes").decode())
    sender = WebhookSender(clock=lambda: NOW)
    result = sender.send(hook(receiver.url + "?team=7", secret_env=["S1", "S2"]), CONTENT)
    assert (result.ok, result.error, result.response_status, result.held) == (True, None, 200, False)
    [request] = receiver.requests
    assert request["path"] == "/hook?team=7"
    body = request["body"]
    assert body == CONTENT.body_bytes() == json.dumps(CONTENT.payload, ensure_ascii=False).encode("utf-8")
    headers = lower(request["headers"])
    assert headers["content-type"] == "application/json"
    assert headers["idempotency-key"] == "0123456789abcdef"
    assert headers["webhook-id"] == "0123456789abcdef"
    assert headers["user-agent"] == USER_AGENT == "policywatch-alerts/1"
    assert headers["webhook-timestamp"] == str(STAMP)
    signed = f"0123456789abcdef.{STAMP}.".encode() + body
    expected = [
        "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        for key in (b"first-secret", b"second key bytes")
    ]
    assert headers["webhook-signature"] == " ".join(expected)
    assert headers["x-policywatch-signature"] == "sha256=" + hmac.new(b"first-secret", body, hashlib.sha256).hexdigest()
    assert headers["content-length"] == str(len(body))


def test_signature_helpers():
    assert signing_key("plain") == b"plain"
    assert signing_key("whsec_" + base64.b64encode(b"\x00\x01k").decode()) == b"\x00\x01k"
    assert signing_key("whsec_" + base64.b64encode(b"ab").decode().rstrip("=")) == b"ab"  # padding restored
    assert standard_signature("m", 5, b"{}", []) == ""
    one = standard_signature("m", 5, b"{}", ["k"])
    assert one == "v1," + base64.b64encode(hmac.new(b"k", b"m.5.{}", hashlib.sha256).digest()).decode()
    assert signature(b"{}", "k") == "sha256=" + hmac.new(b"k", b"{}", hashlib.sha256).hexdigest()
    assert verify_signature(b"{}", "k", signature(b"{}", "k"))
    assert not verify_signature(b"{}", "k", None) and not verify_signature(b"{}", "k", "")
    assert not verify_signature(b"{}", "other", signature(b"{}", "k"))


def test_unsigned_channel_sends_no_signature_headers(receiver, monkeypatch):
    monkeypatch.setenv("EMPTYISH", "x")
    assert WebhookSender(clock=lambda: NOW).send(hook(receiver.url), CONTENT).ok
    headers = lower(receiver.requests[0]["headers"])
    assert "webhook-signature" not in headers and "x-policywatch-signature" not in headers
    assert headers["webhook-id"] == "0123456789abcdef"


def test_a_single_secret_env_string_signs(receiver, monkeypatch):
    monkeypatch.setenv("ONE", "k")
    WebhookSender(clock=lambda: NOW).send(hook(receiver.url, secret_env="ONE"), CONTENT)
    headers = lower(receiver.requests[0]["headers"])
    assert headers["webhook-signature"] == standard_signature("0123456789abcdef", STAMP, receiver.requests[0]["body"], ["k"])


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_2xx_is_a_delivery(receiver, status):
    receiver.statuses.append(status)
    result = WebhookSender(clock=lambda: NOW).send(hook(receiver.url), CONTENT)
    assert (result.ok, result.response_status, result.error) == (True, status, None)


@pytest.mark.parametrize("status", [300, 302, 400, 404, 500, 503])
def test_other_statuses_fail_with_the_status(receiver, status):
    receiver.statuses.append(status)
    result = WebhookSender(clock=lambda: NOW).send(hook(receiver.url), CONTENT)
    assert (result.ok, result.response_status, result.error, result.held) == (False, status, f"h: HTTP {status}", False)
    assert len(receiver.requests) == 1  # a redirect is not followed


def test_no_answer_within_the_timeout_is_a_failure():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts (in the kernel) and never answers
    try:
        url = "http://127.0.0.1:%d/hook" % listener.getsockname()[1]
        [ch] = parse_config({"alerts": [{"kind": "webhook", "name": "h", "url": url, "timeout": 0.5,
                                         "allow_private": True}],
                             "delivery": {"claim_timeout": 5}}).channels
        result = WebhookSender(clock=lambda: NOW).send(ch, CONTENT)
        assert not result.ok and result.response_status is None
        assert result.error == "h: no answer (TimeoutError: timed out)"
    finally:
        listener.close()


def test_refused_connection_is_a_failure_naming_the_channel():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # never listens
    try:
        result = WebhookSender(clock=lambda: NOW).send(hook("http://127.0.0.1:%d/" % sock.getsockname()[1]), CONTENT)
        assert not result.ok and result.error.startswith("h: no answer (ConnectionRefusedError: ")
    finally:
        sock.close()


def test_private_address_without_allow_private_is_refused_not_sent(receiver):
    result = WebhookSender(clock=lambda: NOW).send(hook(receiver.url, allow_private=False), CONTENT)
    assert (result.ok, result.error) == (False, "h: refused 127.0.0.1: 127.0.0.1 is a loopback address (allow_private is off)")
    assert receiver.requests == []


def test_url_from_env_with_a_bad_scheme_is_a_config_error(monkeypatch):
    monkeypatch.setenv("HOOK_URL", "ftp://127.0.0.1/x?token=SECRET")
    [ch] = parse_config({"alerts": [{"kind": "webhook", "name": "h", "url_env": "HOOK_URL"}]}).channels
    with pytest.raises(ConfigError) as info:
        WebhookSender(clock=lambda: NOW).send(ch, CONTENT)
    assert "SECRET" not in str(info.value) and str(info.value).startswith("h: webhook URL refused")
    held = attempt_send({"webhook": WebhookSender()}, ch, CONTENT)
    assert held.held and not held.ok and held.error.startswith("held: h: webhook URL refused")


# ---------------------------------------------------------------- Apprise
def apprise_channel():
    [ch] = parse_config({"alerts": [{"kind": "apprise", "name": "a", "url_env": "T_APPRISE"}]}).channels
    return ch


def test_apprise_posts_title_and_text_body(receiver, monkeypatch):
    monkeypatch.setenv("T_APPRISE", receiver.url.replace("http://", "json://"))
    result = AppriseSender().send(apprise_channel(), CONTENT)
    assert (result.ok, result.error) == (True, None)
    [request] = receiver.requests
    payload = json.loads(request["body"])
    assert (payload["title"], payload["message"], payload["type"]) == (CONTENT.subject, "Text body", "info")


def test_apprise_notify_false_is_a_retryable_failure(receiver, monkeypatch):
    monkeypatch.setenv("T_APPRISE", receiver.url.replace("http://", "json://"))
    receiver.statuses.append(500)
    result = AppriseSender().send(apprise_channel(), CONTENT)
    assert (result.ok, result.held, result.error) == (False, False, "apprise (T_APPRISE): notification failed")
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("url", ["not a url at all", "nosuchscheme://host/path"])
def test_apprise_url_it_does_not_understand_holds_the_channel(url, monkeypatch):
    monkeypatch.setenv("T_APPRISE", url)
    with pytest.raises(ConfigError) as info:
        AppriseSender().send(apprise_channel(), CONTENT)
    assert str(info.value) == ("The Apprise URL in T_APPRISE (channel a) is not understood by apprise.")
    result = attempt_send({"apprise": AppriseSender()}, apprise_channel(), CONTENT)
    assert (result.ok, result.held) == (False, True)
    assert result.error == "held: The Apprise URL in T_APPRISE (channel a) is not understood by apprise."


def test_apprise_unset_url_is_held(monkeypatch):
    monkeypatch.delenv("T_APPRISE", raising=False)
    result = attempt_send({"apprise": AppriseSender()}, apprise_channel(), CONTENT)
    assert result.held and result.error.startswith("held: Environment variable T_APPRISE (Apprise URL for channel a)")


def test_url_from_env_is_read_at_send_time(receiver, monkeypatch):
    monkeypatch.setenv("HOOK_URL", receiver.url)
    [ch] = parse_config({"alerts": [{"kind": "webhook", "name": "h", "url_env": "HOOK_URL", "allow_private": True}]}).channels
    assert WebhookSender(clock=lambda: NOW).send(ch, CONTENT).ok
    assert receiver.requests[0]["path"] == "/hook"


def test_unset_secret_holds_with_an_exact_reason(receiver, monkeypatch):
    monkeypatch.delenv("NO_SUCH_SECRET", raising=False)
    result = attempt_send({"webhook": WebhookSender()}, hook(receiver.url, secret_env="NO_SUCH_SECRET"), CONTENT)
    assert result.held and result.error == (
        "held: Environment variable NO_SUCH_SECRET (webhook secret for channel h) is not set; "
        "export it in the environment that sends alerts.")
    assert receiver.requests == []


def test_a_url_without_a_path_posts_to_the_root(receiver):
    assert WebhookSender(clock=lambda: NOW).send(hook(receiver.url.removesuffix("/hook")), CONTENT).ok
    assert receiver.requests[0]["path"] == "/"


@pytest.mark.parametrize("host", ["169.254.169.254", "224.0.0.1", "0.0.0.0", "[fe80::1]"])
def test_apprise_never_reaches_cloud_metadata_or_reserved_addresses(host, monkeypatch):
    monkeypatch.setenv("T_APPRISE", f"json://{host}/latest/meta-data")
    result = AppriseSender().send(apprise_channel(), CONTENT)
    assert not result.ok and not result.held
    assert result.error.startswith("a: Apprise server refused: ") and "link-local, multicast or reserved" in result.error
    assert "allow_private = true" in result.error and "meta-data" not in result.error  # the URL may carry a token


def test_apprise_to_a_loopback_server_is_trusted_as_before(receiver, monkeypatch):
    monkeypatch.setenv("T_APPRISE", receiver.url.replace("http://", "json://"))
    assert AppriseSender().send(apprise_channel(), CONTENT).ok
    assert len(receiver.requests) == 1


def test_apprise_services_whose_url_holds_tokens_are_not_resolved_as_hosts():
    import apprise

    from policywatch.tracker.alerts.apprise_channel import _forbidden_host

    def no_lookup(host: str) -> list[str]:
        raise AssertionError(f"{host} was resolved")

    slack = apprise.Apprise()
    assert slack.add("slack://TokenA/TokenB/TokenC")
    assert _forbidden_host(slack, no_lookup) is None  # "TokenA" sits where a host would: a token, per apprise
    named = apprise.Apprise()
    assert named.add("form://hooks.example/hook")
    assert "169.254.169.254" in (_forbidden_host(named, lambda host: ["169.254.169.254"]) or "")
    assert _forbidden_host(named, lambda host: ["10.1.2.3"]) is None  # an intranet server is trusted
