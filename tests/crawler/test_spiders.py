"""Spider plumbing without a crawl: `scrapy list`, a smoke test of every spider, replay redirects."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from waybackpy.cdx_snapshot import CDXSnapshot

from policywatch.crawler.cdx import archive_digest
from policywatch.crawler.items import Capture, PolicyMoved
from policywatch.crawler.spiders.live import needs_rediscovery, permanent_move
from policywatch.crawler.spiders.wayback import Listing, WaybackSpider

REPO = Path(__file__).resolve().parents[2]
BASE = "http://archive.test"


def project_settings():
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "policywatch.crawler.settings")
    return get_project_settings()


def test_scrapy_list_from_repo_root() -> None:
    out = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, capture_output=True, text=True,
                         timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["discover", "live", "wayback"]


# What each spider's start() asks for first, given policies 1 and 2 and shard 0 of 2 (id 2 only).
FIRST_REQUESTS = {
    "live": ["https://b.example/privacy"],
    "wayback": [f"{BASE}/cdx/search/cdx?url=https%3A%2F%2Fb.example%2Fprivacy"],
    "discover": ["https://site.example/"],
}


@pytest.mark.parametrize("name", SpiderLoader.from_settings(project_settings()).list())
def test_every_spider_builds_and_starts(name: str, db_path: str) -> None:
    import asyncio

    from policywatch.db.connection import open_database
    from policywatch.db.policies import add_policy

    db = open_database(db_path)
    add_policy(db, "https://a.example/privacy", name="a")
    add_policy(db, "https://b.example/privacy", name="b")
    db.close()
    loader = SpiderLoader.from_settings(project_settings())
    crawler = get_crawler(loader.load(name), settings_dict={"POLICYWATCH_DB": db_path, "POLICYWATCH_WAYBACK_URL": BASE})
    spider = crawler._create_spider(shard="0", shards="2", db=db_path, url="https://site.example")
    assert spider.name == name and spider.shards == 2

    async def first_requests() -> list[Request]:
        return [request async for request in spider.start()]

    requests = asyncio.run(first_requests())
    spider.closed("finished")
    assert all(isinstance(r, Request) for r in requests)
    assert [r.url.split("&")[0] for r in requests] == FIRST_REQUESTS[name]


def test_shard_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        WaybackSpider(shard="3", shards="2")


def make_spider(db_path: str) -> tuple[WaybackSpider, Listing]:
    crawler = get_crawler(WaybackSpider, settings_dict={"POLICYWATCH_WAYBACK_URL": BASE, "POLICYWATCH_DB": db_path})
    spider = crawler._create_spider(db=db_path)
    listing = Listing(1, "https://ex.org/privacy", None, None)
    spider._listings[listing.stream] = listing
    spider.digests(1)
    return spider, listing


def row(ts: str, body: bytes | None = None, status: str = "200", digest: str | None = None) -> CDXSnapshot:
    return CDXSnapshot({"urlkey": "org,ex)/privacy", "timestamp": ts, "original": "http://www.ex.org:80/privacy?",
                        "mimetype": "text/html", "statuscode": status, "length": "1",
                        "digest": digest or archive_digest(body or b"")})


def capture_request(spider: WaybackSpider, listing: Listing, rows: list, url: str | None = None, **meta) -> Request:
    slots = []
    for snap in rows:
        slots.append(len(slots))
        spider.release.add(listing.stream, slots[-1])
    listing.page = list(rows)
    listing.last_row = (rows[-1].timestamp, rows[-1].digest)
    listing.outstanding += 1
    request = spider.capture_request(listing, list(zip(slots, rows)), rows[0].timestamp, rows[0].original, url=url)
    request.meta.update(meta)
    return request


MEMENTO = {"Memento-Datetime": "Wed, 01 Jan 2020 00:00:00 GMT", "X-Archive-Src": "x.warc.gz"}
POLICY = b"<html><p>policy</p></html>"


def test_replay_navigation_is_followed_and_the_row_time_kept(db_path: str) -> None:
    spider, listing = make_spider(db_path)
    request = capture_request(spider, listing, [row("20200101000000", POLICY)])
    nav = Response(request.url, status=302, request=request,
                   headers={"Location": f"{BASE}/web/20200105000000id_/https://ex.org/privacy"})
    (follow,) = list(spider.parse_capture(nav))
    assert isinstance(follow, Request) and follow.meta["hops"] == 1
    page = HtmlResponse(follow.url, status=200, request=follow, body=POLICY,
                        headers={"Content-Type": "text/html", "Memento-Datetime": "Sun, 05 Jan 2020 00:00:00 GMT"})
    (capture,) = list(spider.parse_capture(page))
    assert isinstance(capture, Capture)
    # the resume clock is the CDX row's timestamp, never the redirect target's
    assert capture.capture_time == "2020-01-01T00:00:00Z" and capture.outcome == "ok"
    # the queried URL, whatever form `original` took (http, www, :80, trailing "?")
    assert capture.url == "https://ex.org/privacy" and capture.final_url is None
    assert capture.wayback_digest == archive_digest(POLICY)


@pytest.mark.parametrize("location", [f"{BASE}/web/20200101000000id_/https://ex.org/legal/privacy",
                                      "/web/20200101000000id_/https://ex.org/legal/privacy",
                                      "//archive.test/web/20200101000000id_/https://ex.org/legal/privacy"])
def test_archived_redirect_is_a_redirect_capture_with_its_target(db_path: str, location: str) -> None:
    spider, listing = make_spider(db_path)
    request = capture_request(spider, listing, [row("20200101000000", status="301", digest="A" * 32)])
    archived = Response(request.url, status=301, request=request, headers={"Location": location, **MEMENTO})
    capture, move = list(spider.parse_capture(archived))
    assert isinstance(capture, Capture) and capture.outcome == "redirect" and capture.http_status == 301
    # the history ends in a redirect: the target is offered as a move, like live rediscovery does
    assert isinstance(move, PolicyMoved) and move.new_url == "https://ex.org/legal/privacy"
    assert capture.final_url == "https://ex.org/legal/privacy" and capture.body is None
    assert listing.targets == {"A" * 32: "https://ex.org/legal/privacy"}


def test_redirect_loops_stop(db_path: str) -> None:
    spider, listing = make_spider(db_path)
    request = capture_request(spider, listing, [row("20200101000000", POLICY)], hops=6)
    loop = Response(request.url, status=302, request=request, headers={"Location": request.url})
    (capture,) = list(spider.parse_capture(loop))
    assert capture.outcome == "http_error" and capture.capture_time == "2020-01-01T00:00:00Z"


def test_archived_429_is_content_and_the_archive_error_page_is_not_text(db_path: str) -> None:
    spider, listing = make_spider(db_path)
    request = capture_request(spider, listing, [row("20200101000000", b"busy")])
    (capture,) = list(spider.parse_capture(Response(request.url, status=429, request=request, body=b"busy",
                                                   headers=MEMENTO)))
    assert capture.outcome == "archived_error" and capture.http_status == 429 and capture.body is None
    spider, listing = make_spider(db_path)
    request = capture_request(spider, listing, [row("20200101000000", POLICY)])
    error = HtmlResponse(request.url, status=200, request=request, body=b"<html>Hrm. Wayback Machine</html>",
                         headers={"Content-Type": "text/html"})
    (capture,) = list(spider.parse_capture(error))
    assert capture.outcome == "archive_error" and capture.body is None


def test_twins_share_one_request_and_the_unserved_digest_comes_from_another_row(db_path: str) -> None:
    spider, listing = make_spider(db_path)
    a, b = b"<html><p>policy A</p></html>", b"<html><p>policy B</p></html>"
    twins = [row("20200101000000", a), row("20200101000000", b), row("20200301000000", b)]
    request = capture_request(spider, listing, twins[:2])
    listing.page = twins
    served = HtmlResponse(request.url, status=200, request=request, body=a, headers={**MEMENTO, "Content-Type": "text/html"})
    out = list(spider.parse_capture(served))
    follow = [o for o in out if isinstance(o, Request)]
    captures = [o for o in out if isinstance(o, Capture)]
    assert [c.wayback_digest for c in captures] == [archive_digest(a)] and captures[0].body == a
    assert len(follow) == 1 and "20200301000000id_" in follow[0].url  # B fetched where it is served
    (second,) = list(spider.parse_capture(HtmlResponse(follow[0].url, status=200, request=follow[0], body=b,
                                                       headers={**MEMENTO, "Content-Type": "text/html"})))
    assert second.capture_time == "2020-01-01T00:00:00Z" and second.body == b
    assert second.wayback_digest == archive_digest(b)


def test_a_digest_nobody_serves_is_a_mismatch_not_a_stored_digest(db_path: str) -> None:
    spider, listing = make_spider(db_path)
    a, b = b"<html><p>policy A</p></html>", b"<html><p>policy B</p></html>"
    request = capture_request(spider, listing, [row("20200101000000", a), row("20200101000000", b)])
    served = HtmlResponse(request.url, status=200, request=request, body=a, headers={**MEMENTO, "Content-Type": "text/html"})
    search, first = list(spider.parse_capture(served))
    assert first.outcome == "ok" and "filter=digest" in search.url  # where else is B captured?
    out = spider.parse_digest_rows(TextResponse(search.url, body=b"[]", request=search))
    (second,) = [o for o in out if isinstance(o, Capture)]
    assert second.outcome == "digest_mismatch" and second.body is None
    assert second.capture_time == "2020-01-01T00:00:00Z"
    stored, _ = spider.digests(1)
    assert archive_digest(a) in stored and archive_digest(b) not in stored


def test_rediscovery_rules() -> None:
    assert needs_rediscovery("http_error", 404) and needs_rediscovery("not_a_policy", 200)
    assert not needs_rediscovery("http_error", 503) and not needs_rediscovery("ok", 200)
    assert permanent_move({"redirect_reasons": [301, 308]}, "https://a/p", "https://a/q")
    assert not permanent_move({"redirect_reasons": [302]}, "https://a/p", "https://a/q")
    assert not permanent_move({}, "https://a/p", "https://a/p")


def test_candidate_requests_do_not_inherit_redirect_bookkeeping(db_path: str) -> None:
    from policywatch.crawler.discovery import Candidate
    from policywatch.crawler.spiders.discover import DiscoverSpider

    crawler = get_crawler(DiscoverSpider, settings_dict={"POLICYWATCH_WAYBACK_URL": BASE, "POLICYWATCH_DB": db_path})
    spider = crawler._create_spider(db=db_path, url="https://ex.org/", at="20200101")
    meta = {"home_url": "https://ex.org/", "redirect_urls": [f"{BASE}/web/20200101id_/https://ex.org/"],
            "redirect_times": 1, "redirect_reasons": [302], "download_slot": "archive:capture"}
    (request,) = list(spider.try_candidates([Candidate("https://ex.org/privacy", "Privacy", 9.0)], meta))
    assert "20200101id_/https://ex.org/privacy" in request.url
    assert not {"redirect_urls", "redirect_times", "redirect_reasons", "download_slot"} & set(request.meta)
