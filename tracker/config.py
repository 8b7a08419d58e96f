"""policywatch.toml: alert channels, delivery and health settings.

The file is found as DESIGN.md says: an explicit path, else ``POLICYWATCH_CONFIG``,
else ``./policywatch.toml`` if present, else an empty configuration (no channels).

Secrets never live in the file, only the *names* of environment variables that
hold them (``secret_env``, ``username_env``, ``password_env``, ``url_env``).
They are read at send time through :func:`read_secret`, so a config can be
loaded (and alerts queued) on a machine that cannot send them.

Unknown keys and kinds are errors (:class:`ConfigError` naming the file and the
key): a typo such as ``min_severtiy`` must not silently widen a channel.

Beyond DESIGN.md's keys, every ``[[alerts]]`` channel accepts ``name`` (its
identity in the outbox; default derived from URL / recipients / variable),
``groups`` (policy_group globs), ``digest = "daily"``, ``health = false`` (no
tracking_broken/restored notices) and ``timeout`` (seconds). Webhooks may take
``url_env`` instead of ``url``; e-mail takes ``ca_file`` (an extra trusted CA)
and ``subject_prefix``. Two optional tables::

    [health]
    failures_before_alert = 3     # failed live checks in a row before tracking_broken

    [delivery]
    max_attempts = 8              # then the alert is 'failed'
    backoff_base = 60             # seconds; doubles per failed attempt ...
    backoff_max = 21600           # ... up to this
    claim_timeout = 600           # a claim older than this is a crashed sender's: resumed
"""
from __future__ import annotations

import fnmatch
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from policywatch.errors import ConfigError
from policywatch.tracker.model import SEVERITIES, severity_rank

DEFAULT_CONFIG_NAME = "policywatch.toml"
CONFIG_ENV = "POLICYWATCH_CONFIG"

# Keys every channel accepts, then the keys of each kind (explicit dict registry).
_COMMON_KEYS = {"kind", "name", "min_severity", "policies", "groups", "digest", "health", "timeout"}
_KIND_KEYS: dict[str, set[str]] = {
    "webhook": {"url", "url_env", "secret_env"},
    "email": {
        "to", "from", "smtp_host", "smtp_port", "security", "username_env", "password_env",
        "ca_file", "subject_prefix",
    },
    "apprise": {"url_env"},
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
    """Resolve the config file per DESIGN.md; None means "no config at all"."""
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
    try:
        data = tomllib.loads(found.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file {found} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read config file {found}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{found}: invalid TOML: {exc}") from None
    return parse_config(data, source=str(found))


def parse_config(data: Mapping[str, Any], *, source: str = "<config>") -> Config:
    """Validate a parsed TOML mapping (separate from I/O so tests can feed dicts)."""
    _reject_unknown(data, _TOP_LEVEL, source, "")
    raw_channels = data.get("alerts", [])
    if not isinstance(raw_channels, list):
        raise ConfigError(f"{source}: 'alerts' must be an array of tables ([[alerts]]).")
    channels = tuple(
        _parse_channel(raw, source, index) for index, raw in enumerate(raw_channels)
    )
    _check_unique_keys(channels, source)
    return Config(
        path=source,
        channels=channels,
        health=_parse_health(data.get("health", {}), source),
        delivery=_parse_delivery(data.get("delivery", {}), source),
    )


def read_secret(env_name: str | None, *, what: str, channel: Channel | None = None) -> str | None:
    """Read a secret at send time; a named but unset variable is a ConfigError."""
    if not env_name:
        return None
    value = os.environ.get(env_name)
    if value is None or value == "":
        where = f" for channel {channel.key}" if channel else ""
        raise ConfigError(
            f"Environment variable {env_name} ({what}{where}) is not set; "
            "export it before sending alerts."
        )
    return value


def _reject_unknown(table: Mapping[str, Any], allowed: set[str], source: str, where: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(
                f"{source}: unknown key {where}{key!r} (allowed: {', '.join(sorted(allowed))})."
            )


def _parse_channel(raw: Any, source: str, index: int) -> Channel:
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
        if key.endswith("_env") and not (isinstance(value, str) and value):
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


def _choice(raw: Mapping[str, Any], key: str, allowed: tuple, default: Any, source: str, where: str) -> Any:
    value = raw.get(key, default)
    if value not in allowed:
        shown = ", ".join(str(a) for a in allowed if a is not None)
        raise ConfigError(f"{source}: {where}{key!r} = {value!r} is not one of: {shown}.")
    return value


def _patterns(raw: Mapping[str, Any], key: str, source: str, where: str) -> tuple[str, ...] | None:
    if key not in raw:
        return None
    value = raw[key]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{source}: {where}{key!r} must be a list of names or glob patterns.")
    return tuple(value)


def _bool(raw: Mapping[str, Any], key: str, default: bool, source: str, where: str) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{source}: {where}{key!r} must be true or false.")
    return value


def _number(raw: Mapping[str, Any], key: str, default: float, source: str, where: str) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{source}: {where}{key!r} must be a positive number.")
    return value


def _parse_health(raw: Any, source: str) -> HealthConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: [health] must be a table.")
    _reject_unknown(raw, {"failures_before_alert"}, source, "[health] ")
    value = raw.get("failures_before_alert", 3)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{source}: [health] 'failures_before_alert' must be an integer >= 1.")
    return HealthConfig(failures_before_alert=value)


def _parse_delivery(raw: Any, source: str) -> DeliveryConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: [delivery] must be a table.")
    defaults = DeliveryConfig()
    _reject_unknown(raw, {"max_attempts", "backoff_base", "backoff_max", "claim_timeout"}, source, "[delivery] ")
    where = "[delivery] "
    return DeliveryConfig(
        max_attempts=int(_number(raw, "max_attempts", defaults.max_attempts, source, where)),
        backoff_base=float(_number(raw, "backoff_base", defaults.backoff_base, source, where)),
        backoff_max=float(_number(raw, "backoff_max", defaults.backoff_max, source, where)),
        claim_timeout=float(_number(raw, "claim_timeout", defaults.claim_timeout, source, where)),
    )
