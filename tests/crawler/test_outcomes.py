"""HTTP-level outcome rules (no Scrapy needed)."""
from __future__ import annotations

import pytest
from twisted.internet.defer import CancelledError

from policywatch.crawler.outcomes import classify_failure, classify_response, is_home_page, is_transient, redirected_home
from policywatch.crawler.safety import BlockedRequest


@pytest.mark.parametrize(
    "status, ctype, final, outcome",
    [
        (200, "text/html; charset=utf-8", None, "ok"),
        (200, None, None, "ok"),
        (304, None, None, "not_modified"),
        (404, "text/html", None, "http_error"),
        (503, "text/html", None, "http_error"),
        (301, "text/html", None, "http_error"),
        (200, "application/pdf", None, "ok"),  # the tracker reads PDF policies
        (200, "application/zip", None, "unsupported_type"),
        (200, "image/png", None, "unsupported_type"),
        (200, "text/html", "https://ex.org/", "not_a_policy"),
        (200, "text/html", "https://ex.org/en-us/", "not_a_policy"),
        (200, "text/html", "https://ex.org/legal/privacy", "ok"),
    ],
)
def test_classify_response(status: int, ctype: str | None, final: str | None, outcome: str) -> None:
    assert classify_response(status, ctype, "https://ex.org/privacy", final).outcome == outcome


def test_home_page_shapes() -> None:
    assert is_home_page("https://ex.org")
    assert is_home_page("https://ex.org/de/")
    assert is_home_page("https://ex.org/index.html")
    assert not is_home_page("https://ex.org/privacy")
    assert not is_home_page("https://ex.org/?page=privacy")
    assert not redirected_home("https://ex.org/", "https://ex.org/")


def test_classify_failure() -> None:
    assert classify_failure(BlockedRequest("refused")).outcome == "blocked"
    assert classify_failure(CancelledError()).outcome == "too_large"
    assert classify_failure(ConnectionRefusedError("nope")).outcome == "network_error"


def test_transient() -> None:
    assert is_transient("network_error", None)
    assert is_transient("http_error", 503)
    assert is_transient("http_error", 429)
    assert not is_transient("http_error", 404)
    assert not is_transient("soft_404", 200)
