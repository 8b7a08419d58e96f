"""Which URLs the crawler may fetch: the downloader middleware's view of ``tracker.addresses``.

The rule (http(s) only; no private, loopback, link-local, multicast, reserved or
unspecified addresses unless ``POLICYWATCH_ALLOW_PRIVATE=1``; the configured
Wayback base always trusted) lives in ``tracker.addresses`` so that
``policywatch add`` applies the same rule at once. Here only the Scrapy side:
the exception that records a refused request as a ``blocked`` capture.
"""
from __future__ import annotations

from scrapy.exceptions import IgnoreRequest

from policywatch.tracker.addresses import (  # noqa: F401  (the crawler's names for the one address policy)
    ALLOWED_SCHEMES, Resolver, address_refusal, env_flag, host_refusal, literal_address, origin, resolve_host,
    scheme_refusal, url_refusal,
)


class BlockedRequest(IgnoreRequest):
    """A request the crawler refuses to send; recorded as a ``blocked`` capture."""
