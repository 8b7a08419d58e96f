"""Archive histories shaped like real ones, for tests and the crawl bench.

``messy_history`` mixes what the Internet Archive really lists for a busy page:
runs of unchanged captures, flips back to an earlier text, same-second twins
(some served later from another second, some never), exact duplicate rows,
archived redirects (three Location forms), archived 429/503 pages, revisits and
varying ``original`` forms.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from policywatch.testing.wayback_index import WaybackArchive

FORMS = ("https://www.{host}{path}", "http://{host}{path}", "http://www.{host}:80{path}/", "https://{host}{path}?")


def messy_history(archive: WaybackArchive, url: str, rows: int, text: Callable[[int], str], *,
                  start: str = "20150101000000", step_hours: int = 61) -> None:
    """About ``rows`` CDX rows of ``url``; ``text(n)`` is the n-th distinct policy text."""
    host, _, path = url.split("://", 1)[1].partition("/")
    path = "/" + path
    forms = [f.format(host=host, path=path.rstrip("/")) for f in FORMS]
    moment = datetime.strptime(start, "%Y%m%d%H%M%S")
    version, first = 0, None
    for i in range(rows):
        moment += timedelta(hours=step_hours, seconds=i % 7)
        ts = moment.strftime("%Y%m%d%H%M%S")
        original = forms[i % len(forms)]
        kind = i % 23
        if kind == 5:  # a same-second twin: the second digest is served again three rows later
            archive.add(original, ts, text(version))
            archive.add(forms[(i + 1) % 4], ts, text(5_000 + i))
        elif kind == 8:  # the twin's text, served from its own second
            archive.add(original, ts, text(5_000 + i - 3))
        elif kind == 11:  # a twin nobody ever serves: a digest mismatch, never a lost version
            archive.add(original, ts, text(version))
            archive.add(forms[(i + 2) % 4], ts, text(10_000 + i))
        elif kind == 13:  # an archived redirect (a locale page), then back
            archive.add(original, ts, status=302, redirect_to=url.rstrip("/") + "/en",
                        location=("absolute", "relative", "scheme-relative")[i % 3])
        elif kind == 16:  # the page itself answered 429 / 503 when it was archived
            archive.add(original, ts, "<html><h1>Too Many Requests</h1></html>" if i % 2 else
                        "<html><h1>Service Unavailable</h1></html>", status=429 if i % 2 else 503)
        elif kind == 18 and first is not None:  # a warc/revisit of the first capture (a flip back)
            archive.add_revisit(original, ts, of=first)
        elif kind == 20:  # an exact duplicate row
            archive.add(original, ts, text(version))
            archive.add(original, ts, text(version))
        else:
            if i % 4 == 0:
                version += 1
            snap = archive.add(original, ts, text(version))
            first = first or snap
    moment += timedelta(hours=step_hours)  # the newest row is the policy itself (no move to offer)
    archive.add(forms[0], moment.strftime("%Y%m%d%H%M%S"), text(version))
