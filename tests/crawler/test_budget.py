"""Budgets, the archive circuit breaker, Retry-After and politeness keys (a fake clock)."""
from __future__ import annotations

from email.utils import formatdate

import pytest

from policywatch.crawler.budget import (ARCHIVE_CAPTURE, ARCHIVE_CDX, ARCHIVE_SAVE, Limiter, backoff_delay, host_key,
                            parse_retry_after, politeness_key)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_spacing_is_reserved_per_key() -> None:
    clock = Clock()
    limiter = Limiter(rates={ARCHIVE_CDX: 24 / 60}, clock=clock)
    waits = [limiter.reserve(ARCHIVE_CDX) for _ in range(4)]
    assert waits == pytest.approx([0, 2.5, 5.0, 7.5])
    assert limiter.reserve(host_key("example.org")) == 0  # other keys are not held up


def test_429_pauses_every_archive_key_but_not_sites() -> None:
    clock = Clock()
    limiter = Limiter(rates={ARCHIVE_CAPTURE: 8}, clock=clock)
    limiter.trip(ARCHIVE_CAPTURE, 30)
    assert limiter.pause_remaining(ARCHIVE_CDX) == pytest.approx(30)
    assert limiter.pause_remaining(ARCHIVE_SAVE) == pytest.approx(30)
    assert limiter.reserve(ARCHIVE_CDX) == pytest.approx(30)
    assert limiter.reserve(host_key("example.org")) == 0
    clock.now += 31
    assert limiter.pause_remaining(ARCHIVE_CAPTURE) == 0


def test_breaker_never_shortens_a_pause() -> None:
    clock = Clock()
    limiter = Limiter(clock=clock)
    limiter.trip(ARCHIVE_CDX, 60)
    limiter.trip(ARCHIVE_CAPTURE, 5)
    assert limiter.pause_remaining(ARCHIVE_CAPTURE) == pytest.approx(60)


def test_after_a_pause_requests_are_spaced_again() -> None:
    clock = Clock()
    limiter = Limiter(rates={ARCHIVE_CAPTURE: 2}, clock=clock)
    limiter.trip(ARCHIVE_CAPTURE, 10)
    assert [limiter.reserve(ARCHIVE_CAPTURE) for _ in range(3)] == pytest.approx([10, 10.5, 11])


def test_retry_after_forms() -> None:
    assert parse_retry_after(b"120") == 120
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    date = formatdate(2_000_000_060, usegmt=True)
    assert parse_retry_after(date, now=2_000_000_000) == pytest.approx(60)


def test_backoff() -> None:
    assert [backoff_delay(n, base=1, cap=10) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]
    assert backoff_delay(1, base=1, cap=600, retry_after=90) == 90
    assert backoff_delay(1, base=1, cap=60, retry_after=3600) == 60


def test_politeness_keys() -> None:
    base = "https://web.archive.org"
    assert politeness_key("https://web.archive.org/cdx/search/cdx?url=x", base) == ARCHIVE_CDX
    assert politeness_key("https://web.archive.org/web/2020id_/https://x.org/", base) == ARCHIVE_CAPTURE
    assert politeness_key("https://web.archive.org/save/https://x.org/", base) == ARCHIVE_SAVE
    assert politeness_key("https://Example.org/privacy", base) == "example.org"
    assert politeness_key("http://127.0.0.1:9/cdx/search/cdx", "http://127.0.0.1:9") == ARCHIVE_CDX
    assert politeness_key("http://127.0.0.1:10/cdx/search/cdx", "http://127.0.0.1:9") == "127.0.0.1"
