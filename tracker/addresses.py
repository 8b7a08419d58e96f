"""Which URLs policywatch may fetch at all: the address policy, without Scrapy.

Discovery follows links found on arbitrary pages and redirects can point
anywhere, so a crawler running inside a network must not be steered into it
(SSRF): by default it refuses non-http(s) schemes and hosts that resolve to
private, loopback, link-local, multicast, reserved or unspecified addresses.
``POLICYWATCH_ALLOW_PRIVATE=1`` lifts the address rule (tests, intranets); the
configured Wayback base is trusted configuration and always allowed.

The crawler's downloader middleware applies it to every request
(``crawler.safety``); ``policywatch add`` applies it at once, so a private
address is refused with its reason instead of failing later as "blocked".

Known gap: the address is checked when the request is scheduled, not at connect
time, so a DNS answer that changes in between (rebinding) is not caught.
"""
from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

ALLOW_PRIVATE_SETTING = "POLICYWATCH_ALLOW_PRIVATE"
ALLOWED_SCHEMES = ("http", "https")
Resolver = Callable[[str], list[str]]


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
    for label in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{label}"):
            return f"{ip} is a {label.replace('_', '-')} address"
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


def host_refusal(host: str, resolve: Resolver = resolve_host) -> str | None:
    """Why a host must not be fetched: one of its addresses is not public."""
    literal = literal_address(host)
    if literal is not None:
        return address_refusal(str(literal))
    try:
        addresses = resolve(host)
    except OSError:
        return None  # the download itself fails and is recorded as a network_error
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            return f"{host} resolves to {reason}"
    return None


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
    reason = host_refusal(urlsplit(url).hostname or "", resolve)
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
