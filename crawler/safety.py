"""Which URLs the crawler may fetch at all.

Discovery follows links found on arbitrary pages and redirects can point
anywhere, so a crawler running inside a network must not be steered into it
(SSRF): by default it refuses non-http(s) schemes and hosts that resolve to
private, loopback, link-local, multicast, reserved or unspecified addresses.
``POLICYWATCH_ALLOW_PRIVATE=1`` lifts the address rule (tests, intranets); the
configured Wayback base is trusted configuration and always allowed.

Known gap: the address is checked when the request is scheduled, not at connect
time, so a DNS answer that changes in between (rebinding) is not caught.
The rule itself lives in ``tracker.addresses`` (``policywatch add`` uses it too).
"""
from __future__ import annotations

from scrapy.exceptions import IgnoreRequest

from policywatch.tracker.addresses import (  # noqa: F401  (the crawler's names for the one address policy)
    ALLOWED_SCHEMES, Resolver, address_refusal, env_flag, host_refusal, literal_address, origin, resolve_host,
    scheme_refusal, url_refusal,
)


class BlockedRequest(IgnoreRequest):
    """A request the crawler refuses to send; recorded as a ``blocked`` capture."""
