"""Which URLs policywatch may fetch at all: the address policy, without Scrapy.

Discovery follows links found on arbitrary pages and redirects can point
anywhere, and alert webhooks go wherever a config says, so neither may be
steered into the network policywatch runs in (SSRF): by default non-http(s)
schemes are refused, and so are hosts that resolve to private, loopback,
link-local (169.254.169.254 cloud metadata), carrier-grade NAT (100.64.0.0/10),
multicast, reserved or unspecified addresses, or (for fetches) do not resolve
at all. ``POLICYWATCH_ALLOW_PRIVATE=1`` lifts the address rule for the crawler
(tests, intranets), ``allow_private`` for a webhook; the configured Wayback base
is trusted configuration and always allowed.

The crawler's downloader middleware applies it to every request
(``crawler.safety``), and its DNS resolver again to the address each connection
is made to; ``policywatch add`` applies it at once, so a private address is
refused with its reason instead of failing later as "blocked"; the webhook
sender connects through :func:`guarded_connection`, which resolves once, checks
every address and connects to a checked one, so a DNS answer that changes
between check and connection (rebinding) cannot steer it.
"""
from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from policywatch.errors import PolicywatchError

ALLOW_PRIVATE_SETTING = "POLICYWATCH_ALLOW_PRIVATE"
ALLOWED_SCHEMES = ("http", "https")
CGNAT = ipaddress.ip_network("100.64.0.0/10")
Resolver = Callable[[str], list[str]]


class AddressRefused(PolicywatchError, OSError):
    """A connection the address policy forbids (an OSError, so transports treat it as no answer)."""


def resolve_host(host: str) -> list[str]:
    """All addresses a host name resolves to (blocking: call it off the reactor thread)."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address when ``host`` is an IP literal (``[::1]`` included), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def address_refusal(address: str) -> str | None:
    """Why an address must not be fetched, or None when it is a public address."""
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


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL, lower-cased, for comparing with trusted origins."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def scheme_refusal(url: str) -> str | None:
    """Why a URL is not fetchable at all (scheme or missing host), or None."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return f"only http(s) URLs are fetched, not {parts.scheme or 'a relative URL'}: {url}"
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


def host_refusal(host: str, resolve: Resolver = resolve_host, *, unresolvable_ok: bool = False) -> str | None:
    """Why a host must not be fetched: it does not resolve, or one of its addresses is not public.

    A host that does not resolve is refused (a fetch must never go out unchecked);
    ``unresolvable_ok`` lets ``add`` accept it (it may resolve where the crawl runs).
    """
    literal = literal_address(host)
    if literal is not None:
        return address_refusal(str(literal))
    try:
        addresses = resolve(host)
    except OSError as exc:
        if unresolvable_ok:
            return None
        return f"{host} does not resolve ({getattr(exc, 'strerror', None) or exc}); refused rather than fetched unchecked"
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
        raise AddressRefused(f"{host} does not resolve ({getattr(exc, 'strerror', None) or exc})") from None
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


def url_refusal(
    url: str,
    *,
    allow_private: bool = False,
    trusted_origins: Iterable[str] = (),
    resolve: Resolver = resolve_host,
) -> str | None:
    """The one rule: why ``url`` is refused, or None when it may be fetched."""
    reason = scheme_refusal(url)
    if reason:
        return reason
    if allow_private or origin(url) in set(trusted_origins):
        return None
    return host_refusal(urlsplit(url).hostname or "", resolve)


def env_flag(value: object) -> bool:
    """Settings/env truthiness: 1, true, yes, on."""
    return str(value).strip().lower() in ("1", "true", "yes", "on")


# --- checks for a URL a person is about to track (``policywatch add``) ---------------------

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
RESOLVE_SECONDS = 3.0


def host_syntax_refusal(url: str, *, single_label: bool = False) -> str | None:
    """Why ``url`` cannot be a web address (scheme, host name syntax, port), or None."""
    reason = scheme_refusal(url)
    if reason:
        return reason
    parts = urlsplit(url)
    try:
        parts.port
    except ValueError:
        return f"the port in {url} is not a number from 0 to 65535"
    host = parts.hostname or ""
    if literal_address(host) is not None:
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return f"{host!r} in {url} is not a valid host name"
    labels = ascii_host.rstrip(".").split(".")
    if not all(_LABEL.match(label) for label in labels) or (len(labels) < 2 and ascii_host != "localhost" and not single_label):
        return (f"{host!r} in {url} is not a valid host name (letters, digits and hyphens between dots, "
                "e.g. example.org)")
    return None


def resolve_briefly(host: str, seconds: float = RESOLVE_SECONDS) -> list[str]:
    """``resolve_host`` that gives up after ``seconds`` (OSError): `add` must not hang without DNS."""
    answer: dict[str, object] = {}

    def lookup() -> None:
        try:
            answer["addresses"] = resolve_host(host)
        except OSError as exc:
            answer["error"] = exc

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(seconds)
    if "addresses" in answer:
        return answer["addresses"]  # type: ignore[return-value]
    raise OSError(f"no DNS answer for {host}")


def new_url_refusal(url: str, *, allow_private: bool = False, resolve: Resolver = resolve_briefly) -> str | None:
    """Why a URL cannot be tracked, said so a person can fix it (with the setting that lifts the address rule)."""
    reason = host_syntax_refusal(url, single_label=allow_private)  # intranet hosts may be one word
    if reason:
        return reason
    if allow_private:
        return None
    reason = host_refusal(urlsplit(url).hostname or "", resolve, unresolvable_ok=True)
    if reason:
        return (f"{url}: {reason}, and policywatch does not fetch private, loopback or link-local addresses. "
                f"To track it anyway (an intranet or test server), set {ALLOW_PRIVATE_SETTING}=1 for `add` and for "
                "every crawl.")
    return None


def same_address(a: str, b: str) -> bool:
    """Two URLs naming the same page: scheme and host case, default port, trailing slash and fragment aside."""
    def key(url: str) -> tuple[str, str, str, str]:
        parts = urlsplit(url.strip())
        port = parts.port if parts.port not in (None, {"http": 80, "https": 443}.get(parts.scheme.lower())) else None
        return (parts.scheme.lower(), f"{(parts.hostname or '').lower()}:{port}", parts.path.rstrip("/") or "/", parts.query)

    try:
        return key(a) == key(b)
    except ValueError:
        return a == b
