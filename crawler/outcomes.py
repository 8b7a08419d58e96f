"""What an HTTP exchange says about a capture, decided before any text is read.

The tracker judges the text (soft 404, not a policy, extraction failure); the
crawler only judges what HTTP shows: status, content type, size, where a
redirect landed and how the download failed. Plain functions, no Scrapy, so the
rules are tested on their own and shared by the live and wayback spiders.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# Types the extractor can read (HTML, text, PDF). Anything else (images, archives...) is
# kept as an ``unsupported_type`` capture so the history shows why there is no version.
TEXTUAL_TYPES = frozenset(
    {
        "text/html", "application/xhtml+xml", "text/plain", "text/markdown", "text/x-markdown", "application/xml",
        "text/xml", "application/pdf", "application/x-pdf",
    }
)
# Bare locale paths a site sends visitors to instead of a page: "/en", "/en-us/", "/de_DE".
_LOCALE_HOME = re.compile(r"^/?([a-z]{2}([-_][a-z]{2,4})?)?/?(index\.(html?|php|aspx?))?$", re.IGNORECASE)
_HOME_NAMES = re.compile(r"^/?(home|start|accueil|inicio|startseite)?/?$", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    """The crawler's outcome for one capture, with a detail a person can read."""

    outcome: str
    detail: str | None = None


def media_type(content_type: str | bytes | None) -> str | None:
    """``text/html; charset=utf-8`` -> ``text/html`` (None when absent)."""
    if content_type is None:
        return None
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    value = content_type.split(";", 1)[0].strip().lower()
    return value or None


def is_textual(content_type: str | None) -> bool:
    """True when the extractor can read this type (a missing type gets the benefit of the doubt)."""
    kind = media_type(content_type)
    return kind is None or kind in TEXTUAL_TYPES or kind.endswith("+xml") and "svg" not in kind


def is_home_page(url: str) -> bool:
    """Whether a URL is a site's front page (root, a bare locale like ``/en-us/``, ``/home``)."""
    parts = urlsplit(url)
    if parts.query:
        return False
    path = parts.path or "/"
    return bool(_LOCALE_HOME.match(path) or _HOME_NAMES.match(path))


def redirected_home(requested_url: str, final_url: str | None) -> bool:
    """A policy URL that now lands on the front page: the policy moved or was removed."""
    if not final_url or final_url == requested_url:
        return False
    return is_home_page(final_url) and not is_home_page(requested_url)


def classify_response(
    status: int,
    content_type: str | None,
    requested_url: str,
    final_url: str | None = None,
) -> Verdict:
    """Outcome of a completed HTTP exchange (after redirects were followed)."""
    if status == 304:
        return Verdict("not_modified", "HTTP 304: unchanged since the stored validators")
    if status >= 400:
        return Verdict("http_error", f"HTTP {status}")
    if 300 <= status < 400:
        return Verdict("http_error", f"HTTP {status}: redirect not followed (loop, limit or no Location)")
    if redirected_home(requested_url, final_url):
        return Verdict("not_a_policy", f"redirected to the home page {final_url}")
    if not is_textual(content_type):
        return Verdict("unsupported_type", f"content type {media_type(content_type)} is not a text page or PDF")
    return Verdict("ok")


def is_archived(headers: Any) -> bool:
    """A replay response carrying the archive's memento headers is archived content, whatever
    its status; without them a 429/5xx is the archive itself speaking (throttling, outage)."""
    return bool(headers.get("Memento-Datetime") or headers.get("X-Archive-Src"))


def classify_replay(status: int, content_type: str | None, archived: bool) -> Verdict:
    """Outcome of an ``id_`` replay answer (redirects are handled by the spider before this)."""
    if not archived:
        if status == 200:
            return Verdict("archive_error", "the archive answered its own page (no Memento-Datetime): not policy text")
        if status == 429 or status >= 500:
            return Verdict("http_error", f"HTTP {status} from the archive")
        return classify_response(status, content_type, "", None)
    if status >= 400:
        return Verdict("archived_error", f"archived HTTP {status}: the page itself answered this when archived")
    return classify_response(status, content_type, "", None)


def failed_request(failure: Any) -> Any:
    """The request Scrapy attached to a failed download (set at run time; Failure's stubs lack it)."""
    return failure.request


def classify_failure(exc: BaseException | None) -> Verdict:
    """Outcome of a download that produced no response (refused, oversize, network)."""
    from policywatch.crawler.safety import BlockedRequest, connect_refusal  # local: safety imports nothing from here

    name = type(exc).__name__
    message = str(exc) or name
    if isinstance(exc, BlockedRequest):
        return Verdict("blocked", message)
    if "lookup" in message and (refusal := connect_refusal(message)):
        return Verdict("blocked", refusal)
    if name == "DownloadCancelledError":
        # Scrapy cancels a body once it passes DOWNLOAD_MAXSIZE: announced by Content-Length
        # (with a message) or counted while streaming without one (no message). Timeouts are
        # DownloadTimeoutError, so nothing else cancels a download here.
        if message == name or not str(exc):
            return Verdict("too_large", "body larger than DOWNLOAD_MAXSIZE (no Content-Length; download cancelled)")
        return Verdict("too_large", message)
    if name == "IgnoreRequest" and "DOWNLOAD_MAXSIZE" in message:
        return Verdict("too_large", f"decompression bomb refused: {message}"[:500])
    if name == "IgnoreRequest" and "max redirections" in message:
        return Verdict("http_error", "redirect loop or too many redirects (not followed further)")
    if name == "CancelledError":
        # Scrapy cancels a streamed body once it passes DOWNLOAD_MAXSIZE, without a message;
        # nothing else in the crawler cancels downloads.
        return Verdict("too_large", "body larger than DOWNLOAD_MAXSIZE (download cancelled)")
    if name == "StopDownload":
        return Verdict("too_large", message)
    return Verdict("network_error", f"{name}: {message}"[:500])


def is_transient(outcome: str, http_status: int | None) -> bool:
    """Failures worth retrying on the next run (the archive or network was unwell).

    An ``archived_error`` (a 429/5xx the archive recorded as the page's content,
    served with ``Memento-Datetime``) is final: the archive was fine, the page was not.
    """
    if outcome in ("network_error", "archive_error"):
        return True
    return outcome == "http_error" and (http_status is None or http_status == 429 or http_status >= 500)
