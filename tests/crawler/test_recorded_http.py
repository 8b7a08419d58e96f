"""What a spider keeps of a response's HTTP envelope (written back by WARC export)."""
from __future__ import annotations

from scrapy.http import HtmlResponse

from policywatch.crawler.spiders.base import recorded_http


def test_live_response_keeps_status_line_and_every_header() -> None:
    response = HtmlResponse("https://a.example/privacy", status=404, body=b"<html></html>", protocol="HTTP/1.0",
                            headers={"Content-Type": "text/html", "Set-Cookie": ["a=1", "b=2"], "ETag": '"x"'})
    status_line, headers = recorded_http(response)
    assert status_line == "HTTP/1.0 404 Not Found"
    assert sorted(headers) == [("Content-Type", "text/html"), ("Etag", '"x"'), ("Set-Cookie", "a=1"),
                               ("Set-Cookie", "b=2")]


def test_archive_replay_keeps_the_origin_headers_not_the_archives() -> None:
    replay = HtmlResponse(
        "https://web.archive.org/web/20200101000000id_/https://a.example/privacy", body=b"<html></html>",
        headers={"Content-Type": "text/html", "Memento-Datetime": "Wed, 01 Jan 2020 00:00:00 GMT",
                 "X-Archive-Orig-Server": "nginx", "X-Archive-Orig-Last-Modified": "Tue, 31 Dec 2019 10:00:00 GMT",
                 "Link": '<https://a.example/privacy>; rel="original"', "Server": "archive"})
    status_line, headers = recorded_http(replay, archived=True)
    assert status_line == "HTTP/1.1 200 OK"
    assert sorted(headers) == [("Content-Type", "text/html"), ("Last-Modified", "Tue, 31 Dec 2019 10:00:00 GMT"),
                               ("Server", "nginx")]
    plain = HtmlResponse("https://web.archive.org/web/20200101000000id_/https://a.example/privacy", body=b"x",
                         headers={"Content-Type": "text/html", "Memento-Datetime": "x", "X-Archive-Src": "y"})
    assert recorded_http(plain, archived=True)[1] == [("Content-Type", "text/html")]
