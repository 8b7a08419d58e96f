"""Which URLs the crawler may fetch: the Scrapy side of ``tracker.addresses``.

The rule (http(s) only; no private, loopback, link-local, carrier-grade NAT,
multicast, reserved or unspecified addresses, and no host that does not resolve,
unless ``POLICYWATCH_ALLOW_PRIVATE=1``; the configured Wayback base always
trusted) lives in ``tracker.addresses`` so that ``policywatch add`` and the
webhook senders apply the same rule. Two checks here:
:class:`middlewares.SafetyMiddleware` refuses a request before it is sent
(recorded as a ``blocked`` capture, via :class:`BlockedRequest`), and
:class:`SafeResolver` (the reactor's DNS resolver) checks the address the
connection is actually made to, so a DNS answer that changes after the first
check (rebinding) is refused too.
"""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import error as twisted_error

from policywatch.tracker.addresses import (  # noqa: F401  (the crawler's names for the one address policy)
    ALLOWED_SCHEMES, Resolver, address_refusal, env_flag, host_refusal, literal_address, origin, resolve_host,
    scheme_refusal, url_refusal,
)

__all__ = [
    "ALLOWED_SCHEMES", "BlockedRequest", "Resolver", "SafeResolver", "address_refusal", "connect_refusal",
    "env_flag", "host_refusal", "literal_address", "origin", "resolve_host", "scheme_refusal", "url_refusal",
]
logger = logging.getLogger(__name__)


class BlockedRequest(IgnoreRequest):
    """A request the crawler refuses to send; recorded as a ``blocked`` capture."""


# Hosts the resolver refused in this process, and why: the download then fails as a DNS
# lookup failure, which classify_failure turns back into a ``blocked`` capture.
_REFUSED_AT_CONNECT: dict[str, str] = {}


def connect_refusal(message: str) -> str | None:
    """The refusal behind a "no results for hostname lookup: HOST" failure, if the resolver made it."""
    for host, reason in _REFUSED_AT_CONNECT.items():
        if f"lookup: {host}" in message or f"refused {host}:" in message:
            return reason
    return None


class SafeResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing non-public answers at connect time.

    The download connects to the address this resolver returns, so checking it
    here closes the gap between the middleware's check and the connection.
    A refusal surfaces as a DNS lookup failure of that request.
    """

    allow_private = False
    trusted_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> "SafeResolver":
        resolver = super().from_crawler(crawler, reactor)
        settings = crawler.settings
        resolver.allow_private = env_flag(settings.get("POLICYWATCH_ALLOW_PRIVATE", "0"))
        archive = settings.get("POLICYWATCH_WAYBACK_URL") or "https://web.archive.org"
        resolver.trusted_hosts = frozenset({(urlsplit(archive).hostname or "").lower()})
        return resolver

    def getHostByName(self, name: str, timeout: Any = ()) -> Any:  # noqa: N802 (Twisted's name)
        deferred = super().getHostByName(name, timeout)
        deferred.addCallback(self._check, name)
        return deferred

    def _check(self, address: str, name: str) -> str:
        if self.allow_private or name.lower() in self.trusted_hosts:
            return address
        reason = address_refusal(address)
        if reason:
            logger.warning("Refused at connect time: %s resolves to %s", name, reason)
            _REFUSED_AT_CONNECT[name] = f"refused at connect time: {name} resolves to {reason}"
            raise twisted_error.DNSLookupError(f"refused {name}: resolves to {reason}")
        return address
