"""policywatch.toml: discovery, channel parsing, filters, errors that name the key."""
from __future__ import annotations

import pytest

from policywatch.errors import ConfigError
from policywatch.tracker.config import load_config, parse_config, read_secret

DESIGN_EXAMPLE = """
[[alerts]]
kind = "webhook"                       # JSON POST
url = "https://hooks.example.org/policywatch"
secret_env = "POLICYWATCH_WEBHOOK_SECRET"
min_severity = "medium"                # none | low | medium | high
policies = ["*"]                       # names or glob patterns

[[alerts]]
kind = "email"
to = ["privacy-team@example.org"]
from = "policywatch@example.org"
smtp_host = "localhost"
smtp_port = 587
security = "starttls"                  # none | starttls | ssl
username_env = "SMTP_USER"
password_env = "SMTP_PASSWORD"

[[alerts]]
kind = "apprise"                       # any Apprise URL (Slack, Teams, ntfy, ...)
url_env = "POLICYWATCH_APPRISE_URL"

[health]
failures_before_alert = 5
"""


def test_design_example_loads(tmp_path):
    path = tmp_path / "policywatch.toml"
    path.write_text(DESIGN_EXAMPLE)
    config = load_config(str(path))
    assert [c.kind for c in config.channels] == ["webhook", "email", "apprise"]
    assert [c.key for c in config.channels] == [
        "webhook:https://hooks.example.org/policywatch",
        "email:privacy-team@example.org",
        "apprise:env:POLICYWATCH_APPRISE_URL",
    ]
    email = config.channels[1]
    assert email.option("security") == "starttls" and email.option("smtp_port") == 587
    assert config.health.failures_before_alert == 5


def test_discovery_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POLICYWATCH_CONFIG", raising=False)
    assert load_config(None).channels == ()  # nothing anywhere: empty config
    (tmp_path / "policywatch.toml").write_text('[[alerts]]\nkind = "apprise"\nurl_env = "A"\n')
    assert load_config(None).channels[0].key == "apprise:env:A"
    other = tmp_path / "other.toml"
    other.write_text('[[alerts]]\nkind = "apprise"\nurl_env = "B"\n')
    monkeypatch.setenv("POLICYWATCH_CONFIG", str(other))
    assert load_config(None).channels[0].key == "apprise:env:B"
    assert load_config(str(tmp_path / "policywatch.toml")).channels[0].key == "apprise:env:A"


def test_missing_explicit_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(str(tmp_path / "nope.toml"))


@pytest.mark.parametrize(
    "toml, message",
    [
        ('[[alerts]]\nkind = "sms"\n', "unknown kind 'sms'"),
        ('[[alerts]]\nkind = "webhook"\nurl = "http://x"\nmin_severtiy = "low"\n', "unknown key .*'min_severtiy'"),
        ('[[alerts]]\nkind = "webhook"\nurl = "http://x"\nsecret = "hunter2"\n', "unknown key .*'secret'"),
        ('[[alerts]]\nkind = "webhook"\nurl = "http://x"\nmin_severity = "urgent"\n', "min_severity"),
        ('[[alerts]]\nkind = "email"\nto = ["a@b"]\n', "needs 'from'"),
        ('[[alerts]]\nkind = "email"\nto = ["a@b"]\nfrom = "c@d"\nsecurity = "tls"\n', "security"),
        ('[[alerts]]\nkind = "webhook"\n', "exactly one of 'url' or 'url_env'"),
        ('[smtp]\nhost = "x"\n', "unknown key 'smtp'"),
        ('[health]\nfailures_before_alert = 0\n', "failures_before_alert"),
        ('[[alerts]]\nkind = "apprise"\nurl_env = "A"\n[[alerts]]\nkind = "apprise"\nurl_env = "A"\n', "distinct 'name'"),
        ('[[alerts]\n', "invalid TOML"),
    ],
)
def test_invalid_configs_name_file_and_key(tmp_path, toml, message):
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(str(path))
    assert str(path) in str(info.value)


def test_accepts_severity_names_globs_and_groups():
    config = parse_config(
        {
            "alerts": [
                {"kind": "webhook", "url": "http://x", "min_severity": "medium", "policies": ["acme*", "globex"]},
                {"kind": "apprise", "url_env": "A", "groups": ["social"], "name": "social-chat"},
            ]
        }
    )
    hook, chat = config.channels
    assert hook.accepts("acme-eu", None, "high")
    assert hook.accepts("globex", "x", "medium")
    assert not hook.accepts("acme", None, "low")
    assert not hook.accepts("initech", None, "high")
    assert chat.key == "social-chat"
    assert chat.accepts("anything", "social", "low")
    assert not chat.accepts("anything", None, "high")
    assert not chat.accepts("anything", "news", "high")
    assert config.channel("social-chat") is chat


def test_secrets_are_read_at_send_time(monkeypatch):
    config = parse_config({"alerts": [{"kind": "webhook", "url": "http://x", "secret_env": "PW_TEST_SECRET"}]})
    monkeypatch.delenv("PW_TEST_SECRET", raising=False)
    with pytest.raises(ConfigError, match="PW_TEST_SECRET"):
        read_secret("PW_TEST_SECRET", what="webhook secret", channel=config.channels[0])
    monkeypatch.setenv("PW_TEST_SECRET", "abc")
    assert read_secret("PW_TEST_SECRET", what="webhook secret") == "abc"


def test_digest_and_delivery_options():
    config = parse_config(
        {"alerts": [{"kind": "apprise", "url_env": "A", "digest": "daily"}], "delivery": {"max_attempts": 3}}
    )
    assert config.channels[0].digest == "daily"
    assert config.delivery.max_attempts == 3
    with pytest.raises(ConfigError, match="digest"):
        parse_config({"alerts": [{"kind": "apprise", "url_env": "A", "digest": "hourly"}]})
