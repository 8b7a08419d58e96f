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
