"""Request budgets and the circuit breaker, as plain clock arithmetic.

Every request carries a politeness key: the host name for a site,
``archive:cdx`` / ``archive:capture`` for the Internet Archive (which allows
about 30 CDX requests a minute and a few hundred captures a minute, and blocks a
client that keeps sending after a 429 for an hour, doubling each time). The
``Limiter`` answers "how long must this request wait": it spaces requests of a
key at its rate (reservation, so concurrent waiters queue fairly) and holds a
whole breaker group while it is paused. A 429 from the archive pauses the
``archive`` group, i.e. ALL archive traffic, never one request.

The limiter is in-process; a shared one (Redis) can replace it behind the same
three methods when crawling is spread over machines.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

ARCHIVE_CDX = "archive:cdx"
ARCHIVE_CAPTURE = "archive:capture"
ARCHIVE_SAVE = "archive:save"


def host_key(host: str) -> str:
    """Politeness key of an ordinary site: its host name, which is also Scrapy's default
    slot name, so the downloader-aware scheduler queue sees the same partition."""
    return host.lower()


def breaker_group(key: str) -> str:
    """Keys paused together: every archive key shares one breaker, a site has its own."""
    return "archive" if key.startswith("archive:") else key


@dataclass
class Limiter:
    """Per-key request spacing plus per-group pauses (circuit breaker)."""

    rates: Mapping[str, float] = field(default_factory=dict)  # key -> requests per second
    clock: Callable[[], float] = time.monotonic
    _next_free: dict[str, float] = field(default_factory=dict)
    _paused_until: dict[str, float] = field(default_factory=dict)
    trips: int = 0

    def reserve(self, key: str) -> float:
        """Book the next send slot of ``key``; returns seconds to wait before sending."""
        now = self.clock()
        start = max(now, self._paused_until.get(breaker_group(key), 0.0))
        rate = self.rates.get(key)
        if rate and rate > 0:
            start = max(start, self._next_free.get(key, 0.0))
            self._next_free[key] = start + 1.0 / rate
        return max(0.0, start - now)

    def pause_remaining(self, key: str) -> float:
        """Seconds the key's group stays paused (0 when it may send)."""
        return max(0.0, self._paused_until.get(breaker_group(key), 0.0) - self.clock())

    def trip(self, key: str, seconds: float) -> float:
        """Pause the key's whole group for ``seconds`` (never shortening a longer pause)."""
        group = breaker_group(key)
        until = self.clock() + max(0.0, seconds)
        if until > self._paused_until.get(group, 0.0):
            self._paused_until[group] = until
            self.trips += 1
        return self._paused_until[group] - self.clock()


def parse_retry_after(value: str | bytes | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None when absent/bad."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        from email.utils import parsedate_to_datetime

        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, moment.timestamp() - current)


def backoff_delay(attempt: int, *, base: float, cap: float, retry_after: float | None = None) -> float:
    """Delay before retry ``attempt`` (1-based): Retry-After when given, else exponential."""
    if retry_after is not None:
        return min(retry_after, cap) if cap > 0 else retry_after
    return min(cap, base * (2 ** max(0, attempt - 1)))


def politeness_key(url: str, archive_base: str) -> str:
    """The budget a request draws on: the archive's CDX / capture / save budget, or its host."""
    from urllib.parse import urlsplit

    parts, base = urlsplit(url), urlsplit(archive_base)
    if (parts.hostname or "").lower() == (base.hostname or "").lower() and parts.port == base.port:
        path = parts.path[len(base.path.rstrip("/")):] if base.path.strip("/") else parts.path
        if path.startswith("/cdx"):
            return ARCHIVE_CDX
        if path.startswith("/save"):
            return ARCHIVE_SAVE
        return ARCHIVE_CAPTURE
    return host_key(parts.hostname or "")
