"""Spider plumbing without a crawl: `scrapy list`, a smoke test of every spider, replay redirects."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from policywatch.crawler.items import Capture
from policywatch.crawler.spiders.live import needs_rediscovery, permanent_move
from policywatch.crawler.spiders.wayback import WaybackSpider

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


def make_spider(db_path: str) -> WaybackSpider:
    crawler = get_crawler(WaybackSpider, settings_dict={"POLICYWATCH_WAYBACK_URL": BASE, "POLICYWATCH_DB": db_path})
    spider = crawler._create_spider(db=db_path)
    spider.release.add(1, 0)
    return spider


def capture_request(spider: WaybackSpider, url: str | None = None, **meta) -> Request:
    request = spider.capture_request(1, "https://ex.org/privacy", "20200101000000", "DIGEST", 0, url=url)
    request.meta.update(meta)
    return request


def test_replay_navigation_redirect_is_followed_and_final_time_kept(db_path: str) -> None:
    spider = make_spider(db_path)
    request = capture_request(spider)
    nav = Response(request.url, status=302, request=request,
                   headers={"Location": f"{BASE}/web/20200105000000id_/https://ex.org/privacy"})
    (follow,) = list(spider.parse_capture(nav))
    assert isinstance(follow, Request) and follow.meta["archived_redirect"] is False
    page = HtmlResponse(follow.url, status=200, request=follow, body=b"<html><p>policy</p></html>",
                        headers={"Content-Type": "text/html", "Memento-Datetime": "Sun, 05 Jan 2020 00:00:00 GMT"})
    (capture,) = list(spider.parse_capture(page))
    assert isinstance(capture, Capture)
    assert capture.capture_time == "2020-01-05T00:00:00Z" and capture.outcome == "ok"
    assert capture.url == "https://ex.org/privacy" and capture.final_url is None
    assert capture.wayback_digest == "DIGEST"


def test_archived_redirect_is_recorded_as_final_url(db_path: str) -> None:
    spider = make_spider(db_path)
    request = capture_request(spider)
    archived = Response(request.url, status=301, request=request,
                        headers={"Location": f"{BASE}/web/20200101000000id_/https://ex.org/legal/privacy",
                                 "Memento-Datetime": "Wed, 01 Jan 2020 00:00:00 GMT"})
    (follow,) = list(spider.parse_capture(archived))
    assert follow.meta["archived_redirect"] is True and follow.meta["hops"] == 1
    page = HtmlResponse(follow.url, status=200, request=follow, body=b"<html><p>policy</p></html>",
                        headers={"Content-Type": "text/html", "Memento-Datetime": "Wed, 01 Jan 2020 00:00:00 GMT"})
    (capture,) = list(spider.parse_capture(page))
    assert capture.final_url == "https://ex.org/legal/privacy"
    assert "archived redirect" in capture.detail


def test_archived_redirect_to_home_is_not_a_policy(db_path: str) -> None:
    spider = make_spider(db_path)
    request = capture_request(spider, url=f"{BASE}/web/20200101000000id_/https://ex.org/", archived_redirect=True)
    page = HtmlResponse(request.url, status=200, request=request, body=b"<html>home</html>",
                        headers={"Content-Type": "text/html"})
    (capture,) = list(spider.parse_capture(page))
    assert capture.outcome == "not_a_policy" and capture.body is None


def test_redirect_loops_stop(db_path: str) -> None:
    spider = make_spider(db_path)
    request = capture_request(spider, hops=6)
    loop = Response(request.url, status=302, request=request, headers={"Location": request.url})
    (capture,) = list(spider.parse_capture(loop))
    assert capture.outcome == "http_error" and capture.capture_time == "2020-01-01T00:00:00Z"


def test_rediscovery_rules() -> None:
    assert needs_rediscovery("http_error", 404) and needs_rediscovery("not_a_policy", 200)
    assert not needs_rediscovery("http_error", 503) and not needs_rediscovery("ok", 200)
    assert permanent_move({"redirect_reasons": [301, 308]}, "https://a/p", "https://a/q")
    assert not permanent_move({"redirect_reasons": [302]}, "https://a/p", "https://a/q")
    assert not permanent_move({}, "https://a/p", "https://a/p")
