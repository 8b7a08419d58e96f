"""Egress: which address a worker sends from, and the archive budgets shared per address.

The Internet Archive limits each client address. Workers on one address must
share its budget (``RedisLimiter``, through Redis); workers on separate
addresses (``--bind-address``) each get the whole budget.
"""
from __future__ import annotations

from typing import Any

import scrapy

from policywatch.crawler import cluster
from policywatch.crawler.budget import Limiter, breaker_group


class RedisLimiter:
    """The archive's budgets and breaker shared through Redis by the workers of one egress address.

    Same three methods as ``budget.Limiter``; sites stay on a local limiter (one
    worker owns a site). Redis' clock is the clock, so machines need not agree.
    """

    _RESERVE = """
    local t = redis.call('TIME'); local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
    local start = math.max(now, tonumber(redis.call('GET', KEYS[2]) or '0'))
    local interval = tonumber(ARGV[1])
    if interval > 0 then
      start = math.max(start, tonumber(redis.call('GET', KEYS[1]) or '0'))
      redis.call('SET', KEYS[1], tostring(start + interval), 'PX', math.ceil((start + interval - now) * 1000) + 60000)
    end
    return tostring(start - now)
    """
    _TRIP = """
    local t = redis.call('TIME'); local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
    local untilv = math.max(now + tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[1]) or '0'))
    redis.call('SET', KEYS[1], tostring(untilv), 'PX', math.ceil((untilv - now) * 1000) + 1000)
    return tostring(untilv - now)
    """
    _REMAINING = """
    local t = redis.call('TIME'); local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
    return tostring(math.max(0, tonumber(redis.call('GET', KEYS[1]) or '0') - now))
    """

    def __init__(self, client: Any, rates: dict[str, float], egress: str) -> None:
        self.rates, self.egress = rates, egress
        self.local = Limiter(rates={})
        self._reserve = client.register_script(self._RESERVE)
        self._trip = client.register_script(self._TRIP)
        self._remaining = client.register_script(self._REMAINING)

    def _keys(self, key: str) -> tuple[str, str]:
        return f"pw:limit:{self.egress}:{key}", f"pw:pause:{self.egress}:{breaker_group(key)}"

    def reserve(self, key: str) -> float:
        if breaker_group(key) != "archive":
            return self.local.reserve(key)
        rate = self.rates.get(key) or 0.0
        return float(self._reserve(keys=list(self._keys(key)), args=[1.0 / rate if rate > 0 else 0]))

    def pause_remaining(self, key: str) -> float:
        if breaker_group(key) != "archive":
            return self.local.pause_remaining(key)
        return float(self._remaining(keys=[self._keys(key)[1]]))

    def trip(self, key: str, seconds: float) -> float:
        if breaker_group(key) != "archive":
            return self.local.trip(key, seconds)
        return float(self._trip(keys=[self._keys(key)[1]], args=[max(0.0, seconds)]))


def redis_limiter(rates: dict[str, float], settings: Any) -> RedisLimiter:
    """``POLICYWATCH_LIMITER`` factory: archive budgets per egress address, shared in Redis."""
    egress = settings.get("POLICYWATCH_BIND_ADDRESS") or "default"
    return RedisLimiter(cluster.connect(settings.get("REDIS_URL")), rates, egress)


class BindAddressMiddleware:
    """Send every request from ``POLICYWATCH_BIND_ADDRESS`` (Scrapy's ``bindaddress`` meta)."""

    def __init__(self, address: str) -> None:
        self.address = address

    @classmethod
    def from_crawler(cls, crawler: Any) -> "BindAddressMiddleware":
        from scrapy.exceptions import NotConfigured

        address = crawler.settings.get("POLICYWATCH_BIND_ADDRESS")
        if not address:
            raise NotConfigured
        return cls(address)

    def process_request(self, request: scrapy.Request) -> None:
        request.meta.setdefault("bindaddress", (self.address, 0))
