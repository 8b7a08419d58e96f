"""Which network addresses policywatch may connect to (the SSRF guard).

One policy for the crawler (pages, discovery links, redirects) and the alert
senders (webhooks): only http(s) URLs, and only hosts whose every address is
public. Refused: loopback, private (RFC 1918, ULA), link-local (cloud metadata
at 169.254.169.254), carrier-grade NAT (100.64.0.0/10), multicast, reserved and
unspecified addresses, and hosts whose name does not resolve at check time.
``allow_private`` lifts the address rule (tests, intranets).

The check that counts happens at connect time: :func:`guarded_connection`
resolves the host once, checks every address, and connects to a checked
address, so a DNS answer that changes between a check and the connection
(DNS rebinding) cannot steer it. Plain Python, no Scrapy: the crawler wraps
these in its own middleware and resolver.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from policywatch.errors import PolicywatchError

ALLOWED_SCHEMES = ("http", "https")
CGNAT = ipaddress.ip_network("100.64.0.0/10")
Resolver = Callable[[str], list[str]]


class AddressRefused(PolicywatchError, OSError):
    """A connection the address policy forbids (an OSError, so transports treat it as no answer)."""


def resolve_host(host: str) -> list[str]:
    """All addresses a host name resolves to (blocking)."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({info[4][0] for info in infos})


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address when ``host`` is an IP literal (``[::1]`` included), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def address_refusal(address: str) -> str | None:
    """Why an address must not be connected to, or None when it is a public address."""
    ip = literal_address(address)
    if ip is None:
        return f"{address!r} is not an IP address"
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    if ip.version == 4 and ip in CGNAT:
        return f"{ip} is a carrier-grade NAT (shared) address"
    for label in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{label}"):
            return f"{ip} is a {label.replace('_', '-')} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def scheme_refusal(url: str) -> str | None:
    """Why a URL is not fetchable at all (scheme or missing host), or None."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return f"only http(s) URLs are allowed, not {parts.scheme or 'a relative URL'}: {url}"
    if not parts.hostname:
        return f"URL without a host: {url}"
    return None


def addresses_refusal(host: str, addresses: list[str]) -> str | None:
    """Why a host with these resolved addresses is refused (any non-public address)."""
    if not addresses:
        return f"{host} does not resolve to any address"
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            return reason if literal_address(host) is not None else f"{host} resolves to {reason}"
    return None


def host_refusal(host: str, resolve: Resolver = resolve_host) -> str | None:
    """Why a host must not be fetched: it does not resolve, or one of its addresses is not public."""
    literal = literal_address(host)
    if literal is not None:
        return address_refusal(str(literal))
    try:
        addresses = resolve(host)
    except OSError as exc:
        return f"{host} does not resolve ({exc.strerror or exc}); refused rather than fetched unchecked"
    return addresses_refusal(host, addresses)


def guarded_connection(
    address: tuple[str, int],
    timeout: float | None = None,
    source_address: tuple[str, int] | None = None,
    *,
    allow_private: bool = False,
    resolve: Resolver = resolve_host,
) -> socket.socket:
    """``socket.create_connection`` that connects only to addresses the policy allows.

    The host is resolved once here; the socket connects to one of the checked
    addresses, never to a second (possibly different) DNS answer.
    """
    host, port = address
    literal = literal_address(host)
    try:
        addresses = [str(literal)] if literal is not None else resolve(host)
    except OSError as exc:
        raise AddressRefused(f"{host} does not resolve ({exc.strerror or exc})") from None
    if not allow_private:
        reason = addresses_refusal(host, addresses)
        if reason:
            raise AddressRefused(f"refused {host}: {reason} (allow_private is off)")
    last: OSError | None = None
    for ip in addresses:
        try:
            return socket.create_connection((ip, port), timeout, source_address)
        except OSError as exc:
            last = exc
    raise last or OSError(f"cannot connect to {host}:{port}")
