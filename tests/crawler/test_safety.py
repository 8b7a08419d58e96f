"""The fetch-safety rule: schemes and non-public addresses."""
from __future__ import annotations

import pytest

from policywatch.crawler.safety import address_refusal, origin, url_refusal


def resolver(table: dict[str, list[str]]):
    def resolve(host: str) -> list[str]:
        if host not in table:
            raise OSError("no such host")
        return table[host]
    return resolve


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.5.4", "169.254.169.254",
                                     "::1", "fe80::1", "0.0.0.0", "::ffff:127.0.0.1", "224.0.0.1",
                                     "100.64.0.1", "100.127.255.254"])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert address_refusal(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::6810:85e5"])
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(address) is None


def test_url_rules() -> None:
    dns = resolver({"good.example": ["93.184.216.34"], "evil.example": ["93.184.216.34", "10.0.0.5"]})
    assert url_refusal("https://good.example/privacy", resolve=dns) is None
    assert "10.0.0.5" in url_refusal("https://evil.example/", resolve=dns)
    assert url_refusal("http://127.0.0.1:8080/", resolve=dns)
    assert url_refusal("http://[::1]/", resolve=dns)
    assert url_refusal("file:///etc/passwd", resolve=dns)
    assert url_refusal("ftp://good.example/", resolve=dns)
    # an unresolvable host is refused: it used to be let through unchecked
    assert "does not resolve" in url_refusal("https://missing.example/", resolve=dns)


def test_allow_private_and_trusted_archive() -> None:
    assert url_refusal("http://127.0.0.1:9/", allow_private=True) is None
    trusted = [origin("http://127.0.0.1:8765")]
    assert url_refusal("http://127.0.0.1:8765/cdx/search/cdx?url=x", trusted_origins=trusted) is None
    assert url_refusal("http://127.0.0.1:8766/", trusted_origins=trusted)
    assert url_refusal("gopher://127.0.0.1:8765/", allow_private=True)


def test_connect_time_resolver_refuses_a_rebound_answer() -> None:
    """The reactor's resolver checks the address the connection is made to: a name that
    passed the middleware's check and then resolves to loopback is refused."""
    from twisted.internet import error as twisted_error
    from twisted.internet.defer import succeed

    from policywatch.crawler.safety import SafeResolver
    from scrapy.resolver import CachingThreadedResolver

    class Rebinding(SafeResolver):
        answers = ["93.184.216.34", "127.0.0.1"]

        def __init__(self) -> None:  # no reactor needed: the lookup itself is replaced
            self.allow_private, self.trusted_hosts = False, frozenset({"web.archive.org"})

    original = CachingThreadedResolver.getHostByName
    CachingThreadedResolver.getHostByName = lambda self, name, timeout=(): succeed(self.answers.pop(0))
    try:
        resolver = Rebinding()
        results: list[object] = []
        resolver.getHostByName("policy.example").addBoth(results.append)
        resolver.getHostByName("policy.example").addBoth(results.append)
    finally:
        CachingThreadedResolver.getHostByName = original
    assert results[0] == "93.184.216.34"
    assert results[1].check(twisted_error.DNSLookupError)
    assert "loopback" in str(results[1].value)
