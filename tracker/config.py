"""policywatch.toml: alert channels, delivery and health settings.

The file is found as docs/DESIGN.md says: an explicit path, else ``POLICYWATCH_CONFIG``,
else ``./policywatch.toml`` if present, else an empty configuration (no channels).

Secrets never live in the file, only the *names* of environment variables that
hold them (``secret_env``, ``username_env``, ``password_env``, ``url_env``).
They are read at send time through :func:`read_secret`, so a config can be
loaded (and alerts queued) on a machine that cannot send them.

Unknown keys and kinds are errors (:class:`ConfigError` naming the file and the
key): a typo such as ``min_severtiy`` must not silently widen a channel.

Beyond docs/DESIGN.md's keys, every ``[[alerts]]`` channel accepts ``name`` (its
identity in the outbox; default derived from URL / recipients / variable),
``groups`` (policy_group globs), ``digest = "daily"``, ``health = false`` (no
tracking_broken/restored notices) and ``timeout`` (seconds). Webhooks may take
``url_env`` instead of ``url`` (http(s) only), a list of variables in
``secret_env`` (secret rotation: each active secret signs) and
``allow_private = true`` (deliver to private/loopback addresses, which the SSRF
guard refuses by default); e-mail takes ``ca_file`` (an extra trusted CA) and
``subject_prefix``. A variable that is unset or empty holds that channel's
alerts (reported, no attempt counted) until it is set. Two optional tables::

    [health]
    failures_before_alert = 3     # failed live checks in a row before tracking_broken

    [delivery]
    max_attempts = 8              # then the alert is 'failed'
    backoff_base = 60             # seconds; doubles per failed attempt ...
    backoff_max = 21600           # ... up to this
    claim_timeout = 600           # a claim older than this is a crashed sender's: resumed
                                  # (at least 3 x the longest channel timeout)
    allow_private = false         # default of every webhook's allow_private
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from policywatch.errors import ConfigError
from policywatch.tracker.addresses import scheme_refusal
from policywatch.tracker.model import SEVERITIES, severity_rank
from policywatch.tracker.toml_reader import (
    boolean as _bool,
    choice as _choice,
    number as _number,
    read_toml,
    reject_unknown as _reject_unknown,
    string_list,
    table,
)

DEFAULT_CONFIG_NAME = "policywatch.toml"
CONFIG_ENV = "POLICYWATCH_CONFIG"

# Keys every channel accepts, then the keys of each kind (explicit dict registry).
_COMMON_KEYS = {"kind", "name", "min_severity", "policies", "groups", "digest", "health", "timeout"}
_KIND_KEYS: dict[str, set[str]] = {
    "webhook": {"url", "url_env", "secret_env", "allow_private"},
    "email": {
        "to", "from", "smtp_host", "smtp_port", "security", "username_env", "password_env",
        "ca_file", "subject_prefix",
    },
    "apprise": {"url_env", "allow_private"},
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "webhook": (),  # url or url_env, checked separately
    "email": ("to", "from"),
    "apprise": ("url_env",),
}
_SECURITY = ("none", "starttls", "ssl")
_DIGESTS = (None, "daily")
_TOP_LEVEL = {"alerts", "health", "delivery"}


@dataclass(frozen=True)
class Channel:
    """One alert destination and the filter deciding which alerts it gets.

    ``key`` is stored in ``alerts.channel``; it must stay stable across edits of
    unrelated settings so the outbox's unique (change, channel) still holds.
    """

    kind: str
    key: str
    options: Mapping[str, Any] = field(default_factory=dict)
    min_severity: str = "none"
    policies: tuple[str, ...] = ("*",)
    groups: tuple[str, ...] | None = None
    digest: str | None = None
    health: bool = True
    timeout: float = 10.0

    def accepts(self, policy_name: str, policy_group: str | None, severity: str) -> bool:
        """Whether a change of this severity on this policy goes to this channel."""
        if severity_rank(severity) < severity_rank(self.min_severity):
            return False
        return self.matches_policy(policy_name, policy_group)

    def accepts_health(self, policy_name: str, policy_group: str | None) -> bool:
        """Whether tracking_broken/restored notices for this policy go here."""
        return self.health and self.matches_policy(policy_name, policy_group)

    def matches_policy(self, policy_name: str, policy_group: str | None) -> bool:
        """Name/glob patterns and (when set) the group filter both have to match."""
        if not any(fnmatch.fnmatchcase(policy_name, pattern) for pattern in self.policies):
            return False
        if self.groups is None:
            return True
        return policy_group is not None and any(
            fnmatch.fnmatchcase(policy_group, pattern) for pattern in self.groups
        )

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)


@dataclass(frozen=True)
class HealthConfig:
    """When repeated failed checks of a policy raise a tracking_broken alert."""

    failures_before_alert: int = 3


@dataclass(frozen=True)
class DeliveryConfig:
    """Retry policy of the outbox senders (seconds)."""

    max_attempts: int = 8
    backoff_base: float = 60.0
    backoff_max: float = 6 * 3600.0
    claim_timeout: float = 600.0
    allow_private: bool = False  # default of each webhook's allow_private


@dataclass(frozen=True)
class Config:
    """The loaded configuration; ``path`` is None for the empty default."""

    path: str | None = None
    channels: tuple[Channel, ...] = ()
    health: HealthConfig = field(default_factory=HealthConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)

    def channel(self, key: str) -> Channel | None:
        """The channel stored as ``key`` in the outbox, if it is still configured."""
        for channel in self.channels:
            if channel.key == key:
                return channel
        return None


def find_config_path(path: str | os.PathLike[str] | None) -> Path | None:
    """Resolve the config file per docs/DESIGN.md; None means "no config at all"."""
    if path:
        return Path(path)
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.is_file() else None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load and validate the config; an explicitly named missing file is an error."""
    found = find_config_path(path)
    if found is None:
        return Config()
    return parse_config(read_toml(found, "Config file"), source=str(found))


def parse_config(data: Mapping[str, Any], *, source: str = "<config>") -> Config:
    """Validate a parsed TOML mapping (separate from I/O so tests can feed dicts)."""
    _reject_unknown(data, _TOP_LEVEL, source, "")
    raw_channels = data.get("alerts", [])
    if not isinstance(raw_channels, list):
        raise ConfigError(f"{source}: 'alerts' must be an array of tables ([[alerts]]).")
    delivery = _parse_delivery(data.get("delivery", {}), source)
    channels = tuple(
        _parse_channel(raw, source, index, delivery) for index, raw in enumerate(raw_channels)
    )
    _check_unique_keys(channels, source)
    _check_lease(delivery, channels, source)
    return Config(
        path=source,
        channels=channels,
        health=_parse_health(data.get("health", {}), source),
        delivery=delivery,
    )


# A send may take a connect, a request and an answer, each up to the channel's timeout.
LEASE_FACTOR = 3


def _check_lease(delivery: DeliveryConfig, channels: tuple[Channel, ...], source: str) -> None:
    """A claim must outlive the slowest send, or a second sender repeats a delivery in flight."""
    if not channels:
        return
    slowest = max(channels, key=lambda c: c.timeout)
    if delivery.claim_timeout < LEASE_FACTOR * slowest.timeout:
        raise ConfigError(
            f"{source}: [delivery] 'claim_timeout' = {delivery.claim_timeout:g} is too short for channel "
            f"{slowest.key!r} (timeout {slowest.timeout:g} s): it must be at least {LEASE_FACTOR} x the "
            f"longest channel timeout ({LEASE_FACTOR * slowest.timeout:g} s), or a second sender could take "
            "over an alert while it is being delivered."
        )


def read_secret(env_name: str | None, *, what: str, channel: Channel | None = None) -> str | None:
    """Read a secret at send time; a named but unset variable is a ConfigError."""
    if not env_name:
        return None
    value = os.environ.get(env_name)
    where = f" for channel {channel.key}" if channel else ""
    if value is None:
        raise SecretMissing(
            f"Environment variable {env_name} ({what}{where}) is not set; "
            "export it in the environment that sends alerts."
        )
    if not value.strip():
        raise SecretMissing(
            f"Environment variable {env_name} ({what}{where}) is set but empty; "
            "give it the value to use."
        )
    return value


class SecretMissing(ConfigError):
    """A secret variable is unset or empty: alerts of that channel are held, not failed."""


def _parse_channel(raw: Any, source: str, index: int, delivery: DeliveryConfig) -> Channel:
    where = f"[[alerts]] #{index + 1} "
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: {where}must be a table.")
    kind = raw.get("kind")
    if kind not in _KIND_KEYS:
        raise ConfigError(
            f"{source}: {where}has unknown kind {kind!r} (expected one of: "
            f"{', '.join(sorted(_KIND_KEYS))})."
        )
    _reject_unknown(raw, _COMMON_KEYS | _KIND_KEYS[kind], source, f"{where}({kind}) ")
    for key in _REQUIRED[kind]:
        if key not in raw:
            raise ConfigError(f"{source}: {where}({kind}) needs {key!r}.")
    if kind == "webhook" and ("url" in raw) == ("url_env" in raw):
        raise ConfigError(f"{source}: {where}(webhook) needs exactly one of 'url' or 'url_env'.")
    options = _kind_options(kind, raw, source, where)
    if kind in ("webhook", "apprise"):
        options["allow_private"] = _bool(raw, "allow_private", delivery.allow_private, source, where)
    if kind == "webhook":
        if "url" in options:
            if not isinstance(options["url"], str) or scheme_refusal(options["url"]):
                raise ConfigError(
                    f"{source}: {where}(webhook) 'url' = {options['url']!r} must be an http:// or https:// URL "
                    "with a host."
                )
        options["secret_env"] = string_list(raw, "secret_env", source, where, what="environment variable names") or ()
    return Channel(
        kind=kind,
        key=_channel_key(kind, raw, options),
        options=options,
        min_severity=_choice(raw, "min_severity", SEVERITIES, "none", source, where),
        policies=_patterns(raw, "policies", source, where) or ("*",),
        groups=_patterns(raw, "groups", source, where),
        digest=_choice(raw, "digest", _DIGESTS, None, source, where),
        health=_bool(raw, "health", True, source, where),
        timeout=_number(raw, "timeout", 10.0, source, where),
    )


def _kind_options(kind: str, raw: Mapping[str, Any], source: str, where: str) -> dict[str, Any]:
    options = {k: v for k, v in raw.items() if k in _KIND_KEYS[kind]}
    if kind == "email":
        to = options["to"]
        if isinstance(to, str):
            to = [to]
        if not to or not all(isinstance(t, str) and "@" in t for t in to):
            raise ConfigError(f"{source}: {where}(email) 'to' must list e-mail addresses.")
        options["to"] = tuple(to)
        options["security"] = _choice(raw, "security", _SECURITY, "none", source, where)
        default_port = {"none": 25, "starttls": 587, "ssl": 465}[options["security"]]
        options["smtp_port"] = int(_number(raw, "smtp_port", default_port, source, where))
        options.setdefault("smtp_host", "localhost")
    for key, value in options.items():
        if key.endswith("_env") and key != "secret_env" and not (isinstance(value, str) and value):
            raise ConfigError(f"{source}: {where}{key!r} must name an environment variable.")
    return options


def _channel_key(kind: str, raw: Mapping[str, Any], options: Mapping[str, Any]) -> str:
    """A stable identity: the explicit name, else what the channel points at."""
    if raw.get("name"):
        return str(raw["name"])
    if kind == "webhook":
        return f"webhook:{options['url']}" if "url" in options else f"webhook:env:{options['url_env']}"
    if kind == "email":
        return "email:" + ",".join(sorted(options["to"]))
    return f"apprise:env:{options['url_env']}"


def _check_unique_keys(channels: tuple[Channel, ...], source: str) -> None:
    seen: set[str] = set()
    for channel in channels:
        if channel.key in seen:
            raise ConfigError(
                f"{source}: two [[alerts]] channels share the identity {channel.key!r}; "
                "give them distinct 'name's."
            )
        seen.add(channel.key)


def _patterns(raw: Mapping[str, Any], key: str, source: str, where: str) -> tuple[str, ...] | None:
    return string_list(raw, key, source, where, what="names or glob patterns")


def _parse_health(raw: Any, source: str) -> HealthConfig:
    raw = table(raw, source, "[health] ")
    _reject_unknown(raw, {"failures_before_alert"}, source, "[health] ")
    value = raw.get("failures_before_alert", 3)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{source}: [health] 'failures_before_alert' must be an integer >= 1.")
    return HealthConfig(failures_before_alert=value)


def _parse_delivery(raw: Any, source: str) -> DeliveryConfig:
    raw = table(raw, source, "[delivery] ")
    defaults = DeliveryConfig()
    _reject_unknown(
        raw, {"max_attempts", "backoff_base", "backoff_max", "claim_timeout", "allow_private"}, source, "[delivery] "
    )
    where = "[delivery] "
    return DeliveryConfig(
        max_attempts=int(_number(raw, "max_attempts", defaults.max_attempts, source, where)),
        backoff_base=float(_number(raw, "backoff_base", defaults.backoff_base, source, where)),
        backoff_max=float(_number(raw, "backoff_max", defaults.backoff_max, source, where)),
        claim_timeout=float(_number(raw, "claim_timeout", defaults.claim_timeout, source, where)),
        allow_private=_bool(raw, "allow_private", False, source, where),
    )
