"""The loopback fakes behave like the services they stand in for."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from policywatch.testing.wayback import sha1_digest

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "bluesky"


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {})) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_replay_exact_nearest_and_archived_redirect(wayback) -> None:
    wayback.archive.load_dict({"https://ex.org/privacy": {"20200101000000": "<p>A</p>", "20200601000000": "<p>B</p>"}})
    wayback.archive.add("https://ex.org/old", "20200301000000", status=301, redirect_to="https://ex.org/privacy")
    status, headers, body = get(f"{wayback.url}/web/20200101000000id_/https://ex.org/privacy")
    assert (status, body) == (200, b"<p>A</p>") and "Memento-Datetime" in headers
    status, headers, _ = get(f"{wayback.url}/web/20200520id_/https://ex.org/privacy")
    assert status == 302 and "Memento-Datetime" not in headers
    assert headers["Location"].endswith("/web/20200601000000id_/https://ex.org/privacy")
    status, headers, _ = get(f"{wayback.url}/web/20200301000000id_/https://ex.org/old")
    assert status == 301 and "Memento-Datetime" in headers
    assert get(f"{wayback.url}/web/2020id_/https://nowhere.org/")[0] == 404
    assert wayback.archive.count("content") == 4 and wayback.archive.count("cdx") == 0


def test_faults_and_digests(wayback) -> None:
    wayback.archive.add("https://ex.org/p", "20200101000000", "x")
    wayback.archive.fail("cdx", 429, retry_after="7")
    status, headers, _ = get(f"{wayback.url}/cdx/search/cdx?url=https://ex.org/p&output=json")
    assert status == 429 and headers["Retry-After"] == "7"
    status, _, body = get(f"{wayback.url}/cdx/search/cdx?url=https://ex.org/p&output=json")
    assert status == 200 and json.loads(body)[1][5] == sha1_digest(b"x")


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_history_from_a_folder(wayback) -> None:
    assert wayback.archive.load_folder(CORPUS, "https://bsky.social/about/support/privacy-policy") >= 5
    _, _, body = get(f"{wayback.url}/cdx/search/cdx?url=bsky.social/about/support/privacy-policy&output=json")
    assert len(json.loads(body)) - 1 == len(list(CORPUS.glob("*.md")))


def test_live_site_validators_and_latency(site) -> None:
    site.site.policy("/privacy")
    status, headers, _ = get(site.url + "/privacy")
    assert status == 200
    assert get(site.url + "/privacy", {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(site.url + "/privacy", {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert get(site.url + "/missing")[0] == 404


def test_fake_is_as_unkind_as_the_archive(wayback) -> None:
    import gzip
    import http.client
    from urllib.parse import quote

    from policywatch.testing.wayback import surt_key

    assert surt_key("https://www.EPA.gov:443/Climate/?b=2&a=1") == "gov,epa)/climate?a=1&b=2"
    assert surt_key("http://epa.gov:80/climate?") == surt_key("https://www.epa.gov/climate") == "gov,epa)/climate"
    url = "https://www.ex.org/privacy"
    a = wayback.archive.add(url, "20200101000000", "<p>A</p>")
    wayback.archive.add("http://ex.org:80/privacy/", "20200101000000", "<p>B</p>")  # twin: never served there
    wayback.archive.add_revisit("https://ex.org/privacy?", "20200201000000", of=a)
    wayback.archive.add(url, "20200301000000", status=302, redirect_to="https://ex.org/en", location="relative")
    wayback.archive.add(url, "20200401000000", "<p>busy</p>", status=429)
    wayback.archive.add(url, "20200501000000", "<p>C</p>", replay="error_page")

    host = wayback.url.split("://")[1]
    conn = http.client.HTTPConnection(host)
    conn.request("GET", f"/cdx/search/cdx?url={quote(url)}&output=json&limit=3&showResumeKey=true",
                 headers={"Accept-Encoding": "gzip"})
    response = conn.getresponse()
    assert response.getheader("Content-Type") == "text/plain" and response.getheader("Transfer-Encoding") == "chunked"
    assert response.getheader("Content-Encoding") == "gzip"
    rows = json.loads(gzip.decompress(response.read()))
    assert rows[1][0] == "org,ex)/privacy" and {r[2] for r in rows[1:4]} == {url, "http://ex.org:80/privacy/",
                                                                             "https://ex.org/privacy?"}
    assert rows[3][3:5] == ["warc/revisit", "-"] and rows[3][5] == rows[1][5]  # revisit: digest of A
    assert rows[4] == [] and rows[5] == ["org%2Cex%29%2Fprivacy+20200201000001"]  # urlkey + last second + 1
    status, _, body = get(f"{wayback.url}/cdx/search/cdx?url={quote(url)}&output=json&limit=3&showResumeKey=true"
                          f"&resumeKey={rows[5][0]}")
    last = json.loads(body)
    assert [r[1] for r in last[1:4]] == ["20200301000000", "20200401000000", "20200501000000"]
    assert last[-1] == ["org%2Cex%29%2Fprivacy+20200501000001"]  # printed because the limit was reached
    assert json.loads(get(f"{wayback.url}/cdx/search/cdx?url={quote(url)}&output=json&limit=3&showResumeKey=true"
                          f"&resumeKey={last[-1][0]}")[2]) == []  # ... so the last page is empty

    status, headers, body = get(f"{wayback.url}/web/20200101000000id_/http://ex.org/privacy")
    assert (status, body) == (200, b"<p>A</p>")  # the twin B is never served at its own second
    assert {"Memento-Datetime", "Link", "X-Archive-Src"} <= set(headers)
    assert get(f"{wayback.url}/web/20200201000000id_/{url}")[2] == b"<p>A</p>"  # revisit replays A
    status, headers, _ = get(f"{wayback.url}/web/20200301000000id_/{url}")
    assert status == 302 and headers["Location"] == "/web/20200301000000id_/https://ex.org/en"
    status, headers, _ = get(f"{wayback.url}/web/20200401000000id_/{url}")
    assert status == 429 and "Memento-Datetime" in headers  # archived content, not throttling
    status, headers, body = get(f"{wayback.url}/web/20200501000000id_/{url}")
    assert status == 200 and "Memento-Datetime" not in headers and b"Wayback Machine" in body

    wayback.archive.block("https://blocked.example/")
    status, _, body = get(f"{wayback.url}/cdx/search/cdx?url=https://blocked.example/privacy&output=json")
    assert status == 403 and b"Blocked Site Error" in body
