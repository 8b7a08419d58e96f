"""Strict reading of policywatch's TOML files (policywatch.toml, schedules/jobs.toml).

One reader so both files fail the same way: a missing, unreadable or invalid
file, an unknown key (a typo such as ``min_severtiy`` must not silently widen a
channel) or a value of the wrong type is a :class:`ConfigError` naming the file,
the table and the key. Each helper takes ``source`` (the file) and ``where``
(the table, e.g. ``"[delivery] "``) for that message.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Mapping

from policywatch.errors import ConfigError


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """Parse a TOML file; ``what`` names it in errors ("Config file", "Jobs file")."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read {what.lower()} {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def table(value: Any, source: str, where: str) -> Mapping[str, Any]:
    """A sub-table (``[health]``), or an error when the key holds something else."""
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {where.strip()} must be a table.")
    return value


def reject_unknown(raw: Mapping[str, Any], allowed: set[str], source: str, where: str) -> None:
    for key in raw:
        if key not in allowed:
            raise ConfigError(
                f"{source}: unknown key {where}{key!r} (allowed: {', '.join(sorted(allowed))})."
            )


def boolean(raw: Mapping[str, Any], key: str, default: bool, source: str, where: str) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{source}: {where}{key!r} must be true or false.")
    return value


def number(raw: Mapping[str, Any], key: str, default: float, source: str, where: str) -> float:
    """A positive int or float (seconds, counts)."""
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{source}: {where}{key!r} must be a positive number.")
    return value


def optional_number(raw: Mapping[str, Any], key: str, source: str, where: str) -> float | None:
    return None if raw.get(key) is None else number(raw, key, 1, source, where)


def positive_int(raw: Mapping[str, Any], key: str, default: int, source: str, where: str) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{source}: {where}{key!r} must be a positive integer.")
    return value


def optional_int(raw: Mapping[str, Any], key: str, source: str, where: str, *, minimum: int = 0) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{source}: {where}{key!r} must be an integer >= {minimum}.")
    return value


def choice(raw: Mapping[str, Any], key: str, allowed: tuple[Any, ...], default: Any, source: str, where: str) -> Any:
    value = raw.get(key, default)
    if value not in allowed:
        shown = ", ".join(str(a) for a in allowed if a is not None)
        raise ConfigError(f"{source}: {where}{key!r} = {value!r} is not one of: {shown}.")
    return value


def string(raw: Mapping[str, Any], key: str, source: str, where: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{source}: {where}{key!r} must be a string.")
    return value


def string_list(raw: Mapping[str, Any], key: str, source: str, where: str, *, what: str = "names") -> tuple[str, ...] | None:
    """A list of non-empty strings (a single string is a list of one); None when absent."""
    if key not in raw:
        return None
    value = raw[key]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{source}: {where}{key!r} must be a list of {what}.")
    return tuple(value)
